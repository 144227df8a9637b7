package lab

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/model"
)

// Topology is what the lab builds for a model: one node per host and
// switch, the management network they share with the machine, and one
// link per cable.
type Topology struct {
	Cloud  string
	Domain string
	DNS    []string
	// Machine is the machine's address on the management bridge (the
	// management network's gateway), with the network's prefix length.
	Machine netip.Prefix
	Nodes   []*Node
	Links   []Link
	// Routes lead from the machine to the external networks (routes.go);
	// RoutesProblem says why there are none where some were wanted.
	Routes        []Route
	RoutesProblem error
}

// Node is a lab host: a server of the inventory or a switch of the fabric.
type Node struct {
	Name   string
	Switch bool
	// MgmtIf is the interface on the management bridge (eth0 on switches).
	MgmtIf string
	// Mgmt is the node's management address with the network's prefix length.
	Mgmt netip.Prefix
	// Ports are the interfaces cables end on, in cable order.
	Ports []string
	// MACs are the addresses the inventory gives interfaces.
	MACs  map[string]string
	Disks []Disk
}

// Disk is a block device the lab gives a host, backed by a sparse file.
type Disk struct {
	Device string // path inside the host, e.g. /dev/vdb
	Bytes  int64
}

// Link is a cable: a veth pair between two nodes' ports.
type Link struct{ A, B End }

// End is one end of a link.
type End struct{ Node, Port string }

func (e End) String() string { return e.Node + ":" + e.Port }

func (l Link) String() string { return l.A.String() + " <-> " + l.B.String() }

// defaultDiskBytes is a disk's size when the model gives none.
const defaultDiskBytes = 10 << 30

// maxIfName is Linux's limit on interface names (IFNAMSIZ - 1).
const maxIfName = 15

