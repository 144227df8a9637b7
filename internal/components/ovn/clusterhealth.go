package ovn

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
)

// maxLag is how many log entries a member may be behind the leader and
// still count as in step: a busy southbound database is a few entries
// behind at any moment; a member that far behind is catching up after a
// restart, or cannot keep up.
const maxLag = 500

// memberView is what one member said about its cluster, or why it said
// nothing.
type memberView struct {
	Host   string
	Addr   string // its RAFT address, tcp:IP:port
	Status *clusterStatus
	Err    error
}

// evaluateCluster judges a database cluster from its members' views:
//
//   - DOWN: no member is the leader, or fewer than a majority of the
//     members are healthy (reachable, a cluster member, following the
//     leader): the database takes no writes.
//   - DEGRADED: it works, but a member is unreachable, not running, not
//     (yet) a member, not connected to another, more than maxLag entries
//     behind the leader, missing from the cluster's configuration, or the
//     configuration holds a server that is no member of the model.
//   - OK otherwise.
//
// A DEGRADED result names the members at fault in Hosts (a rolling
// group's gate after another member's batch need not wait for them: a
// later batch may be what repairs them); OK and DOWN name every member.
func evaluateCluster(db database, views []memberView) health.Result {
	r := health.Result{Target: db.Schema}
	var all []string
	hostOf := map[string]string{} // RAFT address -> host
	for _, v := range views {
		all = append(all, v.Host)
		hostOf[v.Addr] = v.Host
	}
	var problems []string
	faulty := map[string]bool{}
	fault := func(host, format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
		if host != "" {
			faulty[host] = true
		}
	}
	// The leader: the member that says so, with the highest term when a
	// cut-off one still believes it leads.
	var leader *memberView
	for i := range views {
		v := &views[i]
		if v.Err != nil || v.Status == nil {
			continue
		}
		if v.Status.Role == "leader" && (leader == nil || v.Status.Term > leader.Status.Term) {
			leader = v
		}
	}
	sidHost := map[string]string{}
	for _, v := range views {
		if v.Status != nil {
			sidHost[v.Status.ServerID] = v.Host
		}
	}
	// The configuration as the leader (else any member) sees it.
	var config []raftServer
	if leader != nil {
		config = leader.Status.Servers
	} else {
		for _, v := range views {
			if v.Status != nil && len(v.Status.Servers) > 0 {
				config = v.Status.Servers
				break
			}
		}
	}
	for _, s := range config {
		if h, ok := hostOf[s.Address]; ok {
			sidHost[s.SID] = h
		}
	}
	name := func(sid string) string {
		if h, ok := sidHost[sid]; ok {
			return h
		}
		return "server " + sid
	}
	healthy := 0
	for _, v := range views {
		switch {
		case v.Err != nil:
			fault(v.Host, "%s: %v", v.Host, v.Err)
		case v.Status.Status != "cluster member":
			fault(v.Host, "%s is not a cluster member: %s", v.Host, v.Status.Status)
		case v.Status.Address != v.Addr:
			fault(v.Host, "%s runs RAFT at %s, want %s", v.Host, v.Status.Address, v.Addr)
		case leader == nil:
			// counted below: no leader at all
		case v.Host == leader.Host:
			healthy++
		case v.Status.Role == "leader":
			fault(v.Host, "%s still claims leadership (term %d, the leader %s is in term %d)", v.Host, v.Status.Term, leader.Host, leader.Status.Term)
		case v.Status.Leader != leader.Status.ServerID:
			fault(v.Host, "%s follows %s, not the leader %s", v.Host, leaderName(v.Status.Leader, name), leader.Host)
		default:
			healthy++
		}
	}
	// Membership: every member in the configuration, nothing else.
	inConfig := map[string]bool{}
	for _, s := range config {
		inConfig[s.Address] = true
		if _, ok := hostOf[s.Address]; !ok {
			fault("", "server %s at %s is in the cluster but no member of the model (remove it: ovn-appctl -t %s cluster/kick %s %s)", s.SID, s.Address, db.Ctl, db.Schema, s.SID)
		}
		if s.Phase != "" {
			fault(sidHost[s.SID], "%s is %s", name(s.SID), s.Phase)
		}
	}
	if len(config) > 0 {
		for _, v := range views {
			if !inConfig[v.Addr] {
				fault(v.Host, "%s is not in the cluster's configuration", v.Host)
			}
		}
	}
	// Connections: each healthy member with every other server, judged
	// only where both ends are up (an unreachable member is reported
	// already).
	up := map[string]bool{}
	for _, v := range views {
		if v.Status != nil && v.Err == nil {
			up[v.Status.ServerID] = true
		}
	}
	for _, v := range views {
		if v.Status == nil || v.Err != nil {
			continue
		}
		for _, s := range config {
			if s.SID != v.Status.ServerID && up[s.SID] && !v.Status.connectedTo(s.SID) {
				fault(v.Host, "%s is not connected to %s", v.Host, name(s.SID))
			}
		}
	}
	// Lag, from the leader's record of each server.
	maxSeen := uint64(0)
	if leader != nil && leader.Status.LogEnd > 0 {
		last := leader.Status.LogEnd - 1
		for _, s := range leader.Status.Servers {
			if s.Self || !s.HasMatchIndex || s.MatchIndex >= last || !up[s.SID] {
				continue
			}
			lag := last - s.MatchIndex
			maxSeen = max(maxSeen, lag)
			if lag > maxLag {
				fault(sidHost[s.SID], "%s is %d log entries behind the leader", name(s.SID), lag)
			}
		}
	}
	sort.Strings(problems)
	r.Hosts = all
	n := max(len(views), len(config))
	majority := n/2 + 1
	switch {
	case leader == nil:
		r.Status = health.Down
		r.Reason = "no leader: the database takes no writes"
		if len(problems) > 0 {
			r.Reason += "; " + strings.Join(problems, "; ")
		}
	case healthy < majority:
		r.Status = health.Down
		r.Reason = fmt.Sprintf("no quorum: %d of %d members healthy, %d needed; %s", healthy, n, majority, strings.Join(problems, "; "))
	case len(problems) > 0:
		r.Status = health.Degraded
		if len(faulty) > 0 {
			r.Hosts = nil
			for _, h := range all {
				if faulty[h] {
					r.Hosts = append(r.Hosts, h)
				}
			}
		}
		r.Reason = fmt.Sprintf("%d/%d members healthy, leader %s (term %d); %s", healthy, n, leader.Host, leader.Status.Term, strings.Join(problems, "; "))
	default:
		r.Status = health.OK
		r.Reason = fmt.Sprintf("%d/%d members, leader %s (term %d), all connected, followers at most %d log entries behind", healthy, n, leader.Host, leader.Status.Term, maxSeen)
	}
	return r
}

func leaderName(sid string, name func(string) string) string {
	if sid == "" || sid == "unknown" {
		return "no leader"
	}
	return name(sid)
}
