package health

import (
	"errors"
	"strings"
	"testing"
)

func TestThroughVIP(t *testing.T) {
	hosts := []string{"a", "b"}
	for _, tc := range []struct {
		name       string
		ok, failed []string
		status     Status
		reason     string
	}{
		{"nobody asked", nil, nil, Down, "no Demo host could be asked to try http://vip"},
		{"all failed", nil, []string{"a: refused", "b: timed out"}, Down, "no answer through http://vip: a: refused; b: timed out"},
		{"some failed", []string{"a"}, []string{"b: timed out"}, Degraded, "answers through http://vip from a, but not from b: timed out"},
		{"all answered", []string{"a", "b"}, nil, OK, "answers through http://vip from a, b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ThroughVIP("http://vip", hosts, tc.ok, tc.failed, "Demo", "answers", "no answer")
			if r.Status != tc.status || r.Reason != tc.reason || r.Target != "internal-vip" || strings.Join(r.Hosts, ",") != "a,b" {
				t.Errorf("%+v, want %s %q naming a and b", r, tc.status, tc.reason)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	v, err := JSON[map[string]int](Answer{Out: `{"a": 1}`})
	if err != nil || v["a"] != 1 {
		t.Errorf("good JSON: %v %v", v, err)
	}
	if _, err := JSON[map[string]int](Answer{Out: "Traceback (most recent call last):"}); err == nil || !strings.Contains(err.Error(), "unreadable answer") {
		t.Errorf("not JSON: %v", err)
	}
	cause := errors.New("exit status 1: not deployed here")
	if _, err := JSON[map[string]int](Answer{Out: "{}", Err: cause}); !errors.Is(err, cause) {
		t.Errorf("the answer's own error: %v", err)
	}
}
