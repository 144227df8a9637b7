package catalog

import (
	"container/heap"
	"slices"
	"sort"
	"strings"
)

// The graph the engine runs is more than the items' dependencies: a
// rolling group's batch waits for the health gate after the batch before
// it, which waits for that batch's items; and each host runs its items
// one at a time in Order. A cycle through any of these hangs an apply, so
// New refuses it, naming it (the engine checks its own graph again before
// it runs). Order never moves a step earlier for what waits for it, so a
// host's order adds no wait that the dependencies and gates do not.

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
// its dependencies, the gate before its batch and the item before it on
// its host; a gate its batch.
func (c *Catalog) waitsFor(v any, gates map[*Item]*gate, before map[*Item]*Item) []any {
	switch v := v.(type) {
	case *Item:
		var out []any
		for _, r := range c.deps(v) {
			out = append(out, c.index[r])
		}
		if g := gates[v]; g != nil {
			out = append(out, g)
		}
		if p := before[v]; p != nil {
			out = append(out, p)
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

// findCycle returns a cycle of the graph the engine runs (dependencies,
// rolling batches and their gates, each host's order) as names, each
// waiting for the next, the first repeated at the end; nil when there is
// none. Order is a topological order of the dependencies and gates, so
// with those acyclic the hosts' orders add no cycle; they are checked
// all the same, and a step that waits only because it comes next on its
// host says so.
func (c *Catalog) findCycle() []string {
	gates := c.rollGates()
	roots := make([]any, len(c.Items))
	for i, it := range c.Items {
		roots[i] = it
	}
	before := map[*Item]*Item{}
	waits := func(v any) []any { return c.waitsFor(v, gates, before) }
	cycle := FindCycle(roots, waits)
	if cycle == nil {
		last := map[string]*Item{}
		for _, it := range c.order(gates) {
			if p := last[it.Host]; p != nil {
				before[it] = p
			}
			last[it.Host] = it
		}
		cycle = FindCycle(roots, waits)
	}
	var names []string
	for i, v := range cycle {
		name := vertexName(v)
		if i > 0 {
			if prev, ok := cycle[i-1].(*Item); ok && before[prev] == v && !slices.Contains(c.deps(prev), v.(*Item).Ref()) {
				name = "(the step before it on " + prev.Host + ") " + name
			}
		}
		names = append(names, name)
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

// order is Order given the gates (rollGates): a topological order of the
// items and gates in which the item placed next is always the
// first-declared one whose dependencies and gate are placed (Kahn's
// algorithm with the declaration index as priority). A cycle (refused by
// New) would leave items unplaced; they follow in declaration order.
func (c *Catalog) order(gates map[*Item]*gate) []*Item {
	index := make(map[*Item]int, len(c.Items))
	for i, it := range c.Items {
		index[it] = i
	}
	// waiting counts what an item or gate still waits for; dependents
	// and gated list what a placed item or passed gate frees.
	waiting := map[any]int{}
	dependents := map[*Item][]*Item{}
	gated := map[*gate][]*Item{}
	memberOf := map[*Item]*gate{}
	for _, it := range c.Items {
		for _, r := range c.deps(it) {
			d := c.index[r]
			dependents[d] = append(dependents[d], it)
			waiting[it]++
		}
		if g := gates[it]; g != nil {
			if _, seen := gated[g]; !seen {
				for _, m := range g.members {
					memberOf[m] = g
				}
				waiting[g] = len(g.members)
			}
			gated[g] = append(gated[g], it)
			waiting[it]++
		}
	}
	ready := &itemHeap{index: index}
	for _, it := range c.Items {
		if waiting[it] == 0 {
			heap.Push(ready, it)
		}
	}
	out := make([]*Item, 0, len(c.Items))
	placed := make(map[*Item]bool, len(c.Items))
	free := func(it *Item) {
		if waiting[it]--; waiting[it] == 0 {
			heap.Push(ready, it)
		}
	}
	for ready.Len() > 0 {
		it := heap.Pop(ready).(*Item)
		out = append(out, it)
		placed[it] = true
		for _, d := range dependents[it] {
			free(d)
		}
		if g := memberOf[it]; g != nil {
			if waiting[g]--; waiting[g] == 0 {
				for _, w := range gated[g] {
					free(w)
				}
			}
		}
	}
	for _, it := range c.Items {
		if !placed[it] {
			out = append(out, it)
		}
	}
	return out
}

// itemHeap orders items by their declaration index.
type itemHeap struct {
	items []*Item
	index map[*Item]int
}

func (h *itemHeap) Len() int           { return len(h.items) }
func (h *itemHeap) Less(i, j int) bool { return h.index[h.items[i]] < h.index[h.items[j]] }
func (h *itemHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *itemHeap) Push(x any)         { h.items = append(h.items, x.(*Item)) }
func (h *itemHeap) Pop() any {
	last := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return last
}
