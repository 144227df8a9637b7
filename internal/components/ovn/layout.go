package ovn

import (
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/networkd"
)

// TunnelLayout says how a host's tunnel network is laid out, for the host
// networking component: iface is the interface that carries the tunnel
// network (the VLAN interface <parent>.<vlan>, or the parent itself when
// the network is untagged; "" when the host is not on a tunnel network),
// and brPhy says that the host is an OVN chassis with the userspace
// (netdev) datapath. Then Geneve leaves through OVS's own tunnel stack,
// which needs the tunnel address on an OVS bridge: networkd puts the
// address on br-phy and leaves iface without one, and this component makes
// br-phy (datapath_type netdev) with iface as its port. With the kernel
// datapath the address stays on iface.
func TunnelLayout(c *model.Cloud, h *model.Host) (iface string, brPhy bool) {
	n, att := attachment(c, h, model.NetTunnel)
	if att == nil {
		return "", false
	}
	iface = att.Interface
	if n.VLAN > 0 {
		iface = networkd.VLANInterface(att.Interface, n.VLAN)
	}
	return iface, c.Services.OVN.DatapathType == "netdev" && isChassis(c, h)
}
