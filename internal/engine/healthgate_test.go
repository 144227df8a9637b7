package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/health"
)

// gateWorld is a cluster of three members whose health a test sets: one
// check of component db reports each member, another component's check is
// always DOWN (a gate of db must never wait for it).
type gateWorld struct {
	mu   sync.Mutex
	down map[string]int // member -> rounds it is still DOWN (-1: for ever)
	// pending: member -> rounds it still serves with its old setting (a
	// finding a restart repairs, -1: for ever).
	pending map[string]int
	rounds  int
}

func (w *gateWorld) gate(timeout time.Duration) Gate {
	cat := &catalog.Catalog{
		Items:  []*catalog.Item{{Host: "c1", Component: "db", Group: "db"}},
		Groups: map[string]*catalog.Group{"db": {Name: "db", BatchSize: 1, Hosts: []string{"c1", "c2", "c3"}}},
	}
	members := health.Check{Layer: "db", Name: "members", Component: "db", Run: func(context.Context, *health.Env) []health.Result {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.rounds++
		var out []health.Result
		for _, m := range []string{"c1", "c2", "c3"} {
			r := health.Result{Target: m, Status: health.OK, Hosts: []string{m}}
			if n := w.down[m]; n != 0 {
				r.Status, r.Reason = health.Down, "not synced"
				if n > 0 {
					w.down[m] = n - 1
				}
			}
			out = append(out, r)
			if n := w.pending[m]; n != 0 {
				out = append(out, health.Result{Target: m, Status: health.Degraded, Reason: "old size", Hosts: []string{m}, PendingRestart: true})
				if n > 0 {
					w.pending[m] = n - 1
				}
			}
		}
		return out
	}}
	other := health.Check{Layer: "x", Name: "other", Component: "other", Run: func(context.Context, *health.Env) []health.Result {
		return []health.Result{{Target: "c1", Status: health.Down, Reason: "never", Hosts: []string{"c1", "c2", "c3"}}}
	}}
	return HealthGate{Catalog: cat, Checks: []health.Check{members, other},
		Env:     func(context.Context) *health.Env { return &health.Env{} },
		Timeout: timeout, Interval: time.Millisecond}.Gate()
}

func TestHealthGate(t *testing.T) {
	tests := []struct {
		name    string
		down    map[string]int
		pending map[string]int
		batch   []string
		phase   GatePhase
		timeout time.Duration
		rounds  int    // rounds of checks, 0: any
		err     string // "": passes
	}{
		{name: "after: healthy at once", batch: []string{"c1"}, phase: GateAfter, rounds: 1},
		{name: "after: waits until the batch is healthy", down: map[string]int{"c1": 2}, batch: []string{"c1"}, phase: GateAfter, rounds: 3},
		{name: "after: another member's trouble does not hold the batch", down: map[string]int{"c3": -1}, batch: []string{"c1"}, phase: GateAfter, rounds: 1},
		{name: "after: gives up with the reasons", down: map[string]int{"c1": -1}, batch: []string{"c1"}, phase: GateAfter, timeout: 20 * time.Millisecond,
			err: "db is not healthy 20ms after c1: members c1 DOWN: not synced"},
		{name: "before: the other members must be healthy", down: map[string]int{"c2": 1}, batch: []string{"c1"}, phase: GateBefore, rounds: 2},
		{name: "before: the batch's own trouble does not hold it", down: map[string]int{"c1": -1}, batch: []string{"c1"}, phase: GateBefore, rounds: 1},
		{name: "before: refuses to restart", down: map[string]int{"c3": -1}, batch: []string{"c1"}, phase: GateBefore, timeout: 20 * time.Millisecond,
			err: "not restarting c1: db is not healthy on c2, c3 after 20ms: members c3 DOWN: not synced"},
		{name: "before: the others' findings a restart repairs do not hold the roll", pending: map[string]int{"c2": -1, "c3": -1}, batch: []string{"c1"}, phase: GateBefore, rounds: 1},
		{name: "before: the others must still serve", down: map[string]int{"c2": 1}, pending: map[string]int{"c2": -1, "c3": -1}, batch: []string{"c1"}, phase: GateBefore, rounds: 2},
		{name: "after: waits until the restart repaired the batch", pending: map[string]int{"c1": 2, "c2": -1}, batch: []string{"c1"}, phase: GateAfter, rounds: 3},
		{name: "after: a finding the restart did not repair fails", pending: map[string]int{"c1": -1}, batch: []string{"c1"}, phase: GateAfter, timeout: 20 * time.Millisecond,
			err: "db is not healthy 20ms after c1: members c1 DEGRADED: old size"},
		{name: "before: a batch of the whole group has no others", batch: []string{"c1", "c2", "c3"}, phase: GateBefore, rounds: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &gateWorld{down: tt.down, pending: tt.pending}
			if w.down == nil {
				w.down = map[string]int{}
			}
			if w.pending == nil {
				w.pending = map[string]int{}
			}
			timeout := tt.timeout
			if timeout == 0 {
				timeout = time.Minute
			}
			err := w.gate(timeout)(context.Background(), "db", tt.batch, tt.phase)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("gate: %v", err)
			case tt.err != "" && (err == nil || err.Error() != tt.err):
				t.Fatalf("gate: %v, want %q", err, tt.err)
			}
			if tt.err == "" && w.rounds != tt.rounds {
				t.Errorf("%d rounds of checks, want %d", w.rounds, tt.rounds)
			}
		})
	}
}

// A group whose component has no checks passes at once.
func TestHealthGateWithoutChecks(t *testing.T) {
	cat := &catalog.Catalog{Items: []*catalog.Item{{Host: "c1", Component: "plain", Group: "g"}},
		Groups: map[string]*catalog.Group{"g": {Name: "g", Hosts: []string{"c1", "c2"}}}}
	gate := HealthGate{Catalog: cat, Env: func(context.Context) *health.Env {
		t.Error("connected for a group without checks")
		return nil
	}}.Gate()
	for _, ph := range []GatePhase{GateBefore, GateAfter} {
		if err := gate(context.Background(), "g", []string{"c1"}, ph); err != nil {
			t.Errorf("%s: %v", ph, err)
		}
	}
}
