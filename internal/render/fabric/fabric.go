// Package fabric derives each switch's part of the leaf-spine design from
// the model: its ASN and loopback, its BGP unnumbered neighbours on
// switch-to-switch cables, the VLANs its host-facing ports carry (stretched
// across leaves with EVPN-VXLAN) and the anycast gateways it holds. The
// renderers of the switches' configuration (FRR and networkd in the lab,
// SONiC's config_db in production) all read this one view.
package fabric

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/fundament-cloud/fundament/internal/model"
)

// Switch is one switch's part of the fabric.
type Switch struct {
	Name     string
	Role     model.SwitchRole
	ASN      uint32
	Loopback netip.Addr
	Mgmt     netip.Prefix // eth0's address with the management prefix length
	// Uplinks are BGP unnumbered sessions, one per switch-to-switch cable.
	Uplinks []Peer
	// HostPorts are ports cabled to hosts, with the VLANs they carry.
	HostPorts []HostPort
	// Gateways are the anycast gateways the switch holds: one per network
	// with a gateway carried on its host ports.
	Gateways []Gateway
}

// Peer is a BGP neighbour on a port.
type Peer struct {
	Port, Switch, PeerPort string
	ASN                    uint32
}

// HostPort is a switch port cabled to a host interface.
type HostPort struct {
	Port, Host, HostPort string
	VLANs                []int
}

// Gateway is an anycast gateway address on a VLAN.
type Gateway struct {
	Network string
	VLAN    int
	Address netip.Prefix
}

// Of returns the fabric view of every switch of the model, by name.
func Of(c *model.Cloud) (map[string]*Switch, error) {
	asns := c.EffectiveASNs()
	mgmtBits := 24
	for _, n := range c.Network.Networks {
		if n.Role == model.NetManagement {
			mgmtBits = n.Prefix.Bits()
		}
	}
	out := map[string]*Switch{}
	for _, s := range c.Network.Switches {
		asn, ok := asns[s.Name]
		if !ok {
			return nil, fmt.Errorf("%s: switch %s has no ASN", s.At("name"), s.Name)
		}
		sw := &Switch{Name: s.Name, Role: s.Role, ASN: asn, Loopback: s.Loopback}
		if s.ManagementAddress.IsValid() {
			sw.Mgmt = netip.PrefixFrom(s.ManagementAddress, mgmtBits)
		}
		out[s.Name] = sw
	}
	hosts := c.HostsByName()
	nets := c.NetworksByName()
	for _, cb := range c.Network.Cables {
		a, b := cb.A, cb.B
		swA, swB := out[a.Device], out[b.Device]
		switch {
		case swA != nil && swB != nil:
			swA.Uplinks = append(swA.Uplinks, Peer{Port: a.Port, Switch: b.Device, PeerPort: b.Port, ASN: swB.ASN})
			swB.Uplinks = append(swB.Uplinks, Peer{Port: b.Port, Switch: a.Device, PeerPort: a.Port, ASN: swA.ASN})
		case swA != nil || swB != nil:
			sw, port, host, hport := swA, a.Port, b.Device, b.Port
			if sw == nil {
				sw, port, host, hport = swB, b.Port, a.Device, a.Port
			}
			h := hosts[host]
			if h == nil {
				return nil, fmt.Errorf("%s: cable to %s, which is not a host", cb.At("a"), host)
			}
			vlans, err := hostVLANs(c, h, hport, nets)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", cb.At("a"), err)
			}
			sw.HostPorts = append(sw.HostPorts, HostPort{Port: port, Host: host, HostPort: hport, VLANs: vlans})
		}
	}
	for _, sw := range out {
		seen := map[int]bool{}
		for _, hp := range sw.HostPorts {
			for _, v := range hp.VLANs {
				seen[v] = true
			}
		}
		for _, n := range c.Network.Networks {
			if seen[n.VLAN] && n.Gateway.IsValid() && n.Role != model.NetManagement {
				sw.Gateways = append(sw.Gateways, Gateway{Network: n.Name, VLAN: n.VLAN, Address: netip.PrefixFrom(n.Gateway, n.Prefix.Bits())})
			}
		}
	}
	return out, nil
}

// hostVLANs are the VLANs a host interface carries: those of the
// networks attached to it or to the bond it is a member of.
func hostVLANs(c *model.Cloud, h *model.Host, port string, nets map[string]*model.LogicalNetwork) ([]int, error) {
	carriers := map[string]bool{port: true}
	for _, i := range h.Interfaces {
		if i.Bond != nil {
			for _, m := range i.Bond.Members {
				if m == port {
					carriers[i.Name] = true
				}
			}
		}
	}
	var vlans []int
	for name, att := range h.Networks {
		n := nets[name]
		if n == nil || !carriers[att.Interface] {
			continue
		}
		if n.VLAN == 0 {
			return nil, fmt.Errorf("host %s carries network %s untagged on %s, a switch port: give the network a vlan", h.Name, n.Name, port)
		}
		vlans = append(vlans, n.VLAN)
	}
	sort.Ints(vlans)
	return vlans, nil
}

// Loopbacks are the loopbacks of every switch, as /32 (or /128) prefixes.
func Loopbacks(c *model.Cloud) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range c.Network.Switches {
		if s.Loopback.IsValid() {
			out = append(out, netip.PrefixFrom(s.Loopback, s.Loopback.BitLen()))
		}
	}
	return out
}
