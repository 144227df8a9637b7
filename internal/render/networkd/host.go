// Package networkd renders systemd-networkd configuration (.netdev and
// .network files): for hosts, their bonds, VLANs, addresses and MTUs from
// the model; for the lab's switches, the Linux stand-in of a SONiC leaf or
// spine. It is pure: model in, files out.
package networkd

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/ini"
)

// Dir is where networkd reads its configuration.
const Dir = "/etc/systemd/network"

// File is one configuration file, named as in Dir.
type File struct {
	Name    string
	Content string
}

const header = "Written by Fundament from the configuration repository; changes here are overwritten."

// HostOptions says what other components need of a host's networking.
type HostOptions struct {
	// BrPhy moves the address of the interface BrPhyPort carries to an
	// interface called br-phy, the Open vSwitch bridge of OVN's userspace
	// tunnelling, which takes BrPhyPort as its port.
	BrPhy     bool
	BrPhyPort string
	// Routes are sent through the gateway of the first non-management
	// network of the host that has one (the fabric's loopbacks).
	Routes []netip.Prefix
	// Devices says that another component makes the bonds and VLAN
	// interfaces (Open vSwitch in the lab, whose kernel has neither
	// bonding nor 802.1Q): networkd then only addresses them and brings
	// the members up.
	Devices bool
}

// VLANInterface names the VLAN interface of vlan on parent: parent.vlan,
// or vlanN where that would exceed Linux's 15 characters.
func VLANInterface(parent string, vlan int) string {
	name := parent + "." + strconv.Itoa(vlan)
	if len(name) > 15 {
		name = "vlan" + strconv.Itoa(vlan)
	}
	return name
}

// hostLink is one interface of a host as networkd configures it.
type hostLink struct {
	name    string
	bond    *model.Bond // a bond's own settings
	master  string      // the bond this interface is a member of
	primary bool        // the first member of an active-backup bond
	vlans   []string    // VLAN interfaces on it
	vlanID  int         // a VLAN interface's tag
	parent  string      // a VLAN interface's parent
	addrs   []netip.Prefix
	gateway netip.Addr
	dns     []string
	mtu     int
	mgmt    bool
	routes  []netip.Prefix
	via     netip.Addr
	ovsPort bool // a member of an Open vSwitch bond: up, no addresses
}

// Host renders the networkd files of a host.
func Host(c *model.Cloud, h *model.Host, opt HostOptions) ([]File, error) {
	links := map[string]*hostLink{}
	get := func(name string) *hostLink {
		if l := links[name]; l != nil {
			return l
		}
		l := &hostLink{name: name}
		links[name] = l
		return l
	}
	for _, i := range h.Interfaces {
		l := get(i.Name)
		l.mtu = max(l.mtu, i.MTU)
		if i.Bond != nil {
			l.bond = i.Bond
			for n, m := range i.Bond.Members {
				ml := get(m)
				ml.master = i.Name
				ml.primary = n == 0 && i.Bond.Mode == "active-backup"
			}
		}
	}
	routed := false
	for _, n := range c.Network.Networks {
		att := h.Networks[n.Name]
		if att == nil {
			continue
		}
		mtu := n.MTU
		if mtu == 0 {
			mtu = model.DefaultMTU
		}
		parent := get(att.Interface)
		parent.mtu = max(parent.mtu, mtu)
		target := parent
		if n.VLAN > 0 {
			target = get(VLANInterface(att.Interface, n.VLAN))
			target.parent, target.vlanID, target.mtu = att.Interface, n.VLAN, mtu
			parent.vlans = append(parent.vlans, target.name)
		}
		addr := netip.PrefixFrom(att.Address, n.Prefix.Bits())
		if opt.BrPhy && target.name == opt.BrPhyPort {
			target = get("br-phy")
			target.mtu = mtu
		}
		target.addrs = append(target.addrs, addr)
		switch {
		case n.Role == model.NetManagement:
			target.mgmt = true
			target.gateway = n.Gateway
			for _, d := range c.Spec.DNSServers {
				target.dns = append(target.dns, d.String())
			}
		case n.Gateway.IsValid() && !routed && len(opt.Routes) > 0:
			target.routes, target.via, routed = opt.Routes, n.Gateway, true
		}
	}
	// Members carry their bond's MTU.
	for _, l := range links {
		if l.master != "" {
			l.mtu = max(l.mtu, links[l.master].mtu)
		}
	}
	var names []string
	for name := range links {
		names = append(names, name)
	}
	sort.Strings(names)
	var files []File
	for _, name := range names {
		l := links[name]
		if opt.Devices {
			// Only what carries addresses, and the members (up, MTU).
			l.vlans = nil
			if len(l.addrs) > 0 || l.master != "" {
				m := *l
				m.master, m.ovsPort = "", l.master != ""
				files = append(files, File{fmt.Sprintf("%d-%s.network", networkOrder(l), name), hostNetwork(&m)})
			}
			continue
		}
		if l.bond != nil {
			files = append(files, File{"10-" + name + ".netdev", bondNetdev(l)})
		}
		if l.vlanID > 0 {
			files = append(files, File{"20-" + name + ".netdev", vlanNetdev(l)})
		}
		if name == "br-phy" || l.master != "" || l.bond != nil || len(l.vlans) > 0 || len(l.addrs) > 0 || l.vlanID > 0 {
			files = append(files, File{fmt.Sprintf("%d-%s.network", networkOrder(l), name), hostNetwork(l)})
		}
	}
	return files, nil
}

