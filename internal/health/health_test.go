package health

import (
	"context"
	"encoding/json"
	"testing"
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
