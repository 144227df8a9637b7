package hostnet

import (
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/networkd"
)

// TunnelLayout says how a host's tunnel network is laid out: iface is the
// interface that carries it (<parent>.<vlan>, or the parent when the
// network is untagged; "" when the host is not on a tunnel network), and
// brPhy says that the host is an OVN chassis with the userspace (netdev)
// datapath, whose Geneve leaves through OVS's own tunnel stack: that needs
// the tunnel address on an OVS bridge, br-phy, with iface as its port.
func TunnelLayout(c *model.Cloud, h *model.Host) (iface string, brPhy bool) {
	for _, n := range c.Network.Networks {
		att := h.Networks[n.Name]
		if n.Role != model.NetTunnel || att == nil {
			continue
		}
		iface = att.Interface
		if n.VLAN > 0 {
			iface = networkd.VLANInterface(att.Interface, n.VLAN)
		}
		return iface, c.Services.OVN.DatapathType == "netdev" && isChassis(c, h)
	}
	return "", false
}

// isChassis: the host runs ovn-controller.
func isChassis(c *model.Cloud, h *model.Host) bool {
	for _, s := range c.ServiceList() {
		if s.Name != "ovn-controller" {
			continue
		}
		for _, x := range s.Hosts {
			if x == h {
				return true
			}
		}
	}
	return false
}

// ProvidesOVS says that this component runs Open vSwitch on the host and
// makes its bonds and VLAN interfaces with it: in the lab, whose kernel
// has neither bonding nor 802.1Q, on every host with a bond or a VLAN.
// Other components (OVN) then use that Open vSwitch instead of their own.
func ProvidesOVS(c *model.Cloud, h *model.Host) bool {
	return c.Spec.Profile == model.ProfileLab && len(ovsBridges(c, h)) > 0
}
