package validate

import (
	"fmt"

	"github.com/fundament-cloud/fundament/internal/model"
)

// Rule ids of the MTU rules.
const (
	RuleTunnelMTU    = "tunnel-mtu"
	RuleInterfaceMTU = "interface-mtu"
)

func init() {
	register(
		Rule{ID: RuleTunnelMTU, Summary: "a tunnel network's MTU fits Neutron's tenant_mtu plus the Geneve (58/78 bytes over IPv4/IPv6) or VXLAN (50/70) overhead", check: checkTunnelMTU},
		Rule{ID: RuleInterfaceMTU, Summary: "a host interface's explicit mtu is not smaller than the MTU of a network it carries, directly or as a bond member", check: checkInterfaceMTU},
	)
}

// encapOverhead is the bytes an OVN tunnel adds to a tenant frame: outer
// IP, UDP, the encapsulation header (with OVN's Geneve option) and the
// inner Ethernet header.
func encapOverhead(encap model.EncapType, ipv6 bool) (int, string) {
	name, v4, v6 := "Geneve", 58, 78
	if encap == "vxlan" {
		name, v4, v6 = "VXLAN", 50, 70
	}
	if ipv6 {
		return v6, name
	}
	return v4, name
}

func checkTunnelMTU(ck *checker) {
	neutron := &ck.c.Services.OpenStack.Neutron
	if !model.Enabled(neutron.Enabled, true) {
		return
	}
	tenant := neutron.TenantMTU
	where := "(the default)"
	if neutron.Has("tenant_mtu") {
		where = "at " + neutron.At("tenant_mtu").String()
	}
	for _, n := range ck.c.Network.Networks {
		if n.Role != model.NetTunnel {
			continue
		}
		ipv6 := n.Prefix.IsValid() && n.Prefix.Addr().Is6()
		overhead, encap := encapOverhead(ck.c.Services.OVN.EncapType, ipv6)
		need := tenant + overhead
		if n.MTU >= need {
			continue
		}
		mtu := fmt.Sprint(n.MTU)
		if !n.Has("mtu") {
			mtu += " (the default)"
		}
		ck.d.Errorf(n.At("mtu"), RuleTunnelMTU, "tunnel network %q has MTU %s, but tenant_mtu %d %s plus %d bytes of %s overhead over %s needs %d; set mtu to at least %d or lower tenant_mtu",
			n.Name, mtu, tenant, where, overhead, encap, family(n.Prefix.Addr()), need, need)
	}
}

func checkInterfaceMTU(ck *checker) {
	for _, h := range ck.c.Hosts {
		if !hasExplicitMTU(h) {
			continue
		}
		// The largest-MTU network each interface carries, directly or
		// through the bond it is a member of (ties: direct first, then by
		// name, so that the message does not depend on map order).
		type carried struct {
			net *model.LogicalNetwork
			via string // bond name, or "" when attached directly
		}
		largest := map[string]carried{}
		consider := func(iface string, n *model.LogicalNetwork, via string) {
			cur, ok := largest[iface]
			if !ok || n.MTU > cur.net.MTU || (n.MTU == cur.net.MTU && (via < cur.via || (via == cur.via && n.Name < cur.net.Name))) {
				largest[iface] = carried{n, via}
			}
		}
		members := map[string][]string{} // bond -> members
		for _, i := range h.Interfaces {
			if i.Bond != nil {
				members[i.Name] = i.Bond.Members
			}
		}
		for name, a := range h.Networks {
			n := ck.networks[name]
			if n == nil {
				continue
			}
			iface := a.Interface
			consider(iface, n, "")
			for _, m := range members[iface] {
				consider(m, n, iface)
			}
		}
		for _, i := range h.Interfaces {
			c, ok := largest[i.Name]
			if i.MTU <= 0 || !ok || i.MTU >= c.net.MTU {
				continue
			}
			how := ""
			if c.via != "" {
				how = fmt.Sprintf(", as a member of bond %q,", c.via)
			}
			ck.d.Errorf(i.At("mtu"), RuleInterfaceMTU, "interface %q of host %q has mtu %d but%s carries network %q, whose MTU is %d at %s; raise mtu to at least %d, or leave it out to get the largest MTU of its networks",
				i.Name, h.Name, i.MTU, how, c.net.Name, c.net.MTU, c.net.At("mtu"), c.net.MTU)
		}
	}
}

func hasExplicitMTU(h *model.Host) bool {
	for _, i := range h.Interfaces {
		if i.MTU > 0 {
			return true
		}
	}
	return false
}
