package catalog

import (
	"sort"
	"strings"
)

// The graph the engine runs is more than the items' dependencies: a
// rolling group's batch waits for the health gate after the batch before
// it, which waits for that batch's items; and each host runs its items
// one at a time in Order. A cycle through any of these hangs an apply, so
// New refuses it, naming it. Order follows the gates too, so a host's
// order never waits for something that waits for the host: with the
// dependencies and gates acyclic, the per-host order adds no cycle (the
// engine checks its own graph, per-host order included, before it runs).

// gate is the health gate after one batch of a rolling group.
type gate struct {
	group   string
	hosts   []string
	members []*Item
}

func (g *gate) String() string {
	return "the health gate of rolling group " + g.group + " after " + strings.Join(g.hosts, ", ")
}

// GroupNames lists the rolling groups, sorted.
func (c *Catalog) GroupNames() []string {
	names := make([]string, 0, len(c.Groups))
	for name := range c.Groups {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Batches cuts the group into the batches it rolls in: BatchSize hosts at
// a time in the group's order (the hosts of has, sorted, when the group
// names none), each batch keeping the hosts of has (those with something
// to do in the group), empty batches left out.
func (g *Group) Batches(has map[string]bool) [][]string {
	order := g.Hosts
	if len(order) == 0 {
		for h := range has {
			order = append(order, h)
		}
		sort.Strings(order)
	}
	var out [][]string
	for start := 0; start < len(order); start += max(g.BatchSize, 1) {
		var batch []string
		for _, h := range order[start:min(start+max(g.BatchSize, 1), len(order))] {
			if has[h] {
				batch = append(batch, h)
			}
		}
		if len(batch) > 0 {
			out = append(out, batch)
		}
	}
	return out
}

// rollGates cuts each group's items into its batches, as the engine does
// when every item acts, and returns, per item, the gate it waits for
// (none for the first batch).
func (c *Catalog) rollGates() map[*Item]*gate {
	waits := map[*Item]*gate{}
	for _, name := range c.GroupNames() {
		byHost := map[string][]*Item{}
		has := map[string]bool{}
		for _, it := range c.Items {
			if it.Group == name {
				byHost[it.Host] = append(byHost[it.Host], it)
				has[it.Host] = true
			}
		}
		var prev *gate
		for _, batch := range c.Groups[name].Batches(has) {
			g := &gate{group: name, hosts: batch}
			for _, h := range batch {
				g.members = append(g.members, byHost[h]...)
			}
			if prev != nil {
				for _, m := range g.members {
					waits[m] = prev
				}
			}
			prev = g
		}
	}
	return waits
}

// waitsFor lists what a vertex (an *Item or a *gate) waits for: an item
// its dependencies and the gate before its batch, a gate its batch.
func (c *Catalog) waitsFor(v any, gates map[*Item]*gate) []any {
	switch v := v.(type) {
	case *Item:
		var out []any
		for _, r := range c.deps(v) {
			out = append(out, c.index[r])
		}
		if g := gates[v]; g != nil {
			out = append(out, g)
		}
		return out
	case *gate:
		out := make([]any, len(v.members))
		for i, m := range v.members {
			out[i] = m
		}
		return out
	}
	return nil
}

func vertexName(v any) string {
	if it, ok := v.(*Item); ok {
		return it.Ref().String()
	}
	return v.(*gate).String()
}

// findCycle returns a cycle of the graph (dependencies, rolling batches
// and their gates) as names, each waiting for the next, the first
// repeated at the end; nil when there is none.
func (c *Catalog) findCycle() []string {
	gates := c.rollGates()
	roots := make([]any, len(c.Items))
	for i, it := range c.Items {
		roots[i] = it
	}
	var names []string
	for _, v := range FindCycle(roots, func(v any) []any { return c.waitsFor(v, gates) }) {
		names = append(names, vertexName(v))
	}
	return names
}

// FindCycle searches the graph reachable from roots, where waits lists a
// vertex's successors, for a cycle: its vertices in order, the first
// repeated at the end; nil when there is none.
func FindCycle[V comparable](roots []V, waits func(V) []V) []V {
	const (
		white = iota
		grey
		black
	)
	color := map[V]int{}
	var stack, cycle []V
	var visit func(v V) bool
	visit = func(v V) bool {
		color[v] = grey
		stack = append(stack, v)
		for _, next := range waits(v) {
			switch color[next] {
			case grey:
				i := len(stack) - 1
				for stack[i] != next {
					i--
				}
				cycle = append(append(cycle, stack[i:]...), next)
				return true
			case white:
				if visit(next) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[v] = black
		return false
	}
	for _, v := range roots {
		if color[v] == white && visit(v) {
			return cycle
		}
	}
	return nil
}
