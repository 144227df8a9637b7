package hostnet

// Golden files of the host networking items for examples/lab (Open
// vSwitch makes bonds and VLANs; networkd addresses them) and
// examples/production (networkd makes everything in the kernel).
// go test ./internal/components/hostnet -update rewrites them.

import (
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/catalogtext"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/validate"
)

// render prints the items of the hosts named, in the order the engine
// applies them.
func render(t *testing.T, example string, hosts ...string) string {
	t.Helper()
	c, diags := validate.Check("../../../examples/" + example)
	if diags.HasErrors() {
		t.Fatal(diags.Items())
	}
	cat, err := catalog.Compile(&catalog.Input{Cloud: c}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	return catalogtext.Render(cat, catalogtext.Options{Items: func(it *catalog.Item) bool { return slices.Contains(hosts, it.Host) }})
}

func TestGolden(t *testing.T) {
	golden.Check(t, "lab.txt", render(t, "lab", "cmp-1", "stor-1"))
	golden.Check(t, "production.txt", render(t, "production", "cmp-01", "ctl-1"))
}

func TestOVSInTheLabKernelInProduction(t *testing.T) {
	lab := render(t, "lab", "cmp-1")
	for _, must := range []string{"add-bond 'bond0' 'bond0-lag' 'eth1' 'eth2'", "bond_mode=active-backup",
		"set Port 'bond0.20' tag=20", "command:hostnet/ovs-layout", "Name=br-phy", "Address=10.199.40.21/24"} {
		if !strings.Contains(lab, must) {
			t.Errorf("lab cmp-1 lacks %q", must)
		}
	}
	if strings.Contains(lab, ".netdev") {
		t.Error("the lab must not ask networkd for kernel bonds or VLANs")
	}
	prod := render(t, "production", "cmp-01")
	for _, must := range []string{"Kind=bond", "Kind=vlan", "Mode=802.3ad"} {
		if !strings.Contains(prod, must) {
			t.Errorf("production cmp-01 lacks %q", must)
		}
	}
	if strings.Contains(prod, "ovs-vsctl") || strings.Contains(prod, "br-phy") {
		t.Error("production hosts use the kernel: no Open vSwitch layout, no br-phy")
	}
}
