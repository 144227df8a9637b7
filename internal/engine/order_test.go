package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
)

// The shape of a RAFT cluster such as OVN's: the first member bootstraps
// the cluster, the others join one after the other (outside the rolling
// group), and each member's unit restarts in the group, one member at a
// time, behind gates that need a majority of the members joined. A client
// on another host waits for the last member's restart. A host's steps
// wait only for their dependencies, the step before them on their host
// and, for a step in the group, the gate before its batch: never for
// another member's gate. When ctl-2's order put its restart (which waits
// for the gate after ctl-1) before its join (which that gate needs), the
// gate waited for a majority that could not come, and only its timeout
// ended the apply ("no quorum: 1 of 3 members healthy").
func TestJoinsDoNotWaitForOtherMembersGates(t *testing.T) {
	w := newWorld()
	members := []string{"ctl-1", "ctl-2", "ctl-3"}
	restart := func(h string) *catalog.Item {
		it := item(h, "restart", ref(h, "conf"))
		it.Group = "central"
		return it
	}
	items := []*catalog.Item{
		item("ctl-1", "conf"), item("ctl-1", "bootstrap", ref("ctl-1", "conf")), restart("ctl-1"),
		// Declared before the other members: it pulls their restarts
		// forward if the order follows the gates.
		item("cmp-1", "chassis", ref("ctl-3", "restart")),
		item("ctl-2", "conf"), item("ctl-2", "join", ref("ctl-2", "conf"), ref("ctl-1", "bootstrap")), restart("ctl-2"),
		item("ctl-3", "conf"), item("ctl-3", "join", ref("ctl-3", "conf"), ref("ctl-2", "join")), restart("ctl-3"),
	}
	groups := []*catalog.Group{{Name: "central", BatchSize: 1, Hosts: members}}
	joined := func() int {
		w.mu.Lock()
		defer w.mu.Unlock()
		n := 0
		for _, s := range w.log {
			if s == "ctl-1/bootstrap" || strings.HasSuffix(s, "/join") {
				n++
			}
		}
		return n
	}
	// The gate after a batch passes once a majority has joined; it gives
	// up after a while, as the real one does after 5 minutes.
	var failed []string
	gate := func(ctx context.Context, group string, hs []string, phase GatePhase) error {
		for range 200 {
			if joined() >= 2 {
				return nil
			}
			select {
			case <-time.After(25 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := fmt.Errorf("no quorum after %s: %d of %d members joined", strings.Join(hs, ","), joined(), len(members))
		failed = append(failed, err.Error())
		return err
	}
	cat, p, hosts := setup(t, w, items, groups)
	for _, h := range []string{"ctl-2", "ctl-3"} {
		var got []string
		for _, it := range cat.HostItems(h) {
			got = append(got, it.Resource.ID().Name)
		}
		if slices.Index(got, "join") > slices.Index(got, "restart") {
			t.Errorf("%s's order %v puts its restart, which waits for another member's gate, before its join", h, got)
		}
	}
	sum := Apply(context.Background(), cat, p, hosts, Options{Gate: gate, Backoff: time.Millisecond})
	if !sum.OK() || len(failed) > 0 {
		t.Fatalf("the cluster did not roll: gates %v; results %v", failed, statuses(sum))
	}
	// The joins ran before any other member restarted: the gates waited
	// for nothing they did not need.
	w.mu.Lock()
	defer w.mu.Unlock()
	pos := func(s string) int { return slices.Index(w.log, s) }
	if pos("ctl-2/join") > pos("ctl-2/restart") || pos("ctl-3/join") > pos("ctl-3/restart") || pos("cmp-1/chassis") < pos("ctl-3/restart") {
		t.Errorf("order %v", w.log)
	}
}
