package placement_test

import (
	"testing"
	"time"
)

func TestOutage(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC)
	at := func(s int, ok bool) call { return call{at: t0.Add(time.Duration(s) * time.Second), ok: ok} }
	for _, tc := range []struct {
		name   string
		calls  []call
		d      time.Duration
		failed int
		ok     bool
	}{
		{"no calls", nil, 0, 0, false},
		{"never failed", []call{at(-1, true), at(1, true), at(2, true)}, 0, 0, true},
		{"a failure before the stop does not count", []call{at(-1, false), at(1, true)}, 0, 0, true},
		{"recovered", []call{at(-1, true), at(1, false), at(5, false), at(9, true), at(10, true)}, 9 * time.Second, 2, true},
		{"failed again after a success", []call{at(1, false), at(2, true), at(3, false), at(4, true)}, 4 * time.Second, 2, true},
		{"never recovered", []call{at(-1, true), at(1, false), at(2, true), at(3, false)}, 0, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, failed, ok := outage(tc.calls, t0)
			if d != tc.d || failed != tc.failed || ok != tc.ok {
				t.Errorf("outage = %s, %d, %v; want %s, %d, %v", d, failed, ok, tc.d, tc.failed, tc.ok)
			}
		})
	}
}
