package apiservice

import (
	"errors"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

func TestEvaluate(t *testing.T) {
	c := example.Load(t, "lab")
	tg, err := NewTarget(c, servicetest.Demo, servicetest.Demo.Hosts(c), "Demo", "/usr/local/libexec/fundament/demo-helper.py")
	if err != nil {
		t.Fatal(err)
	}
	good := func(i int) View {
		return View{Results: map[string]URLResult{
			tg.Backends[i]: {OK: true, Version: "1.39", Seconds: 0.02},
			tg.VIP:         {OK: true, Version: "1.39", Seconds: 0.03},
		}}
	}
	tests := []struct {
		name  string
		views func() []View
		want  []health.Status // ctl-1, ctl-2, ctl-3, internal-vip
		vip   string          // in the virtual IP's reason
	}{
		{"all serve", func() []View { return []View{good(0), good(1), good(2)} },
			[]health.Status{health.OK, health.OK, health.OK, health.OK}, "from ctl-1, ctl-2, ctl-3"},
		{"one host unreachable", func() []View {
			return []View{good(0), {Err: errors.New("no route to host")}, good(2)}
		}, []health.Status{health.OK, health.Down, health.OK, health.OK}, "from ctl-1, ctl-3"},
		{"one API without authentication", func() []View {
			v := good(1)
			v.Results[tg.Backends[1]] = URLResult{Error: "resource providers without a token: HTTP 200, not 401 (no authentication?)"}
			return []View{good(0), v, good(2)}
		}, []health.Status{health.OK, health.Down, health.OK, health.OK}, ""},
		{"virtual IP fails from one host", func() []View {
			v := good(2)
			v.Results[tg.VIP] = URLResult{Error: "URLError: timed out"}
			return []View{good(0), good(1), v}
		}, []health.Status{health.OK, health.OK, health.OK, health.Degraded}, "not from ctl-3: URLError: timed out"},
		{"nothing answers", func() []View {
			e := View{Err: errors.New("exit status 1: Demo is not deployed here")}
			return []View{e, e, e}
		}, []health.Status{health.Down, health.Down, health.Down, health.Down}, "could be asked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := tg.Evaluate(tt.views())
			if len(rs) != 4 {
				t.Fatalf("%d results: %+v", len(rs), rs)
			}
			for i, r := range rs {
				if r.Status != tt.want[i] {
					t.Errorf("%s: %s (%s), want %s", r.Target, r.Status, r.Reason, tt.want[i])
				}
			}
			if vip := rs[3]; vip.Target != "internal-vip" || len(vip.Hosts) != 3 || !strings.Contains(vip.Reason, tt.vip) {
				t.Errorf("virtual IP result %+v, want a reason with %q naming every host", vip, tt.vip)
			}
		})
	}
}
