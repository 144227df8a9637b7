package hostnet

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/networkd"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// ovsBridge is one parent interface made with Open vSwitch: a bridge with
// the bond's members (or the plain interface) as its port and an internal
// port per VLAN network.
type ovsBridge struct {
	name    string // the bond's name, or br-<interface>
	members []string
	bond    *model.Bond
	vlans   []ovsVLAN
}

type ovsVLAN struct {
	port  string // the VLAN interface's name
	tag   int
	mtu   int
	patch bool // the tunnel network: a patch port to br-phy
}

// ovsBridges lists the host's parents that carry VLANs or are bonds.
func ovsBridges(c *model.Cloud, h *model.Host) []*ovsBridge {
	tunnel, brPhy := TunnelLayout(c, h)
	byParent := map[string]*ovsBridge{}
	get := func(parent string) *ovsBridge {
		if b := byParent[parent]; b != nil {
			return b
		}
		b := &ovsBridge{name: parent, members: []string{parent}}
		if i := h.Interface(parent); i != nil && i.Bond != nil {
			b.bond, b.members = i.Bond, i.Bond.Members
		} else {
			b.name = bridgeName(parent)
		}
		byParent[parent] = b
		return b
	}
	for _, i := range h.Interfaces {
		if i.Bond != nil {
			get(i.Name)
		}
	}
	for _, n := range c.Network.Networks {
		att := h.Networks[n.Name]
		if att == nil || n.VLAN == 0 {
			continue
		}
		mtu := n.MTU
		if mtu == 0 {
			mtu = model.DefaultMTU
		}
		port := networkd.VLANInterface(att.Interface, n.VLAN)
		get(att.Interface).vlans = append(get(att.Interface).vlans, ovsVLAN{port: port, tag: n.VLAN, mtu: mtu, patch: brPhy && port == tunnel})
	}
	var out []*ovsBridge
	for _, b := range byParent {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// bridgeName is the OVS bridge of a plain interface carrying VLANs.
func bridgeName(iface string) string {
	name := "br-" + iface
	if len(name) > 15 {
		name = name[:15]
	}
	return name
}

// layoutScript lays out the host's bridges, bonds and VLAN ports in Open
// vSwitch, idempotently: every run sets every setting again, so a changed
// model converges and a rerun changes nothing.
func layoutScript(c *model.Cloud, h *model.Host) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	q := resource.Quote
	p("#!/bin/sh")
	p("# Written by Fundament: %s's bonds and VLAN interfaces in Open vSwitch (the lab's kernel has", h.Name)
	p("# neither bonding nor 802.1Q). Run by fundament apply; idempotent.")
	p("set -e")
	p("v() { ovs-vsctl --timeout=60 \"$@\"; }")
	for _, br := range ovsBridges(c, h) {
		p("v --may-exist add-br %s -- set Bridge %s datapath_type=netdev", q(br.name), q(br.name))
		switch {
		case br.bond != nil && len(br.members) > 1:
			lag := br.name + "-lag"
			p("v --may-exist add-bond %s %s %s", q(br.name), q(lag), resource.QuoteArgs(br.members...))
			if br.bond.Mode == "802.3ad" {
				p("v set Port %s bond_mode=balance-tcp lacp=active other_config:lacp-time=fast", q(lag))
			} else {
				// active-backup, and the modes OVS lacks, fall back to it.
				p("v set Port %s bond_mode=active-backup lacp=off other_config:bond-primary=%s", q(lag), q(br.members[0]))
			}
		default:
			p("v --may-exist add-port %s %s", q(br.name), q(br.members[0]))
		}
		for _, v := range br.vlans {
			if v.patch {
				peer := v.port + "-p"
				p("v --may-exist add-br br-phy -- set Bridge br-phy datapath_type=netdev")
				p("v --may-exist add-port %s %s -- set Interface %s type=patch options:peer=%s", q(br.name), q(peer), q(peer), q(v.port))
				p("v set Port %s tag=%d", q(peer), v.tag)
				p("v --may-exist add-port br-phy %s -- set Interface %s type=patch options:peer=%s", q(v.port), q(v.port), q(peer))
				p("v set Interface br-phy mtu_request=%d", v.mtu)
				// A fixed MAC: a restarted ovs-vswitchd would otherwise give
				// br-phy a new one, and the neighbours' ARP entries of the
				// tunnel address would go stale.
				p("v set Bridge br-phy other_config:hwaddr='\"%s\"'", stableMAC(h.Name))
				continue
			}
			p("v --may-exist add-port %s %s -- set Interface %s type=internal", q(br.name), q(v.port), q(v.port))
			p("v set Port %s tag=%d -- set Interface %s mtu_request=%d", q(v.port), v.tag, q(v.port), v.mtu)
		}
	}
	return b.String()
}

// stableMAC is a locally administered MAC derived from the host's name.
func stableMAC(host string) string {
	f := fnv.New32a()
	f.Write([]byte(host))
	v := f.Sum32()
	return fmt.Sprintf("02:fd:%02x:%02x:%02x:%02x", byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}
