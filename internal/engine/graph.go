package engine

import (
	"sort"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/plan"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// node is an action, a health gate, or a placeholder for a resource that
// needs no action (done from the start) or cannot be acted on (its host
// was unreachable when planned: skipped from the start).
type node struct {
	item   *catalog.Item
	change resource.Change
	host   string
	deps   []*node
	done   chan struct{}
	status Status
	reason string // why a node was skipped
	result Result

	// gate fields
	group      string
	gateHosts  []string
	isGate     bool
	gatePhase  GatePhase
	desiredSum string
}

func newNode() *node { return &node{done: make(chan struct{})} }

func (n *node) finish(st Status) {
	n.status = st
	close(n.done)
}

type graph struct {
	actions     []*node
	gates       []*node
	perHost     map[string][]*node
	hosts       []string
	unreachable []string
}

func buildGraph(cat *catalog.Catalog, p *plan.Plan) *graph {
	g := &graph{perHost: map[string][]*node{}}
	planned := map[catalog.Ref]*plan.ItemPlan{}
	down := map[string]bool{}
	for _, h := range p.Hosts {
		if !h.Reachable {
			down[h.Host] = true
			g.unreachable = append(g.unreachable, h.Host)
			continue
		}
		for _, it := range h.Items {
			planned[it.Ref] = it
		}
	}
	byRef := map[catalog.Ref]*node{}
	for _, it := range cat.Order() {
		n := newNode()
		n.item, n.host = it, it.Host
		byRef[it.Ref()] = n
		ip := planned[it.Ref()]
		switch {
		case down[it.Host]:
			n.reason = "host " + it.Host + " was unreachable when planned"
			n.finish(StatusSkipped)
		case ip == nil || ip.Change.Op == resource.OpNone:
			n.finish(StatusSucceeded)
		default:
			n.change = ip.Change
			n.desiredSum = ip.DesiredHash
			n.result = Result{Host: it.Host, Resource: it.Resource.ID().String(), Op: string(ip.Change.Op)}
			g.actions = append(g.actions, n)
			g.perHost[it.Host] = append(g.perHost[it.Host], n)
		}
		for _, r := range it.After {
			n.deps = append(n.deps, byRef[r])
		}
		for _, r := range it.Subscribes {
			n.deps = append(n.deps, byRef[r])
		}
	}
	for h := range g.perHost {
		g.hosts = append(g.hosts, h)
	}
	sort.Strings(g.hosts)
	g.addGates(cat)
	return g
}

// addGates chains the batches of each rolling group: the group's actions
// on batch k+1 wait for a gate that waits for batch k's actions and then
// checks their health.
func (g *graph) addGates(cat *catalog.Catalog) {
	names := make([]string, 0, len(cat.Groups))
	for name := range cat.Groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		grp := cat.Groups[name]
		byHost := map[string][]*node{}
		for _, n := range g.actions {
			if n.item.Group == name {
				byHost[n.host] = append(byHost[n.host], n)
			}
		}
		order := grp.Hosts
		if len(order) == 0 {
			for h := range byHost {
				order = append(order, h)
			}
			sort.Strings(order)
		}
		var prevGate *node
		for start := 0; start < len(order); start += grp.BatchSize {
			batch := order[start:min(start+grp.BatchSize, len(order))]
			var members []*node
			var batchHosts []string
			for _, h := range batch {
				if len(byHost[h]) > 0 {
					members = append(members, byHost[h]...)
					batchHosts = append(batchHosts, h)
				}
			}
			if len(members) == 0 {
				continue
			}
			if restartsRunning(members) {
				// A restart takes a serving member down: only while the
				// others serve.
				pre := newNode()
				pre.isGate, pre.group, pre.gateHosts, pre.gatePhase = true, name, batchHosts, GateBefore
				if prevGate != nil {
					pre.deps = append(pre.deps, prevGate)
				}
				g.gates = append(g.gates, pre)
				prevGate = pre
			}
			if prevGate != nil {
				for _, m := range members {
					m.deps = append(m.deps, prevGate)
				}
			}
			gate := newNode()
			gate.isGate, gate.group, gate.gateHosts, gate.gatePhase = true, name, batchHosts, GateAfter
			gate.deps = append(gate.deps, members...)
			g.gates = append(g.gates, gate)
			prevGate = gate
		}
	}
}

// restartsRunning: some action restarts a service that runs (a config
// change of a serving cluster member), rather than starting one.
func restartsRunning(actions []*node) bool {
	for _, n := range actions {
		if n.change.Op == resource.OpRestart {
			return true
		}
	}
	return false
}
