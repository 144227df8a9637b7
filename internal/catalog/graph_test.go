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

// Order follows the gates: a host's item that a first batch waits for
// comes before the host's own (later) batch, whatever the declaration
// order; otherwise the host, running its items one at a time in order,
// would wait for its batch before the step the first batch waits for.
func TestOrderFollowsGates(t *testing.T) {
	c, err := New([]*Item{
		cmd("c2", "join", "db"),
		cmd("c1", "join", "db", cmdRef("c2", "prepare")),
		cmd("c2", "prepare", ""),
	}, []*Group{{Name: "db", BatchSize: 1, Hosts: []string{"c1", "c2"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range c.HostItems("c2") {
		got = append(got, it.Resource.ID().Name)
	}
	if strings.Join(got, " ") != "prepare join" {
		t.Errorf("c2's order %v, want prepare before join", got)
	}
}
