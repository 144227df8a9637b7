package loadbalancer

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/networkd"
	"github.com/fundament-cloud/fundament/internal/service"
)

// topology is what HAProxy and keepalived are configured from.
type topology struct {
	// Members are the load balancer's hosts, in placement order: the
	// order of their VRRP priorities.
	Members []member
	VIPs    []vip
	// APIs are the APIs the enabled services declare (internal/service)
	// that have hosts, served on both virtual IPs.
	APIs []api
	// Galera members; the first is the active server, the others backups.
	Galera []server
}

type member struct {
	Host string
	// Internal is the host's internal API address (the statistics page).
	Internal netip.Addr
	// Links are the member's interface and own address on each virtual
	// IP's network, by virtual IP name.
	Links map[string]link
}

type link struct {
	Iface string
	Addr  netip.Addr
}

type vip struct {
	Name, Network string
	Addr          netip.Addr
	Bits          int // the network's prefix length
	VRID          int
	// Prefix and Gateway of the network: the holder answers clients
	// beyond the network through its gateway (keepalived's policy
	// routing); Table is the routing table of that, Gateway invalid
	// where the network has none.
	Prefix  netip.Prefix
	Gateway netip.Addr
	Table   int
}

// tableBase numbers the routing tables of the virtual IPs' replies:
// 1000 plus the virtual IP's position in network.yaml.
const tableBase = 1000

type api struct {
	endpoint.API
	Check   string
	Servers []server
}

type server struct {
	Host string
	Addr netip.Addr
}

// newTopology reads the load balancer's part of the model; nil when it
// does not run (no virtual IPs).
func newTopology(c *model.Cloud) (*topology, error) {
	svc := findService(c, "loadbalancer")
	if svc == nil || !svc.Enabled || len(c.Network.VirtualIPs) == 0 {
		return nil, nil
	}
	if len(svc.Hosts) == 0 {
		return nil, fmt.Errorf("loadbalancer.placement selects no host")
	}
	t := &topology{}
	networks := c.NetworksByName()
	for _, v := range c.Network.VirtualIPs {
		n := networks[v.Network]
		if n == nil {
			return nil, fmt.Errorf("virtual IP %s is on network %s, which network.yaml does not define", v.Name, v.Network)
		}
		t.VIPs = append(t.VIPs, vip{Name: v.Name, Network: n.Name, Addr: v.Address, Bits: n.Prefix.Bits(),
			Prefix: n.Prefix, Gateway: n.Gateway, Table: tableBase + len(t.VIPs)})
	}
	assignVRIDs(t.VIPs)
	for _, h := range svc.Hosts {
		m := member{Host: h.Name, Links: map[string]link{}}
		if a, err := endpoint.Backend(c, h); err == nil {
			m.Internal = a
		}
		for _, v := range t.VIPs {
			att := h.Networks[v.Network]
			if att == nil || !att.Address.IsValid() {
				return nil, fmt.Errorf("host %s holds virtual IP %s but has no address on its network %s", h.Name, v.Name, v.Network)
			}
			m.Links[v.Name] = link{Iface: interfaceOf(c, h, networks[v.Network]), Addr: att.Address}
		}
		t.Members = append(t.Members, m)
	}
	for _, s := range service.Enabled(c) {
		hosts := s.Hosts(c)
		if s.API == nil || len(hosts) == 0 {
			continue
		}
		servers, err := backends(c, s.Name, hosts)
		if err != nil {
			return nil, err
		}
		t.APIs = append(t.APIs, api{API: s.Endpoint(), Check: s.API.Check, Servers: servers})
	}
	if s := findService(c, "galera"); s != nil && s.Enabled {
		var err error
		if t.Galera, err = backends(c, s.Name, s.Hosts); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func findService(c *model.Cloud, name string) *model.Service {
	for _, s := range c.ServiceList() {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func backends(c *model.Cloud, name string, hosts []*model.Host) ([]server, error) {
	ms, err := endpoint.Backends(c, hosts, name+" listens there")
	if err != nil {
		return nil, err
	}
	out := make([]server, len(ms))
	for i, m := range ms {
		out[i] = server(m)
	}
	return out, nil
}

// interfaceOf is the interface that carries a network on a host, as host
// networking names it: the attachment's interface, or its VLAN interface
// for a tagged network (the tunnel network's address may sit on br-phy).
func interfaceOf(c *model.Cloud, h *model.Host, n *model.LogicalNetwork) string {
	if n.Role == model.NetTunnel {
		if iface, brPhy := hostnet.TunnelLayout(c, h); brPhy {
			return "br-phy"
		} else if iface != "" {
			return iface
		}
	}
	att := h.Networks[n.Name]
	if n.VLAN > 0 {
		return networkd.VLANInterface(att.Interface, n.VLAN)
	}
	return att.Interface
}

// assignVRIDs gives each virtual IP its VRRP virtual_router_id: the last
// byte of its address (10.199.20.10 -> 10), which two addresses of one
// /24 never share, so that two clouds on one network do not collide
// either. Two virtual IPs of the cloud on one network with the same last
// byte (possible in larger prefixes), and a last byte of 0, take the next
// free id, in network.yaml order.
func assignVRIDs(vips []vip) {
	used := map[string]map[int]bool{}
	for i := range vips {
		v := &vips[i]
		if used[v.Network] == nil {
			used[v.Network] = map[int]bool{}
		}
		b := v.Addr.AsSlice()
		id := int(b[len(b)-1])
		for id == 0 || used[v.Network][id] {
			id = id%255 + 1
		}
		used[v.Network][id] = true
		v.VRID = id
	}
}

// priority is a member's VRRP priority: the first member highest.
func priority(i int) int { return max(150-10*i, 1) }

func (v vip) prefix() string { return v.Addr.String() + "/" + strconv.Itoa(v.Bits) }