// FromModel plans the lab of a validated model.
func FromModel(c *model.Cloud) (*Topology, error) {
	t := &Topology{Cloud: c.Spec.Name, Domain: c.Spec.Domain}
	for _, a := range c.Spec.DNSServers {
		t.DNS = append(t.DNS, a.String())
	}
	mgmt := managementNetwork(c)
	if mgmt == nil {
		return nil, fmt.Errorf("the lab needs a network with role management in network.yaml: the machine reaches the hosts on it")
	}
	if !mgmt.Gateway.IsValid() {
		return nil, fmt.Errorf("%s: network %s needs a gateway: in the lab it is the machine's address on the management bridge", mgmt.At("gateway"), mgmt.Name)
	}
	t.Machine = netip.PrefixFrom(mgmt.Gateway, mgmt.Prefix.Bits())
	seen := map[netip.Addr]string{mgmt.Gateway: "the machine (the gateway of " + mgmt.Name + ")"}
	claim := func(node string, a netip.Addr) error {
		if other, ok := seen[a]; ok {
			return fmt.Errorf("%s and %s both use management address %s", other, node, a)
		}
		seen[a] = node
		return nil
	}
	for _, h := range c.Hosts {
		att := h.Networks[mgmt.Name]
		if att == nil || !att.Address.IsValid() {
			return nil, fmt.Errorf("%s: host %s has no address on the management network %s; the lab reaches hosts there", h.At("networks"), h.Name, mgmt.Name)
		}
		if i := h.Interface(att.Interface); i != nil && i.Bond != nil {
			return nil, fmt.Errorf("%s: host %s: the lab cables the management network to a plain interface, not the bond %s", att.At("interface"), h.Name, att.Interface)
		}
		if err := claim(h.Name, att.Address); err != nil {
			return nil, err
		}
		n := &Node{Name: h.Name, MgmtIf: att.Interface, Mgmt: netip.PrefixFrom(att.Address, mgmt.Prefix.Bits()), MACs: map[string]string{}}
		for _, i := range h.Interfaces {
			if i.MAC != "" && i.Bond == nil {
				n.MACs[i.Name] = string(i.MAC)
			}
		}
		for _, d := range h.Disks {
			b, err := parseSize(d.Size)
			if err != nil {
				return nil, fmt.Errorf("%s: host %s disk %s: %v", d.At("size"), h.Name, d.Device, err)
			}
			n.Disks = append(n.Disks, Disk{Device: d.Device, Bytes: b})
		}
		t.Nodes = append(t.Nodes, n)
	}
	for _, s := range c.Network.Switches {
		if !s.ManagementAddress.IsValid() {
			return nil, fmt.Errorf("%s: switch %s has no management_address; the lab reaches switches there", s.At("name"), s.Name)
		}
		if !mgmt.Prefix.Contains(s.ManagementAddress) {
			return nil, fmt.Errorf("%s: switch %s: management_address %s is outside the management network %s", s.At("management_address"), s.Name, s.ManagementAddress, mgmt.Prefix)
		}
		if err := claim(s.Name, s.ManagementAddress); err != nil {
			return nil, err
		}
		t.Nodes = append(t.Nodes, &Node{Name: s.Name, Switch: true, MgmtIf: "eth0", Mgmt: netip.PrefixFrom(s.ManagementAddress, mgmt.Prefix.Bits())})
	}
	byName := map[string]*Node{}
	for _, n := range t.Nodes {
		byName[n.Name] = n
	}
	for _, cb := range c.Network.Cables {
		l := Link{A: End{cb.A.Device, cb.A.Port}, B: End{cb.B.Device, cb.B.Port}}
		for _, e := range []End{l.A, l.B} {
			n := byName[e.Node]
			if n == nil {
				return nil, fmt.Errorf("%s: cable %s: no host or switch %s", cb.At("a"), l, e.Node)
			}
			if len(e.Port) > maxIfName || strings.ContainsAny(e.Port, "/ :") {
				return nil, fmt.Errorf("%s: cable %s: port %s cannot be a Linux interface name", cb.At("a"), l, e.Port)
			}
			if e.Port == n.MgmtIf {
				return nil, fmt.Errorf("%s: cable %s: %s is %s's management interface, which the lab puts on the management bridge", cb.At("a"), l, e.Port, n.Name)
			}
			n.Ports = append(n.Ports, e.Port)
		}
		t.Links = append(t.Links, l)
	}
	// A fabric Fundament cannot configure (its fabric component says why
	// at apply) leaves the machine without routes, not without a lab.
	t.Routes, t.RoutesProblem = externalRoutes(c, mgmt)
	return t, nil
}

func managementNetwork(c *model.Cloud) *model.LogicalNetwork {
	for _, n := range c.Network.Networks {
		if n.Role == model.NetManagement {
			return n
		}
	}
	return nil
}

// Node returns the node called name, or nil.
func (t *Topology) Node(name string) *Node {
	for _, n := range t.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// NodeNames lists the nodes, sorted.
func (t *Topology) NodeNames() []string {
	var names []string
	for _, n := range t.Nodes {
		names = append(names, n.Name)
	}
	sort.Strings(names)
	return names
}

// LinksBetween returns the links between a and b, where each of a and b is
// a node name or NODE:PORT.
func (t *Topology) LinksBetween(a, b string) []Link {
	match := func(e End, s string) bool {
		if node, port, ok := strings.Cut(s, ":"); ok {
			return e.Node == node && e.Port == port
		}
		return e.Node == s
	}
	var out []Link
	for _, l := range t.Links {
		if (match(l.A, a) && match(l.B, b)) || (match(l.A, b) && match(l.B, a)) {
			out = append(out, l)
		}
	}
	return out
}

// parseSize reads sizes such as 20G, 512M, 1.5T (powers of 1024; "" is
// the default size).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return defaultDiskBytes, nil
	}
	mult := map[byte]float64{'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}
	u := strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(s, "B"), "i"))
	f := 1.0
	if m, ok := mult[u[len(u)-1]]; ok {
		f, u = m, u[:len(u)-1]
	}
	v, err := strconv.ParseFloat(u, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("size %q is not a size such as 20G", s)
	}
	b := int64(v * f)
	if b < 1<<20 {
		return 0, fmt.Errorf("size %q is below 1M", s)
	}
	return b, nil
}
