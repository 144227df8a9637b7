package networkd

import (
	"strconv"

	"github.com/fundament-cloud/fundament/internal/render/fabric"
	"github.com/fundament-cloud/fundament/internal/render/ini"
)

// switchMTU is the MTU of every switch port, as SONiC sets it.
const switchMTU = "9100"

// bridge is the bridge of a lab leaf's host ports, named as SONiC's.
const bridge = "Bridge"

// LabVNI is the VXLAN network that stretches the lab leaves' host ports
// over the fabric. The lab's kernel has no 802.1Q support (no VLAN
// devices, no VLAN-aware bridge), so a lab leaf cannot map each VLAN to a
// VNI as SONiC does: it bridges its host ports into one VNI that carries
// the hosts' frames with their VLAN tags, and the hosts keep the VLANs
// apart. EVPN still learns and distributes every MAC.
const LabVNI = 10000

// Switch renders the networkd files of a lab switch, the Linux stand-in
// of what SONiC does from config_db on a real one: the loopback on lo,
// IPv6 link-local only on switch-to-switch ports (BGP unnumbered), and on
// leaves a bridge of the host-facing ports with a VXLAN device sourced
// from the loopback.
func Switch(sw *fabric.Switch) []File {
	files := []File{
		{"40-lo.network", network("lo", "", func(f *ini.File) {
			f.Section("Network").Set("Address", sw.Loopback.String()+"/"+strconv.Itoa(sw.Loopback.BitLen())).
				Set("KeepConfiguration", "static")
		})},
	}
	if sw.Mgmt.IsValid() {
		files = append(files, File{"40-eth0.network", network("eth0", "", func(f *ini.File) {
			f.Section("Network").Set("Address", sw.Mgmt.String()).Set("KeepConfiguration", "static")
		})})
	}
	for _, p := range sw.Uplinks {
		files = append(files, File{"40-" + p.Port + ".network", network(p.Port, switchMTU, func(f *ini.File) {
			f.Section("Network").Set("Description", "fabric link to "+p.Switch+":"+p.PeerPort).
				Set("LinkLocalAddressing", "ipv6").Set("IPv6AcceptRA", "no")
		})})
	}
	if len(sw.HostPorts) == 0 {
		return files
	}
	vxlan := "vxlan" + strconv.Itoa(LabVNI)
	files = append(files,
		File{"10-" + bridge + ".netdev", netdev(bridge, "bridge", "", func(f *ini.File) {
			f.Section("Bridge").Set("STP", "no").Set("MulticastSnooping", "no")
		})},
		File{"40-" + bridge + ".network", network(bridge, "", func(f *ini.File) {
			f.Section("Network").Set("LinkLocalAddressing", "no").Set("ConfigureWithoutCarrier", "yes")
		})},
		File{"20-" + vxlan + ".netdev", netdev(vxlan, "vxlan", switchMTU, func(f *ini.File) {
			f.Section("VXLAN").Set("VNI", strconv.Itoa(LabVNI)).Set("Local", sw.Loopback.String()).
				Set("DestinationPort", "4789").Set("MacLearning", "no").Set("Independent", "yes")
		})},
		File{"50-" + vxlan + ".network", network(vxlan, "", func(f *ini.File) {
			f.Section("Network").Set("Bridge", bridge).Set("LinkLocalAddressing", "no").Set("ConfigureWithoutCarrier", "yes")
			f.Section("Bridge").Set("Learning", "no")
		})},
	)
	if len(sw.Gateways) > 0 {
		// The anycast gateways: the lab kernel has no VLAN devices, so a
		// veth takes the bridge's tagged frames into Open vSwitch, whose
		// internal ports VlanN untag them (SVIPort, see the fabric
		// component); networkd gives those ports the gateway addresses.
		files = append(files,
			File{"10-" + sviVeth + ".netdev", netdev(sviVeth, "veth", switchMTU, func(f *ini.File) {
				f.Section("Peer").Set("Name", SVIPort).Set("MTUBytes", switchMTU)
			})},
			File{"40-" + sviVeth + ".network", network(sviVeth, switchMTU, func(f *ini.File) {
				f.Section("Network").Set("Bridge", bridge).Set("LinkLocalAddressing", "no")
			})},
			File{"40-" + SVIPort + ".network", network(SVIPort, switchMTU, func(f *ini.File) {
				f.Section("Network").Set("LinkLocalAddressing", "no").Set("ConfigureWithoutCarrier", "yes")
			})},
		)
		for _, g := range sw.Gateways {
			name := SVI(g.VLAN)
			files = append(files, File{"50-" + name + ".network", network(name, "", func(f *ini.File) {
				f.Section("Link").Set("RequiredForOnline", "no")
				f.Section("Network").Set("Description", "anycast gateway of "+g.Network).
					Set("Address", g.Address.String()).Set("LinkLocalAddressing", "no").Set("IPv6AcceptRA", "no")
			})})
		}
	}
	for _, hp := range sw.HostPorts {
		files = append(files, File{"40-" + hp.Port + ".network", network(hp.Port, switchMTU, func(f *ini.File) {
			f.Section("Network").Set("Description", "to "+hp.Host+":"+hp.HostPort).
				Set("Bridge", bridge).Set("LinkLocalAddressing", "no")
		})})
	}
	return files
}

// sviVeth joins the leaf's bridge to Open vSwitch; SVIPort is its other
// end, the trunk port of the OVS bridge that holds the gateways.
const (
	sviVeth = "svi-bridge"
	SVIPort = "svi-ovs"
)

// SVI names a gateway's interface, as SONiC names VLAN interfaces.
func SVI(vlan int) string { return "Vlan" + strconv.Itoa(vlan) }

func netdev(name, kind, mtu string, more func(*ini.File)) string {
	f := ini.New(header)
	f.Section("NetDev").Set("Name", name).Set("Kind", kind).Set("MTUBytes", mtu)
	more(f)
	return f.String()
}

func network(name, mtu string, more func(*ini.File)) string {
	f := ini.New(header)
	f.Section("Match").Set("Name", name)
	f.Section("Link").Set("MTUBytes", mtu)
	more(f)
	return f.String()
}