// networkOrder: members before bonds before VLANs, so that reading the
// directory in order reads a device's parents first.
func networkOrder(l *hostLink) int {
	switch {
	case l.master != "":
		return 30
	case l.vlanID > 0 || l.name == "br-phy":
		return 50
	}
	return 40
}

func bondNetdev(l *hostLink) string {
	f := ini.New(header)
	f.Section("NetDev").Set("Name", l.name).Set("Kind", "bond").Set("MTUBytes", strconv.Itoa(l.mtu))
	b := f.Section("Bond").Set("Mode", string(l.bond.Mode)).Set("MIIMonitorSec", "100ms")
	if l.bond.Mode == "802.3ad" {
		b.Set("LACPTransmitRate", "fast").Set("TransmitHashPolicy", "layer3+4")
	}
	return f.String()
}

func vlanNetdev(l *hostLink) string {
	f := ini.New(header)
	f.Section("NetDev").Set("Name", l.name).Set("Kind", "vlan").Set("MTUBytes", strconv.Itoa(l.mtu))
	f.Section("VLAN").Set("Id", strconv.Itoa(l.vlanID))
	return f.String()
}

func hostNetwork(l *hostLink) string {
	f := ini.New(header)
	f.Section("Match").Set("Name", l.name)
	link := f.Section("Link").Set("MTUBytes", strconv.Itoa(l.mtu))
	if l.name == "br-phy" {
		// Open vSwitch creates it; the host is online without it.
		link.Set("RequiredForOnline", "no")
	}
	nw := f.Section("Network")
	if l.master != "" {
		nw.Set("Bond", l.master)
		if l.primary {
			nw.Set("PrimarySlave", "yes")
		}
		nw.Set("LinkLocalAddressing", "no")
	} else if l.ovsPort {
		nw.Set("LinkLocalAddressing", "no")
	} else {
		nw.Set("LinkLocalAddressing", "ipv6")
	}
	nw.Set("IPv6AcceptRA", "no")
	for _, v := range l.vlans {
		nw.Set("VLAN", v)
	}
	for _, a := range l.addrs {
		nw.Set("Address", a.String())
	}
	if l.gateway.IsValid() {
		nw.Set("Gateway", l.gateway.String())
	}
	for _, d := range l.dns {
		nw.Set("DNS", d)
	}
	if l.mgmt {
		// Fundament reaches the host here: restarting networkd must not
		// drop the address it is talking over.
		nw.Set("KeepConfiguration", "static")
	}
	if len(l.addrs) == 0 && l.master == "" {
		nw.Set("ConfigureWithoutCarrier", "yes")
	}
	for _, r := range l.routes {
		f.Section("Route").Set("Destination", r.String()).Set("Gateway", l.via.String())
	}
	return f.String()
}
