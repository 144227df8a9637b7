package lab

import (
	"net/netip"
	"testing"
)

func TestExternalRoutes(t *testing.T) {
	c := loadExample(t)
	topo, err := FromModel(c)
	if err != nil {
		t.Fatal(err)
	}
	// The public network (role external, gateway on both leaves) through
	// the first leaf; no route to the other networks, which stay inside.
	want := []Route{{Network: "public", Prefix: netip.MustParsePrefix("10.199.100.0/24"), Via: netip.MustParseAddr("10.199.0.4"), Leaf: "leaf-1"}}
	if len(topo.Routes) != 1 || topo.Routes[0] != want[0] {
		t.Errorf("routes %v, want %v", topo.Routes, want)
	}
	if got := topo.Routes[0].String(); got != "10.199.100.0/24 via 10.199.0.4 (leaf-1)" {
		t.Errorf("String() = %q", got)
	}

	// An external network without a gateway has no route.
	for _, n := range c.Network.Networks {
		if n.Name == "public" {
			n.Gateway = netip.Addr{}
		}
	}
	if topo, err = FromModel(c); err != nil || len(topo.Routes) != 0 {
		t.Errorf("without a gateway: %v, %v", topo.Routes, err)
	}
}
