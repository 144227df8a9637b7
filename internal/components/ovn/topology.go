package ovn

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/fundament-cloud/fundament/internal/components/hostnet"

	"github.com/fundament-cloud/fundament/internal/model"
)

// The ports of OVN's databases (ovn-ctl's defaults, which clients and the
// documentation assume).
const (
	nbPort     = 6641
	sbPort     = 6642
	nbRaftPort = 6643
	sbRaftPort = 6644
)

// member is a host of the central cluster with its internal API address,
// which its databases listen on and RAFT runs over.
type member struct {
	Host string
	Addr netip.Addr
	// HostnetOVS: host networking installs Open vSwitch here (the lab).
	HostnetOVS bool
}

// chassis is a host that runs ovn-controller.
type chassis struct {
	Host    string
	EncapIP netip.Addr
	Gateway bool
	// Iface is the tunnel network's interface; with BrPhy it is the port
	// of the OVS bridge br-phy, which holds EncapIP.
	Iface string
	BrPhy bool
	// HostnetOVS: host networking runs Open vSwitch here and lays out
	// br-phy (the lab); this component adds only OVN's part.
	HostnetOVS bool
}

// topology is where OVN runs: read once from the model.
type topology struct {
	Members  []member // in placement order: the first creates the clusters
	Chassis  []chassis
	Netdev   bool
	Encap    string
	Election int // RAFT election timer in ms, at cluster creation
}

// electionTimer is the RAFT election timer. OVS's default (1 s) makes a
// member start an election whenever it misses heartbeats for a second,
// which a loaded host does: production takes 5 s, the lab, where two
// cores run the whole cloud, 16 s.
func electionTimer(c *model.Cloud) int {
	if c.Spec.Profile == model.ProfileLab {
		return 16000
	}
	return 5000
}

func newTopology(c *model.Cloud) (*topology, error) {
	t := &topology{Netdev: c.Services.OVN.DatapathType == "netdev", Encap: string(c.Services.OVN.EncapType), Election: electionTimer(c)}
	if t.Encap == "" {
		t.Encap = "geneve"
	}
	var problems []string
	for _, h := range c.Select(&c.Services.OVN.Central) {
		_, att := attachment(c, h, model.NetInternalAPI)
		if att == nil || !att.Address.IsValid() {
			problems = append(problems, fmt.Sprintf("central host %s has no address on an internal_api network (its databases listen there)", h.Name))
			continue
		}
		t.Members = append(t.Members, member{Host: h.Name, Addr: att.Address, HostnetOVS: hostnet.ProvidesOVS(c, h)})
	}
	if len(t.Members) == 0 && len(problems) == 0 {
		problems = append(problems, "ovn.central places the databases on no host")
	}
	gateways := map[string]bool{}
	for _, h := range c.Select(&c.Services.OVN.Gateways) {
		gateways[h.Name] = true
	}
	for _, h := range chassisHosts(c) {
		_, att := attachment(c, h, model.NetTunnel)
		if att == nil || !att.Address.IsValid() {
			problems = append(problems, fmt.Sprintf("chassis %s has no address on a tunnel network (its Geneve endpoint)", h.Name))
			continue
		}
		iface, brPhy := TunnelLayout(c, h)
		t.Chassis = append(t.Chassis, chassis{Host: h.Name, EncapIP: att.Address, Gateway: gateways[h.Name], Iface: iface, BrPhy: brPhy,
			HostnetOVS: hostnet.ProvidesOVS(c, h)})
		delete(gateways, h.Name)
	}
	for _, h := range c.Select(&c.Services.OVN.Gateways) {
		if gateways[h.Name] {
			problems = append(problems, fmt.Sprintf("gateway %s (ovn.gateways) is no chassis: only compute and network hosts run ovn-controller", h.Name))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return t, nil
}

// chassisHosts are the hosts that run ovn-controller: the model's service
// ovn-controller (compute and network hosts).
func chassisHosts(c *model.Cloud) []*model.Host {
	for _, s := range c.ServiceList() {
		if s.Name == "ovn-controller" {
			return s.Hosts
		}
	}
	return nil
}

func isChassis(c *model.Cloud, h *model.Host) bool {
	for _, x := range chassisHosts(c) {
		if x == h {
			return true
		}
	}
	return false
}

// attachment returns the host's attachment to the first network of the
// role it is on.
func attachment(c *model.Cloud, h *model.Host, role model.NetworkRole) (*model.LogicalNetwork, *model.Attachment) {
	for _, n := range c.Network.Networks {
		if n == nil || n.Role != role {
			continue
		}
		if att := h.Networks[n.Name]; att != nil {
			return n, att
		}
	}
	return nil, nil
}

// remotes lists every member's address as tcp:IP:port, the form of
// ovn-remote and of northd's database options.
func (t *topology) remotes(port int) string {
	var out []string
	for _, m := range t.Members {
		out = append(out, tcpAddr(m.Addr, port))
	}
	return strings.Join(out, ",")
}

func tcpAddr(a netip.Addr, port int) string {
	return "tcp:" + netip.AddrPortFrom(a, uint16(port)).String()
}

func (t *topology) member(host string) (member, bool) {
	for _, m := range t.Members {
		if m.Host == host {
			return m, true
		}
	}
	return member{}, false
}
