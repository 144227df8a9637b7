package keystone

import (
	"context"
	"errors"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"io"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/transport"
)

const (
	vip      = "http://10.199.20.10:5000/v3"
	public   = "https://10.199.100.10:5000/v3"
	backend1 = "http://10.199.20.11:5000/v3"
	backend2 = "http://10.199.20.12:5000/v3"
	backend3 = "http://10.199.20.13:5000/v3"
)

func labTarget(t *testing.T) *target {
	t.Helper()
	c := example.Load(t, "lab")
	tg, err := newTarget(c, Hosts(c))
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

var goodCatalog = []catalogEntry{
	{Type: "identity", Interface: "public", Region: "RegionOne", URL: public},
	{Type: "identity", Interface: "internal", Region: "RegionOne", URL: vip},
	{Type: "image", Interface: "public", Region: "RegionOne", URL: "https://10.199.100.10:9292"},
}

func ok(cat []catalogEntry) urlResult { return urlResult{OK: true, Seconds: 0.25, Catalog: cat} }

func fine(backend string) hostView {
	return hostView{Results: map[string]urlResult{backend: ok(goodCatalog), vip: ok(goodCatalog)}}
}

func TestEvaluate(t *testing.T) {
	tg := labTarget(t)
	if tg.vip != vip || tg.want["public"] != public || strings.Join(tg.backends, " ") != strings.Join([]string{backend1, backend2, backend3}, " ") {
		t.Fatalf("target: %+v", tg)
	}
	type want struct{ target, status, reason string }
	for _, tc := range []struct {
		name  string
		views []hostView
		want  []want
	}{
		{
			name:  "all healthy",
			views: []hostView{fine(backend1), fine(backend2), fine(backend3)},
			want: []want{
				{"ctl-1", "OK", "token issued and validated at " + backend1 + " in 0.25 s"},
				{"ctl-2", "OK", ""}, {"ctl-3", "OK", ""},
				{"internal-vip", "OK", "tokens issued and validated through " + vip + " from ctl-1, ctl-2, ctl-3"},
				{"catalog", "OK", "identity endpoints in RegionOne: public " + public + ", internal " + vip},
			},
		},
		{
			name: "one member down, one host unreachable",
			views: []hostView{
				fine(backend1),
				{Results: map[string]urlResult{backend2: {Error: "[Errno 111] Connection refused"}, vip: ok(goodCatalog)}},
				{Err: errors.New("ctl-3 is not reachable (no connection)")},
			},
			want: []want{
				{"ctl-1", "OK", ""},
				{"ctl-2", "DOWN", "Keystone at " + backend2 + ": [Errno 111] Connection refused"},
				{"ctl-3", "DOWN", "ctl-3: ctl-3 is not reachable"},
				{"internal-vip", "OK", "from ctl-1, ctl-2"},
				{"catalog", "OK", ""},
			},
		},
		{
			name: "the virtual IP fails from one host",
			views: []hostView{fine(backend1), fine(backend2),
				{Results: map[string]urlResult{backend3: ok(goodCatalog), vip: {Error: "timed out"}}}},
			want: []want{{"ctl-1", "OK", ""}, {"ctl-2", "OK", ""}, {"ctl-3", "OK", ""},
				{"internal-vip", "DEGRADED", "from ctl-1, ctl-2, but not from ctl-3: timed out"}, {"catalog", "OK", ""}},
		},
		{
			name: "no token anywhere",
			views: []hostView{
				{Results: map[string]urlResult{backend1: {Error: "HTTP 401 Unauthorized"}, vip: {Error: "HTTP 401 Unauthorized"}}},
				{Results: map[string]urlResult{backend2: {Error: "HTTP 500"}}},
				{Err: errors.New("exit status 1: Keystone is not deployed here")},
			},
			want: []want{{"ctl-1", "DOWN", "HTTP 401"}, {"ctl-2", "DOWN", "HTTP 500"}, {"ctl-3", "DOWN", "not deployed"},
				{"internal-vip", "DOWN", "no token through " + vip + ": ctl-1: HTTP 401 Unauthorized; ctl-2: no answer"},
				{"catalog", "DOWN", "no token, so no catalog"}},
		},
		{
			name: "stale catalog",
			views: []hostView{{Results: map[string]urlResult{backend1: ok(nil), vip: ok([]catalogEntry{
				{Type: "identity", Interface: "public", Region: "RegionOne", URL: "https://old:5000/v3"},
			})}}, fine(backend2), fine(backend3)},
			want: []want{{"ctl-1", "OK", ""}, {"ctl-2", "OK", ""}, {"ctl-3", "OK", ""}, {"internal-vip", "OK", ""},
				{"catalog", "DEGRADED", "public identity endpoint in RegionOne is https://old:5000/v3, want " + public +
					"; no internal identity endpoint in RegionOne (want " + vip + ")"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := tg.evaluate(tc.views)
			if len(rs) != len(tc.want) {
				t.Fatalf("%d results: %+v", len(rs), rs)
			}
			for i, w := range tc.want {
				r := rs[i]
				if r.Target != w.target || r.Status.String() != w.status || !strings.Contains(r.Reason, w.reason) {
					t.Errorf("result %d: %s %s %q, want %s %s containing %q", i, r.Target, r.Status, r.Reason, w.target, w.status, w.reason)
				}
				wantHosts := 1
				if i >= 3 {
					wantHosts = 3 // the virtual IP and the catalog gate every batch
				}
				if len(r.Hosts) != wantHosts {
					t.Errorf("%s names hosts %v", r.Target, r.Hosts)
				}
			}
		})
	}
}

// scripted answers the health script with canned output and keeps the
// script it was given.
type scripted struct {
	out  string
	seen *string
}

func (f *scripted) Run(_ context.Context, script string, _ io.Reader) (transport.Result, error) {
	*f.seen = script
	return transport.Result{Stdout: []byte(f.out)}, nil
}

func (f *scripted) Host() string { return "fake" }
func (f *scripted) Close() error { return nil }

func TestHealthChecksRunOnEveryHost(t *testing.T) {
	c := example.Load(t, "lab")
	checks := Component{}.HealthChecks(c)
	if len(checks) != 1 || checks[0].Layer != "keystone" || checks[0].Component != "keystone" || checks[0].Name != "keystone-api" {
		t.Fatalf("checks: %+v", checks)
	}
	var s1, s2 string
	out1 := `{"` + backend1 + `": {"ok": true, "seconds": 0.1, "catalog": []}, "` + vip + `": {"ok": true, "seconds": 0.2, "catalog": [` +
		`{"type": "identity", "interface": "public", "region": "RegionOne", "url": "` + public + `"},` +
		`{"type": "identity", "interface": "internal", "region": "RegionOne", "url": "` + vip + `"}]}}`
	env := &health.Env{Cloud: c, Targets: map[string]transport.Transport{
		"ctl-1": &scripted{out: out1, seen: &s1},
		"ctl-2": &scripted{out: "not json", seen: &s2},
	}}
	rs := checks[0].Run(context.Background(), env)
	got := map[string]health.Result{}
	for _, r := range rs {
		got[r.Target] = r
	}
	if got["ctl-1"].Status != health.OK || got["catalog"].Status != health.OK || got["internal-vip"].Status != health.OK {
		t.Errorf("results: %+v", rs)
	}
	if got["ctl-2"].Status != health.Down || !strings.Contains(got["ctl-2"].Reason, "unreadable answer") {
		t.Errorf("ctl-2: %+v", got["ctl-2"])
	}
	if got["ctl-3"].Status != health.Down || !strings.Contains(got["ctl-3"].Reason, "not reachable") {
		t.Errorf("ctl-3: %+v", got["ctl-3"])
	}
	for _, want := range []string{"python3 " + helperPath + " 'health' '/root/.config/openstack/clouds.yaml' 'lab' '" + backend1 + "' '" + vip + "'", "[ ! -e " + helperPath + " ]"} {
		if !strings.Contains(s1, want) {
			t.Errorf("the script on ctl-1 lacks %q:\n%s", want, s1)
		}
	}
	if !strings.Contains(s2, backend2) {
		t.Errorf("ctl-2 is not asked about its own Keystone:\n%s", s2)
	}
}
