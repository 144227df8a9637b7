package hostnet

// Golden files of the host networking items for examples/lab (Open
// vSwitch makes bonds and VLANs; networkd addresses them) and
// examples/production (networkd makes everything in the kernel).
// go test ./internal/components/hostnet -update rewrites them.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/golden"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/validate"
)

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
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "=== %s ===\n", h)
		for _, it := range cat.HostItems(h) {
			fmt.Fprintf(&b, "\n%s", it.Resource.ID())
			for _, a := range it.After {
				fmt.Fprintf(&b, "\n  after %s", a.ID)
			}
			for _, s := range it.Subscribes {
				fmt.Fprintf(&b, "\n  subscribes %s", s.ID)
			}
			b.WriteString("\n")
			switch r := it.Resource.(type) {
			case resource.File:
				b.WriteString(indent(string(r.Content)))
			case resource.Command:
				b.WriteString(indent(r.Script))
			case resource.Package:
				fmt.Fprintf(&b, "  version %s\n", r.Version)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("  | " + l + "\n")
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	golden.Check(t, "lab.txt", render(t, "lab", "cmp-1", "stor-1"))
	golden.Check(t, "production.txt", render(t, "production", "cmp-01", "ctl-1"))
}

func TestLabUsesOVSProductionTheKernel(t *testing.T) {
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
