package galera

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// obs builders for the decision table.
func down(host string) *observed { return &observed{Host: host, Err: errors.New("connection refused")} }

func primaryAt(host, state string, seqno int64) *observed {
	return &observed{Host: host, Unit: "active", Status: &wsrepStatus{ClusterStatus: "Primary", LocalState: state, ClusterSize: 2, Ready: true, StateUUID: clusterUUID, LastCommitted: seqno}}
}

func stopped(host string, seqno int64, safe bool) *observed {
	return &observed{Host: host, Unit: "inactive", Grastate: &grastate{Pos: position{UUID: clusterUUID, Seqno: seqno}, SafeToBootstrap: safe}}
}

func crashed(host string, recovered int64) *observed {
	o := &observed{Host: host, Unit: "failed", GVWState: true, Grastate: &grastate{Pos: position{UUID: clusterUUID, Seqno: -1}}}
	if recovered >= 0 {
		o.Recovered = &position{UUID: clusterUUID, Seqno: recovered}
	}
	return o
}

func waiting(host string, started int64) *observed {
	o := &observed{Host: host, Unit: "activating", GVWState: true, Grastate: &grastate{Pos: position{UUID: clusterUUID, Seqno: -1}}}
	if started >= 0 {
		o.Started = &position{UUID: clusterUUID, Seqno: started}
	}
	return o
}

func nonPrimary(host string, seqno int64) *observed {
	return &observed{Host: host, Unit: "active", Status: &wsrepStatus{ClusterStatus: "non-Primary", LocalState: "Initialized", ClusterSize: 1, StateUUID: clusterUUID, LastCommitted: seqno}}
}

func empty(host string) *observed { return &observed{Host: host, Unit: "inactive"} }

