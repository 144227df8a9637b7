package fabric_test

// Golden files of the lab fabric's configuration: the fabric view, FRR's
// frr.conf and each switch's and host's networkd files for examples/lab.
// go test ./internal/render/fabric -update rewrites them.

import (
	"fmt"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
	"sort"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/render/fabric"
	"github.com/fundament-cloud/fundament/internal/render/frr"
	"github.com/fundament-cloud/fundament/internal/render/networkd"
	"github.com/fundament-cloud/fundament/internal/validate"
)

func files(fs []networkd.File) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "==> %s <==\n%s\n", f.Name, f.Content)
	}
	return b.String()
}

func TestGoldenOfTheLab(t *testing.T) {
	c, diags := validate.Check("../../../examples/lab")
	if diags.HasErrors() {
		t.Fatal(diags.Items())
	}
	view, err := fabric.Of(c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range view {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sw := view[n]
		golden.Check(t, "lab/"+n+".frr.conf", frr.Config(sw))
		golden.Check(t, "lab/"+n+".networkd", files(networkd.Switch(sw)))
	}
	for _, h := range c.Hosts {
		fs, err := networkd.Host(c, h, networkd.HostOptions{Routes: fabric.Loopbacks(c)})
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "lab/"+h.Name+".networkd", files(fs))
	}
	leaf := view["leaf-1"]
	if leaf.ASN != 4200000011 || len(leaf.Uplinks) != 2 || leaf.Uplinks[0].ASN != 4200000001 || len(leaf.HostPorts) != 8 {
		t.Errorf("leaf-1: %+v", leaf)
	}
	if got := fmt.Sprint(leaf.HostPorts[0].VLANs); got != "[20 30 40 100]" {
		t.Errorf("ctl-1's port on leaf-1 carries VLANs %s", got)
	}
}
