package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/transport"
)

func TestRunAllSortsAndLabels(t *testing.T) {
	checks := []Check{
		{Layer: "ovn", Name: "nb", Run: func(context.Context, *Env) []Result {
			return []Result{{Target: "nb", Status: Degraded, Reason: "ctl-2 down"}}
		}},
		{Layer: "fabric", Name: "bgp", Run: func(context.Context, *Env) []Result {
			return []Result{{Target: "spine-1", Status: OK}, {Target: "leaf-1", Status: OK}}
		}},
	}
	rs := RunAll(context.Background(), &Env{}, checks)
	var order []string
	for _, r := range rs {
		order = append(order, r.Layer+"/"+r.Check+"/"+r.Target)
	}
	if got := order; len(got) != 3 || got[0] != "fabric/bgp/leaf-1" || got[1] != "fabric/bgp/spine-1" || got[2] != "ovn/nb/nb" {
		t.Errorf("order %v", got)
	}
	if Worst(rs) != Degraded || Worst(rs[:2]) != OK || Worst(nil) != OK {
		t.Errorf("worst: %v %v %v", Worst(rs), Worst(rs[:2]), Worst(nil))
	}
	b, _ := json.Marshal(rs[2])
	if string(b) != `{"layer":"ovn","check":"nb","target":"nb","status":"DEGRADED","reason":"ctl-2 down"}` {
		t.Errorf("json %s", b)
	}
}

func TestStatusJSONRoundTrip(t *testing.T) {
	for _, s := range []Status{OK, Degraded, Down} {
		b, _ := json.Marshal(s)
		var back Status
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%s: %s -> %v, %v", s, b, back, err)
		}
	}
	var s Status
	if err := json.Unmarshal([]byte(`"FINE"`), &s); err == nil {
		t.Error("FINE accepted")
	}
}

func TestEnvRunWithoutTransport(t *testing.T) {
	_, err := (&Env{}).Run(context.Background(), "ctl-1", "true")
	if err == nil || err.Error() != "ctl-1 is not reachable (no connection)" {
		t.Errorf("err %v", err)
	}
}

// echo answers a script with the script itself, after the delay the
// host's name says (so that a parallel run finishes out of order).
type echo struct {
	host  string
	delay time.Duration
	exit  int
}

func (e echo) Run(ctx context.Context, script string, _ io.Reader) (transport.Result, error) {
	time.Sleep(e.delay)
	return transport.Result{Stdout: []byte(e.host + ":" + script), Stderr: []byte("failed\nmore"), ExitCode: e.exit}, nil
}
func (e echo) Host() string { return e.host }
func (echo) Close() error   { return nil }

func TestRunEachKeepsTheHostsOrder(t *testing.T) {
	env := &Env{Targets: map[string]transport.Transport{
		"a": echo{host: "a", delay: 50 * time.Millisecond},
		"b": echo{host: "b"},
		"c": echo{host: "c", exit: 3},
	}}
	got := env.RunEach(context.Background(), []string{"a", "b", "c", "d"}, func(i int) string { return fmt.Sprint("s", i) })
	want := []string{"a a:s0 <nil>", "b b:s1 <nil>", "c c:s2 exit status 3: failed", "d  d is not reachable (no connection)"}
	for i, a := range got {
		if s := fmt.Sprintf("%s %s %v", a.Host, a.Out, a.Err); s != want[i] {
			t.Errorf("answer %d: %s, want %s", i, s, want[i])
		}
	}
}

func TestUnavailable(t *testing.T) {
	checks := Unavailable("galera", "galera", errors.New("host stor-1 has no address"))
	rs := RunAll(context.Background(), &Env{}, checks)
	if len(checks) != 1 || checks[0].Component != "galera" || len(rs) != 1 ||
		rs[0].Check != "galera-model" || rs[0].Target != "galera" || rs[0].Status != Down || rs[0].Reason != "host stor-1 has no address" {
		t.Errorf("checks %+v, results %+v", checks, rs)
	}
}