func TestDecide(t *testing.T) {
	hosts := []string{"ctl-1", "ctl-2", "ctl-3"}
	for _, tc := range []struct {
		name   string
		obs    []*observed
		mode   mode
		order  []string // seed first
		reason string   // a part of the reason
	}{
		{"offline", nil, running, hosts, ""},
		{"all synced", []*observed{primaryAt("ctl-1", "Synced", 5), primaryAt("ctl-2", "Synced", 5), primaryAt("ctl-3", "Synced", 5)},
			running, hosts, "ctl-1 is in the primary component"},
		{"the first member is a donor: a synced one leads", []*observed{primaryAt("ctl-1", "Donor/Desynced", 5), primaryAt("ctl-2", "Synced", 5), empty("ctl-3")},
			running, []string{"ctl-2", "ctl-1", "ctl-3"}, "ctl-2 is in the primary component"},
		{"one primary among down and stopped members: join it, whatever the positions", []*observed{down("ctl-1"), stopped("ctl-2", 99, true), primaryAt("ctl-3", "Synced", 5)},
			running, []string{"ctl-3", "ctl-2", "ctl-1"}, "ctl-3 is in the primary component"},
		{"fresh", []*observed{empty("ctl-1"), empty("ctl-2"), empty("ctl-3")}, fresh, hosts, "ctl-1 creates it"},
		{"fresh, a failed first join left a zero uuid", []*observed{empty("ctl-1"),
			{Host: "ctl-2", Unit: "failed", Grastate: &grastate{Pos: position{UUID: zeroUUID, Seqno: -1}}}, empty("ctl-3")}, fresh, hosts, ""},
		{"clean full stop: the highest seqno", []*observed{stopped("ctl-1", 40, false), stopped("ctl-2", 42, true), stopped("ctl-3", 38, false)},
			recover, []string{"ctl-2", "ctl-1", "ctl-3"}, "ctl-1 at 40, ctl-2 at 42, ctl-3 at 38; ctl-2 has the most recent"},
		{"a tie goes to safe_to_bootstrap", []*observed{stopped("ctl-1", 42, false), stopped("ctl-2", 42, false), stopped("ctl-3", 42, true)},
			recover, []string{"ctl-3", "ctl-1", "ctl-2"}, ""},
		{"a tie without safe_to_bootstrap: a stopped server, then placement order", []*observed{nonPrimary("ctl-1", 42), stopped("ctl-2", 42, false), stopped("ctl-3", 42, false)},
			recover, []string{"ctl-2", "ctl-1", "ctl-3"}, ""},
		{"crash while a member's server did not start: the others wait for it, it goes first", []*observed{waiting("ctl-1", 12), waiting("ctl-2", 12), crashed("ctl-3", 12)},
			recover, []string{"ctl-3", "ctl-1", "ctl-2"}, "ctl-3 has the most recent"},
		{"crash: recovered and started positions", []*observed{crashed("ctl-1", 11), waiting("ctl-2", 12), crashed("ctl-3", 10)},
			recover, []string{"ctl-2", "ctl-1", "ctl-3"}, "ctl-2 at 12"},
		{"a member without data joins the recovered cluster", []*observed{empty("ctl-1"), stopped("ctl-2", 3, false), crashed("ctl-3", 4)},
			recover, []string{"ctl-3", "ctl-1", "ctl-2"}, ""},
		{"no primary and a member unreachable: blocked", []*observed{stopped("ctl-1", 40, false), stopped("ctl-2", 42, true), down("ctl-3")},
			blocked, hosts, "ctl-3 cannot be probed"},
		{"fresh but a member unreachable: blocked too (it may hold data)", []*observed{empty("ctl-1"), down("ctl-2"), empty("ctl-3")},
			blocked, hosts, "ctl-2 cannot be probed"},
		{"a crashed member whose position is unknown: blocked", []*observed{crashed("ctl-1", -1), stopped("ctl-2", 42, true), stopped("ctl-3", 1, false)},
			blocked, hosts, "the position of ctl-1 is unknown"},
		{"a member still recovering its position at start: blocked", []*observed{waiting("ctl-1", -1), stopped("ctl-2", 42, true), stopped("ctl-3", 1, false)},
			blocked, hosts, "has not recovered its position yet"},
		{"different clusters' data: blocked", []*observed{stopped("ctl-1", 40, false),
			{Host: "ctl-2", Unit: "inactive", Grastate: &grastate{Pos: position{UUID: "11111111-2222-3333-4444-555555555555", Seqno: 99}}}, stopped("ctl-3", 1, false)},
			blocked, hosts, "different clusters"},
		{"two primary components: blocked", []*observed{primaryAt("ctl-1", "Synced", 4),
			{Host: "ctl-2", Unit: "active", Status: &wsrepStatus{ClusterStatus: "Primary", LocalState: "Synced", StateUUID: "11111111-2222-3333-4444-555555555555"}}, empty("ctl-3")},
			blocked, hosts, "split brain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(hosts, tc.obs)
			if d.Mode != tc.mode || !slices.Equal(d.Order, tc.order) {
				t.Errorf("got %s %v, want %s %v (%s)", d.Mode, d.Order, tc.mode, tc.order, d.Reason)
			}
			if tc.mode != blocked && d.Seed != tc.order[0] {
				t.Errorf("seed %s, want %s", d.Seed, tc.order[0])
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", d.Reason, tc.reason)
			}
		})
	}
}

// TestDecideNeverBootstrapsBesideAPrimary: whatever the others look like,
// one member in a primary component means no bootstrap.
func TestDecideNeverBootstrapsBesideAPrimary(t *testing.T) {
	hosts := []string{"ctl-1", "ctl-2", "ctl-3"}
	others := []func(string) *observed{
		func(h string) *observed { return down(h) },
		func(h string) *observed { return empty(h) },
		func(h string) *observed { return stopped(h, 1000, true) },
		func(h string) *observed { return crashed(h, 1000) },
		func(h string) *observed { return waiting(h, 1000) },
		func(h string) *observed { return nonPrimary(h, 1000) },
	}
	for _, a := range others {
		for _, b := range others {
			for p := range hosts {
				obs := make([]*observed, 3)
				k := 0
				for i, h := range hosts {
					if i == p {
						obs[i] = primaryAt(h, "Synced", 1)
						continue
					}
					obs[i] = []func(string) *observed{a, b}[k](h)
					k++
				}
				if d := decide(hosts, obs); d.Mode != running || d.Seed != hosts[p] {
					t.Errorf("primary on %s: decided %s with seed %s (%s)", hosts[p], d.Mode, d.Seed, d.Reason)
				}
			}
		}
	}
}
