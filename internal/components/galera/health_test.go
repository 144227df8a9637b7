package galera

import (
	"context"
	"errors"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/transport"
)

func view(host, status, state string, size int) memberView {
	return memberView{Host: host, Unit: "active", Status: &wsrepStatus{ClusterStatus: status, LocalState: state, ClusterSize: size, Ready: state == "Synced", StateUUID: clusterUUID}}
}

func TestEvaluate(t *testing.T) {
	down := memberView{Host: "ctl-2", Err: errors.New("host ctl-2 unreachable")}
	for _, tc := range []struct {
		name   string
		views  []memberView
		status health.Status
		hosts  []string
		reason string
	}{
		{"all synced", []memberView{view("ctl-1", "Primary", "Synced", 3), view("ctl-2", "Primary", "Synced", 3), view("ctl-3", "Primary", "Synced", 3)},
			health.OK, []string{"ctl-1", "ctl-2", "ctl-3"}, "3/3 members Synced in the primary component (cluster size 3)"},
		{"a member down", []memberView{view("ctl-1", "Primary", "Synced", 2), down, view("ctl-3", "Primary", "Synced", 2)},
			health.Degraded, []string{"ctl-2"}, "2/3 members Synced in the primary component (cluster size 2); ctl-2: host ctl-2 unreachable; the primary component has 2 members, the model 3"},
		{"a member joining, one a donor", []memberView{view("ctl-1", "Primary", "Donor/Desynced", 3), view("ctl-2", "Primary", "Joining", 3), view("ctl-3", "Primary", "Synced", 3)},
			health.Degraded, []string{"ctl-1", "ctl-2"}, "ctl-1 is Donor/Desynced, not Synced; ctl-2 is Joining, not Synced"},
		{"a member outside the primary component", []memberView{view("ctl-1", "non-Primary", "Initialized", 1), view("ctl-2", "Primary", "Synced", 2), view("ctl-3", "Primary", "Synced", 2)},
			health.Degraded, []string{"ctl-1"}, "ctl-1 is outside the primary component (non-Primary, Initialized)"},
		{"no primary component", []memberView{view("ctl-1", "non-Primary", "Initialized", 1), down, {Host: "ctl-3", Err: errors.New("MariaDB is not running (failed)")}},
			health.Down, []string{"ctl-1", "ctl-2", "ctl-3"}, "no member is in a primary component"},
		{"split brain", []memberView{view("ctl-1", "Primary", "Synced", 1),
			{Host: "ctl-2", Unit: "active", Status: &wsrepStatus{ClusterStatus: "Primary", LocalState: "Synced", ClusterSize: 2, Ready: true, StateUUID: "11111111-2222-3333-4444-555555555555"}},
			view("ctl-3", "Primary", "Synced", 1)},
			health.Down, []string{"ctl-1", "ctl-2", "ctl-3"}, "split brain"},
		{"a server the model does not know", []memberView{view("ctl-1", "Primary", "Synced", 4), view("ctl-2", "Primary", "Synced", 4), view("ctl-3", "Primary", "Synced", 4)},
			health.Degraded, nil, "the primary component has 4 members, the model 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := evaluate("lab", tc.views)
			if r.Status != tc.status || !slices.Equal(r.Hosts, tc.hosts) || !strings.Contains(r.Reason, tc.reason) || r.Target != "lab" {
				t.Errorf("got %s %v %q\nwant %s %v containing %q", r.Status, r.Hosts, r.Reason, tc.status, tc.hosts, tc.reason)
			}
		})
	}
}

// scripted answers every script with a fixed output.
type scripted struct{ out string }

func (s *scripted) Run(context.Context, string, io.Reader) (transport.Result, error) {
	return transport.Result{Stdout: []byte(s.out)}, nil
}
func (s *scripted) Host() string { return "fake" }
func (s *scripted) Close() error { return nil }

func TestHealthCheckOverTransports(t *testing.T) {
	c := example.Load(t, "lab")
	checks := Component{}.HealthChecks(c)
	if len(checks) != 1 || checks[0].Layer != "galera" || checks[0].Component != "galera" {
		t.Fatalf("checks %+v", checks)
	}
	synced := "== unit\nactive\n== status\n" + statusSample + "== end\n"
	env := &health.Env{Cloud: c, Targets: map[string]transport.Transport{
		"ctl-1": &scripted{out: synced},
		"ctl-2": &scripted{out: "== unit\nfailed\n== status\nERROR 2002 (HY000): Can't connect to local server\n== end\n"},
		"ctl-3": &scripted{out: synced},
	}}
	rs := checks[0].Run(context.Background(), env)
	if len(rs) != 1 || rs[0].Status != health.Degraded || !slices.Equal(rs[0].Hosts, []string{"ctl-2"}) || !strings.Contains(rs[0].Reason, "ctl-2: MariaDB is not running (failed)") {
		t.Errorf("got %+v", rs)
	}
}
