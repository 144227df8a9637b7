package ovn

import (
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/model"
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
	return hostnet.TunnelLayout(c, h)
}
