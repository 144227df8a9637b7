package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

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
	for _, name := range cat.GroupNames() {
		byHost := map[string][]*node{}
		has := map[string]bool{}
		for _, n := range g.actions {
			if n.item.Group == name {
				byHost[n.host] = append(byHost[n.host], n)
				has[n.host] = true
			}
		}
		var prevGate *node
		for _, batchHosts := range cat.Groups[name].Batches(has) {
			var members []*node
			for _, h := range batchHosts {
				members = append(members, byHost[h]...)
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

func (n *node) String() string {
	if n.isGate {
		return fmt.Sprintf("the health gate of rolling group %s %s %s", n.group, n.gatePhase, strings.Join(n.gateHosts, ", "))
	}
	return n.host + "/" + n.item.Resource.ID().String()
}

// waits lists what a node waits for before it runs: its dependencies
// that are not finished from the start, and, for an action, the action
// before it on its host (a host runs one at a time, in order).
func (g *graph) waits(n *node, before map[*node]*node) []*node {
	var out []*node
	for _, d := range n.deps {
		select {
		case <-d.done:
		default:
			out = append(out, d)
		}
	}
	if p := before[n]; p != nil {
		out = append(out, p)
	}
	return out
}

// checkCycles refuses a graph in which something waits, through
// dependencies, per-host order and gates, for itself: such a run would
// hang. The catalog refuses such cycles already (catalog.New); this is
// the check of the graph as it runs, before anything does.
func (g *graph) checkCycles() error {
	before := map[*node]*node{}
	for _, ns := range g.perHost {
		for i := 1; i < len(ns); i++ {
			before[ns[i]] = ns[i-1]
		}
	}
	roots := append(append([]*node(nil), g.actions...), g.gates...)
	cycle := catalog.FindCycle(roots, func(n *node) []*node { return g.waits(n, before) })
	if cycle == nil {
		return nil
	}
	var b strings.Builder
	for i, c := range cycle {
		if i > 0 {
			b.WriteString(" -> ")
			if prev := cycle[i-1]; before[prev] == c && !slices.Contains(prev.deps, c) {
				b.WriteString("(the step before it on " + c.host + ") ")
			}
		}
		b.WriteString(c.String())
	}
	return fmt.Errorf("a dependency cycle, nothing would run (each waits for the next): %s", b.String())
}
