package validate

import (
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/model"
)

// Rule ids of clustered services whose members vote (Galera, RabbitMQ,
// the OVN RAFT databases, Ceph monitors, etcd).
const (
	RuleQuorumSize          = "quorum-size"
	RuleQuorumDistinctHosts = "quorum-distinct-hosts"
	RuleQuorumRackSpread    = "quorum-rack-spread"
)

func init() {
	register(
		Rule{ID: RuleQuorumSize, Summary: "a quorum service has an odd number of at least 3 members in production; an even number is a warning in the lab", check: checkQuorumSize},
		Rule{ID: RuleQuorumDistinctHosts, Summary: "a quorum service's placement lists each host once", check: checkQuorumDistinct},
		Rule{ID: RuleQuorumRackSpread, Summary: "in production, no rack holds a majority of a quorum service's members", check: checkQuorumRacks},
	)
}

// quorumMembers returns the enabled quorum services with their distinct
// members. Services whose placement names unknown hosts are left out:
// unknown-host reports them, and counting what remains would only add
// consequences of the same mistake.
func (ck *checker) quorumMembers() (svcs []*model.Service, members [][]*model.Host) {
	for _, s := range ck.services {
		if !s.Quorum || !s.Enabled || s.Placement == nil {
			continue
		}
		unknown := false
		for _, name := range s.Placement.Hosts {
			if _, ok := ck.hosts[name]; !ok {
				unknown = true
			}
		}
		m := ck.members(s)
		if unknown || len(m) == 0 {
			continue // none at all is service-unplaced
		}
		svcs = append(svcs, s)
		members = append(members, m)
	}
	return svcs, members
}

func checkQuorumSize(ck *checker) {
	svcs, members := ck.quorumMembers()
	for k, s := range svcs {
		n := len(members[k])
		who := fmt.Sprintf("%s has %d member%s (%s)", s.Name, n, plural(n), enumerate(hostNames(members[k]), 5))
		hosts := "hosts" + setWith(s)
		switch {
		case ck.production() && n == 1:
			ck.d.Errorf(ck.placementPos(s), RuleQuorumSize,
				"%s; the production profile needs an odd number of at least 3, so that it survives the loss of one; place it on 3 %s", who, hosts)
		case ck.production() && n%2 == 0:
			ck.d.Errorf(ck.placementPos(s), RuleQuorumSize,
				"%s; the production profile needs an odd number of at least 3: an even number tolerates no more failures than one fewer, and a split into halves leaves no majority; place it on %s %s",
				who, oddNeighbours(n), hosts)
		case !ck.production() && n%2 == 0:
			ck.d.Warnf(ck.placementPos(s), RuleQuorumSize,
				"%s; an even number tolerates no more failures than one fewer, and a split into halves leaves no majority; place it on %d or %d %s",
				who, n-1, n+1, hosts)
		}
	}
}

// setWith names the setting of a placement that was not written: the
// diagnostic's position cannot point there, so the message does.
func setWith(s *model.Service) string {
	if s.Placement.Pos.IsZero() {
		return " with " + s.Key
	}
	return ""
}

// oddNeighbours suggests the odd member counts next to an even n.
func oddNeighbours(n int) string {
	if n-1 >= 3 {
		return fmt.Sprintf("%d or %d", n-1, n+1)
	}
	return "3"
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func checkQuorumDistinct(ck *checker) {
	seen := map[*model.Placement]bool{}
	for _, s := range ck.services {
		p := s.Placement
		if !s.Quorum || p == nil || seen[p] || len(p.Hosts) < 2 {
			continue
		}
		seen[p] = true
		first := make(map[string]int, len(p.Hosts))
		for i, name := range p.Hosts {
			if j, dup := first[name]; dup {
				ck.d.Errorf(p.At(indexed("hosts", i)), RuleQuorumDistinctHosts,
					"%s lists host %s twice (first at %s); the members of %s vote, so each must be a different host",
					s.Key, name, p.At(indexed("hosts", j)), s.Name)
				continue
			}
			first[name] = i
		}
	}
}

func checkQuorumRacks(ck *checker) {
	if !ck.production() {
		return
	}
	svcs, members := ck.quorumMembers()
	for k, s := range svcs {
		m := members[k]
		n := len(m)
		if n < 3 {
			continue // quorum-size already asks for more members
		}
		var racks []string
		inRack := map[string][]string{}
		var noRack []string
		for _, h := range m {
			if h.Rack == "" {
				noRack = append(noRack, h.Name)
				continue
			}
			if _, ok := inRack[h.Rack]; !ok {
				racks = append(racks, h.Rack)
			}
			inRack[h.Rack] = append(inRack[h.Rack], h.Name)
		}
		if len(racks) == 0 {
			continue // no racks written: nothing to check against
		}
		pos := ck.placementPos(s)
		if len(noRack) > 0 {
			ck.d.Warnf(pos, RuleQuorumRackSpread,
				"%d of the %d members of %s (%s) %s no rack, so Fundament cannot check that losing a rack keeps the quorum; set the rack of every member",
				len(noRack), n, s.Name, enumerate(noRack, 5), pick(len(noRack) == 1, "has", "have"))
		}
		if len(racks) == 1 && len(noRack) == 0 {
			ck.d.Errorf(pos, RuleQuorumRackSpread,
				"all %d members of %s are in rack %s; losing that rack loses the quorum; spread them over at least 3 racks%s",
				n, s.Name, racks[0], setWith(s))
			continue
		}
		for _, r := range racks {
			if hs := inRack[r]; len(hs) > n/2 {
				ck.d.Errorf(pos, RuleQuorumRackSpread,
					"rack %s holds %d of the %d members of %s (%s); losing it loses the quorum; spread the members%s so that no rack holds more than %d",
					r, len(hs), n, s.Name, strings.Join(hs, ", "), setWith(s), n/2)
			}
		}
	}
}
