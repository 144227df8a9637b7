package rabbitmq

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
)

// nodeView is what one member said about its cluster, or why it said
// nothing.
type nodeView struct {
	Host, Node string
	Status     *clusterStatus
	Err        error
}

// evaluateCluster judges the cluster from its members' views:
//
//   - DOWN: no member runs; fewer than a majority of the members run in
//     the cluster (quorum queues take no messages); or a resource alarm
//     (memory, disk) blocks every publisher of the cluster.
//   - DEGRADED: it works, but a member does not run (host down, server
//     stopped, paused by pause_minority), runs apart from the cluster
//     (a cluster of its own), a node reports a partition, or the cluster
//     has a member the model does not.
//   - OK otherwise.
//
// Hosts names the members at fault (for an alarm: the members with
// one), or every member when none is to blame in particular (and when
// all is well): a rolling group's gate after a member's batch waits only
// for results about that member, so that the first member of a new
// cluster passes its gate while the others do not run yet.
func evaluateCluster(views []nodeView) health.Result {
	r := health.Result{Target: "rabbitmq"}
	var all []string
	hostOf := map[string]string{}
	for _, v := range views {
		all = append(all, v.Host)
		hostOf[v.Node] = v.Host
	}
	name := func(node string) string {
		if h, ok := hostOf[node]; ok {
			return h
		}
		return node
	}
	var problems, alarms []string
	faulty, alarmed := map[string]bool{}, map[string]bool{}
	fault := func(host, format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
		if host != "" {
			faulty[host] = true
		}
	}
	// The cluster: the view of the running member that sees the most
	// members running (the first such in placement order).
	var main *nodeView
	for i := range views {
		v := &views[i]
		if v.Err == nil && v.Status != nil && v.Status.runs(v.Node) &&
			(main == nil || len(v.Status.RunningNodes) > len(main.Status.RunningNodes)) {
			main = v
		}
	}
	healthy := 0
	for _, v := range views {
		switch {
		case v.Err != nil:
			fault(v.Host, "%s: %v", v.Host, v.Err)
		case !v.Status.runs(v.Node):
			fault(v.Host, "%s: the node is up but RabbitMQ does not run on it (stopped, or paused by pause_minority)", v.Host)
		case !main.Status.runs(v.Node):
			fault(v.Host, "%s runs apart from the cluster of %s (its own cluster: %s)", v.Host, name(main.Node), names(v.Status.DiskNodes, name))
		default:
			healthy++
		}
	}
	if main != nil {
		for _, n := range main.Status.DiskNodes {
			if _, ok := hostOf[n]; !ok {
				fault("", "%s is a member of the cluster but not of the model (remove it: rabbitmqctl forget_cluster_node %s)", n, n)
			}
		}
	}
	// Alarms and partitions, as any member reports them.
	seenAlarm, seenPartition := map[string]bool{}, map[string]bool{}
	for _, v := range views {
		if v.Status == nil {
			continue
		}
		for _, a := range v.Status.Alarms {
			node := a.Node
			if node == "" {
				node = v.Node
			}
			text := fmt.Sprintf("%s alarm on %s", a.Resource, name(node))
			if !seenAlarm[text] {
				seenAlarm[text] = true
				alarms = append(alarms, text)
				if h, ok := hostOf[node]; ok {
					alarmed[h] = true
				}
			}
		}
		for node, from := range v.Status.Partitions {
			if len(from) == 0 {
				continue
			}
			text := fmt.Sprintf("%s was cut off from %s (a network partition)", name(node), names(from, name))
			if !seenPartition[text] {
				seenPartition[text] = true
				fault(hostOf[node], "%s", text)
			}
		}
	}
	sort.Strings(problems)
	sort.Strings(alarms)
	atFault := func(set map[string]bool) []string {
		var out []string
		for _, h := range all {
			if set[h] {
				out = append(out, h)
			}
		}
		if len(out) == 0 {
			return all
		}
		return out
	}
	n := len(views)
	majority := n/2 + 1
	switch {
	case main == nil:
		r.Status, r.Hosts = health.Down, all
		r.Reason = "no member runs: " + strings.Join(problems, "; ")
	case healthy < majority:
		r.Status, r.Hosts = health.Down, atFault(faulty)
		r.Reason = fmt.Sprintf("no quorum: %d of %d members run in the cluster, %d needed (quorum queues take no messages); %s",
			healthy, n, majority, strings.Join(problems, "; "))
	case len(alarms) > 0:
		r.Status, r.Hosts = health.Down, atFault(alarmed)
		r.Reason = "publishers are blocked: " + strings.Join(alarms, "; ")
		if len(problems) > 0 {
			r.Reason += "; " + strings.Join(problems, "; ")
		}
	case len(problems) > 0:
		r.Status, r.Hosts = health.Degraded, atFault(faulty)
		r.Reason = fmt.Sprintf("%d/%d members run in the cluster; %s", healthy, n, strings.Join(problems, "; "))
	default:
		r.Status, r.Hosts = health.OK, all
		r.Reason = fmt.Sprintf("%d/%d members run in the cluster (%s), no alarms, no partitions", healthy, n, strings.Join(all, ", "))
	}
	return r
}

// names lists nodes by their hosts, sorted.
func names(nodes []string, name func(string) string) string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = name(n)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
