package catalog

import (
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/resource"
)

func cmd(host, name, group string, after ...Ref) *Item {
	return &Item{Host: host, Component: "c", Resource: resource.Command{Name: name, Script: "true"}, Group: group, After: after}
}

func cmdRef(host, name string) Ref {
	return Ref{Host: host, ID: resource.ID{Kind: resource.KindCommand, Name: name}}
}

// A cycle through a rolling group's gates hangs an apply as surely as one
// through dependencies: New refuses it and names it.
func TestNewRefusesCyclesThroughGates(t *testing.T) {
	groups := func() []*Group { return []*Group{{Name: "db", BatchSize: 1, Hosts: []string{"c1", "c2", "c3"}}} }
	tests := []struct {
		name  string
		items []*Item
		want  string
	}{
		{"reversed cross-host dependency", []*Item{
			// c1 rolls first, but waits for c2, which waits for c1's gate.
			cmd("c1", "join", "db", cmdRef("c2", "join")),
			cmd("c2", "join", "db"),
		}, "dependency cycle (each waits for the next): c1/command:join -> c2/command:join -> " +
			"the health gate of rolling group db after c1 -> c1/command:join"},
		{"through an item outside the group", []*Item{
			cmd("c1", "join", "db", cmdRef("c3", "prepare")),
			cmd("c2", "join", "db"),
			cmd("c3", "join", "db"),
			cmd("c3", "prepare", "", cmdRef("c2", "join")),
		}, "c1/command:join -> c3/command:prepare -> c2/command:join -> the health gate of rolling group db after c1 -> c1/command:join"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.items, groups())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
	// Batches of two: c1 and c2 roll together, so c1 may wait for c2.
	if _, err := New([]*Item{cmd("c1", "join", "db", cmdRef("c2", "join")), cmd("c2", "join", "db")},
		[]*Group{{Name: "db", BatchSize: 2, Hosts: []string{"c1", "c2"}}}); err != nil {
		t.Errorf("one batch: %v", err)
	}
}

// Order moves an item later for what it waits for, its gate included,
// and nothing earlier for what waits for it: a host's step outside a
// rolling group (a RAFT join) never comes after its host's step in a later
// batch, which waits for another member's gate (the gate that needs the
// join: a deadlock that only the gate's timeout ended).
func TestOrderMovesItemsOnlyLater(t *testing.T) {
	names := func(c *Catalog, host string) string {
		var out []string
		for _, it := range c.HostItems(host) {
			out = append(out, it.Resource.ID().Name)
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name  string
		items []*Item
		want  map[string]string
	}{
		{"a later batch after what the gate before it waits for", []*Item{
			cmd("c2", "join", "db"),
			cmd("c1", "join", "db", cmdRef("c2", "prepare")),
			cmd("c2", "prepare", ""),
		}, map[string]string{"c2": "prepare join"}},
		{"a join not behind its host's gated restart", []*Item{
			cmd("c1", "bootstrap", ""), cmd("c1", "restart", "db"),
			// A client declared before the members waits for the last
			// restart; the members' joins stay before their restarts.
			cmd("cmp", "client", "", cmdRef("c3", "restart")),
			cmd("c2", "join", "", cmdRef("c1", "bootstrap")), cmd("c2", "restart", "db"),
			cmd("c3", "join", "", cmdRef("c2", "join")), cmd("c3", "restart", "db"),
		}, map[string]string{"c1": "bootstrap restart", "c2": "join restart", "c3": "join restart", "cmp": "client"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.items, []*Group{{Name: "db", BatchSize: 1, Hosts: []string{"c1", "c2", "c3"}}})
			if err != nil {
				t.Fatal(err)
			}
			for h, want := range tt.want {
				if got := names(c, h); got != want {
					t.Errorf("%s's order %q, want %q", h, got, want)
				}
			}
			// Every item after its dependencies: the engine builds its
			// graph in this order.
			seen := map[Ref]bool{}
			for _, it := range c.Order() {
				for _, r := range c.deps(it) {
					if !seen[r] {
						t.Errorf("%s before its dependency %s", it.Ref(), r)
					}
				}
				seen[it.Ref()] = true
			}
		})
	}
}
