package validate

import (
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/model"
)

// RuleServiceNetworkMissing: a host runs a service that talks on a
// network the host is not attached to.
const RuleServiceNetworkMissing = "service-network-missing"

func init() {
	register(Rule{ID: RuleServiceNetworkMissing,
		Summary: "beyond what their roles need, the hosts of a service are on the networks it needs (those of ceph-mon and ceph-mgr on a storage_public network, those of ceph-osd also on a storage_cluster network, those of a service its package declares on what it declares), and those of the load balancer on the network of each virtual IP",
		check:   checkServiceNetworks})
}

// hostServiceNeeds is what the services on one host need of its networks.
type hostServiceNeeds struct {
	roles     []model.NetworkRole // in order of first need
	byRole    map[model.NetworkRole][]*model.Service
	nets      []string // networks of virtual IPs, in order of first need
	vipsByNet map[string][]*model.VirtualIP
}

func checkServiceNetworks(ck *checker) {
	if len(ck.networks) == 0 {
		return // network.yaml is missing or empty: reported while loading
	}
	var vips []*model.VirtualIP
	for _, v := range ck.c.Network.VirtualIPs {
		if ck.networks[v.Network] != nil {
			vips = append(vips, v) // others are unknown-network's
		}
	}

	perHost := map[*model.Host]*hostServiceNeeds{}
	get := func(h *model.Host) *hostServiceNeeds {
		n := perHost[h]
		if n == nil {
			n = &hostServiceNeeds{byRole: map[model.NetworkRole][]*model.Service{}, vipsByNet: map[string][]*model.VirtualIP{}}
			perHost[h] = n
		}
		return n
	}
	var lb *model.Service
	for _, s := range ck.services {
		roles := s.Networks
		isLB := s.VIPs && len(vips) > 0
		if !s.Enabled || (len(roles) == 0 && !isLB) {
			continue
		}
		if isLB {
			lb = s
		}
		for _, h := range ck.members(s) {
			n := get(h)
			for _, nr := range roles {
				if len(n.byRole[nr]) == 0 {
					n.roles = append(n.roles, nr)
				}
				n.byRole[nr] = append(n.byRole[nr], s)
			}
			if isLB {
				for _, v := range vips {
					if len(n.vipsByNet[v.Network]) == 0 {
						n.nets = append(n.nets, v.Network)
					}
					n.vipsByNet[v.Network] = append(n.vipsByNet[v.Network], v)
				}
			}
		}
	}
	if len(perHost) == 0 {
		return
	}

	cephOn := model.Enabled(ck.c.Services.Ceph.Enabled, true)
	roleNeed := roleNeeds(cephOn)
	byRole := map[model.NetworkRole][]string{}
	for _, n := range ck.c.Network.Networks {
		if ck.networks[n.Name] == n {
			byRole[n.Role] = append(byRole[n.Role], n.Name)
		}
	}
	// Network roles no network has: role-network-missing reports each that
	// a host's roles need once; the others are reported once here.
	type lack struct {
		services []*model.Service
		hosts    []string
	}
	undefined := map[model.NetworkRole]*lack{}
	var undefinedOrder []model.NetworkRole
	roleReportsUndefined := map[model.NetworkRole]bool{}
	for _, h := range ck.c.Hosts {
		if ck.primary(h) {
			for _, r := range h.Roles {
				for _, nr := range roleNeed[r] {
					roleReportsUndefined[nr] = true
				}
			}
		}
	}

	for _, h := range ck.c.Hosts {
		need := perHost[h]
		if need == nil || !ck.primary(h) {
			continue
		}
		attached := map[model.NetworkRole]bool{}
		for name := range h.Networks {
			if n := ck.networks[name]; n != nil {
				attached[n.Role] = true
			}
		}
		// What role-network-missing already says of this host.
		byHostRoles := map[model.NetworkRole]bool{}
		for _, r := range h.Roles {
			for _, nr := range roleNeed[r] {
				byHostRoles[nr] = true
			}
		}
		for _, nr := range need.roles {
			if attached[nr] || byHostRoles[nr] {
				continue
			}
			svcs := need.byRole[nr]
			nets := byRole[nr]
			if len(nets) == 0 {
				if roleReportsUndefined[nr] {
					continue
				}
				l := undefined[nr]
				if l == nil {
					l = &lack{}
					undefined[nr] = l
					undefinedOrder = append(undefinedOrder, nr)
				}
				for _, s := range svcs {
					if !containsService(l.services, s) {
						l.services = append(l.services, s)
					}
				}
				l.hosts = append(l.hosts, h.Name)
				continue
			}
			to := nets[0]
			if len(nets) > 1 {
				to = "one of " + strings.Join(nets, ", ")
			}
			ck.d.Errorf(h.At("name"), RuleServiceNetworkMissing,
				"host %s is not attached to a%s %s network, which %s on %s hosts; attach it to %s, or place %s on other hosts",
				h.Name, article(string(nr)), nr, needPhrase(svcs), theirIts(svcs), to, itThem(svcs))
		}
		for _, net := range need.nets {
			if h.Networks[net] != nil {
				continue
			}
			nr := ck.networks[net].Role
			if byHostRoles[nr] && !attached[nr] {
				continue // role-network-missing: the same host and network role
			}
			vs := need.vipsByNet[net]
			names := make([]string, len(vs))
			for i, v := range vs {
				names[i] = fmt.Sprintf("%s (%s)", v.Name, v.At("address"))
			}
			what := "virtual IP " + names[0]
			if len(vs) > 1 {
				what = "virtual IPs " + andList(names)
			}
			ck.d.Errorf(h.At("name"), RuleServiceNetworkMissing,
				"host %s is not attached to network %s, but it runs %s, which holds %s there; attach the host to %s, or place loadbalancer on other hosts",
				h.Name, net, withPlacement(lb), what, net)
		}
	}
	for _, nr := range undefinedOrder {
		l := undefined[nr]
		ck.d.Errorf(ck.c.Network.At("networks"), RuleServiceNetworkMissing,
			"no network has role %s, which %s on %s hosts (%s); add a network with role: %s",
			nr, needPhrase(l.services), theirIts(l.services), hostCount(l.hosts), nr)
	}
}

func containsService(ss []*model.Service, s *model.Service) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// needPhrase renders "ceph-mon (ceph.monitors at services/ceph.yaml:11:13)
// needs" or, for several services, "... and ... need".
func needPhrase(ss []*model.Service) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = withPlacement(s)
	}
	if len(ss) == 1 {
		return parts[0] + " needs"
	}
	return andList(parts) + " need"
}

func theirIts(ss []*model.Service) string {
	if len(ss) == 1 {
		return "its"
	}
	return "their"
}

func itThem(ss []*model.Service) string {
	if len(ss) == 1 {
		return ss[0].Name
	}
	return "them"
}

// withPlacement names a service and where its placement is written, or
// what it defaults to: "ceph-mon (ceph.monitors at services/ceph.yaml:11:13)",
// "glance (openstack.glance.hosts, by default hosts with role control)".
func withPlacement(s *model.Service) string {
	if p := s.Placement; !p.Pos.IsZero() {
		return fmt.Sprintf("%s (%s at %s)", s.Name, s.Key, p.Pos)
	}
	return fmt.Sprintf("%s (%s, by default %s)", s.Name, s.Key, describeSelector(s.Placement))
}
