package ceph

// The status check on fixtures in Ceph 18's JSON shapes (testdata/*.json):
// what each state of the cluster reports, and which hosts a result names
// (what apply's gates wait for).

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
)

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// answer is the health script's output made of fixtures.
func answer(t testing.TB, host, status, mgr, tree, df string) health.Answer {
	out := "== status\n" + fixture(t, status) + "== mgr\n" + fixture(t, mgr) + "== tree\n" + fixture(t, tree) +
		"== df\n" + fixture(t, df) + "== end\n"
	return health.Answer{Host: host, Out: out}
}

func labTopology(t *testing.T) *topology {
	top, err := newTopology(example.Load(t, "lab"))
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func TestEvaluate(t *testing.T) {
	top := labTopology(t)
	unreachable := health.Answer{Host: "stor-2", Err: errors.New("stor-2 is not reachable")}
	noAnswer := func(h string) health.Answer {
		return health.Answer{Host: h, Out: "== status\n[errno 110] RADOS timed out (error connecting to the cluster)\n\n== mgr\n\n== tree\n\n== df\n\n== end\n"}
	}
	tests := []struct {
		name    string
		answers []health.Answer
		status  health.Status
		hosts   []string
		reason  []string
	}{
		{"healthy", []health.Answer{answer(t, "stor-1", "status-ok.json", "mgr-stat.json", "osd-tree.json", "df.json")},
			health.OK, []string{"stor-1", "stor-2", "stor-3"},
			[]string{"HEALTH_OK; 3/3 monitors in quorum; manager stor-1 active, 2 standby; OSDs 3/3 up, 3 in (stor-1 1/1 up, 1 in; stor-2 1/1 up, 1 in; stor-3 1/1 up, 1 in); 97/97 PGs active+clean; pools .mgr 0.0%, images 0.1%, volumes 0.0%"}},
		{"a host down: the first monitor that answers counts",
			[]health.Answer{unreachable, answer(t, "stor-1", "status-osd-down.json", "mgr-stat.json", "osd-tree-down.json", "df.json")},
			health.Degraded, []string{"stor-1", "stor-2", "stor-3"},
			[]string{"out of quorum: stor-2", "osd.1 down on stor-2", "PGs not active+clean",
				"33 active+undersized+degraded, 64 active+undersized", "OSD_DOWN: 1 osds down", "MON_DOWN: 1/3 mons down, quorum stor-1,stor-3"}},
		{"no quorum", []health.Answer{noAnswer("stor-1"), unreachable, noAnswer("stor-3")},
			health.Down, []string{"stor-1", "stor-2", "stor-3"},
			[]string{"no monitor answers", "stor-1: the cluster does not answer: [errno 110] RADOS timed out", "stor-2: stor-2 is not reachable"}},
		{"PGs inactive", []health.Answer{answer(t, "stor-1", "status-inactive.json", "mgr-stat.json", "osd-tree.json", "df.json")},
			health.Down, nil, []string{"97 PGs inactive: their I/O blocks", "TOO_FEW_OSDS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := evaluate(top, tt.answers)
			if r.Status != tt.status {
				t.Errorf("status %s, want %s: %s", r.Status, tt.status, r.Reason)
			}
			if tt.hosts != nil && !slices.Equal(r.Hosts, tt.hosts) {
				t.Errorf("hosts %v, want %v", r.Hosts, tt.hosts)
			}
			for _, w := range tt.reason {
				if !strings.Contains(r.Reason, w) {
					t.Errorf("reason %q lacks %q", r.Reason, w)
				}
			}
		})
	}
}

// A fault Ceph attributes to a host names only that host: the gate after
// another host's restart does not wait for it.
func TestEvaluateNamesTheHostAtFault(t *testing.T) {
	top := labTopology(t)
	st := strings.Replace(fixture(t, "status-ok.json"), `"num_up_osds":3`, `"num_up_osds":2`, 1)
	a := health.Answer{Host: "stor-1", Out: "== status\n" + st + "== mgr\n" + fixture(t, "mgr-stat.json") + "== tree\n" +
		fixture(t, "osd-tree-down.json") + "== df\n" + fixture(t, "df.json") + "== end\n"}
	r := evaluate(top, []health.Answer{a})
	if r.Status != health.Degraded || !slices.Equal(r.Hosts, []string{"stor-2"}) {
		t.Errorf("%s %v: %s", r.Status, r.Hosts, r.Reason)
	}
}

// A pool that acknowledges one copy expects Ceph's warning about it.
func TestExpectedWarnings(t *testing.T) {
	top := labTopology(t)
	top.Pools[0].Size, top.Pools[0].AllowSizeOne = 1, true
	st := strings.Replace(fixture(t, "status-ok.json"), `"status":"HEALTH_OK","checks":{}`,
		`"status":"HEALTH_WARN","checks":{"POOL_NO_REDUNDANCY":{"severity":"HEALTH_WARN","summary":{"message":"1 pool(s) have no replicas configured","count":1},"muted":false}}`, 1)
	a := health.Answer{Host: "stor-1", Out: "== status\n" + st + "== mgr\n" + fixture(t, "mgr-stat.json") + "== tree\n{}\n== df\n{}\n== end\n"}
	if r := evaluate(top, []health.Answer{a}); r.Status != health.OK {
		t.Errorf("%s: %s", r.Status, r.Reason)
	}
}

func TestParsers(t *testing.T) {
	q, err := parseQuorum(fixture(t, "quorum-status.json"))
	if err != nil || strings.Join(q.QuorumNames, ",") != "stor-1,stor-2,stor-3" || q.Leader != "stor-1" {
		t.Errorf("quorum %+v, %v", q, err)
	}
	if q, err := parseQuorum("\n"); err != nil || len(q.QuorumNames) != 0 {
		t.Errorf("empty quorum %+v, %v", q, err)
	}
	hs, err := parseOSDTree(fixture(t, "osd-tree-down.json"))
	if err != nil || len(hs) != 3 || hs[1].Host != "stor-2" || hs[1].Up != 0 || !slices.Equal(hs[1].Down, []string{"osd.1"}) || hs[0].Up != 1 {
		t.Errorf("tree %+v, %v", hs, err)
	}
	m, err := parseMgrStat(fixture(t, "mgr-stat.json"))
	if err != nil || !m.Available || m.ActiveName != "stor-1" || m.NumStandby != 2 {
		t.Errorf("mgr %+v, %v", m, err)
	}
	ps, err := parseDF(fixture(t, "df.json"))
	if err != nil || len(ps) != 3 || ps[1].Name != "images" || ps[1].Stored != 12582912 {
		t.Errorf("df %+v, %v", ps, err)
	}
	for state, want := range map[string]bool{"active+clean": true, "active+clean+scrubbing+deep": true,
		"active+undersized": false, "clean": false, "active+clean+remapped": false, "unknown": false} {
		if clean(state) != want {
			t.Errorf("clean(%q) = %v", state, !want)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, n := range []string{"status-ok.json", "status-osd-down.json", "status-inactive.json"} {
		f.Add(fixture(f, n))
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := parseStatus(s)
		if err != nil {
			return
		}
		p := st.pgs()
		other := 0
		for _, n := range p.Other {
			other += n
		}
		if p.Inactive > other {
			t.Fatalf("%d inactive PGs, %d in other states", p.Inactive, other)
		}
		_ = st.warnings(nil)
		evaluate(labTopologyFuzz, []health.Answer{{Host: "stor-1", Out: "== status\n" + s + "\n== end\n"}})
	})
}

func FuzzParseOSDTree(f *testing.F) {
	f.Add(fixture(f, "osd-tree.json"))
	f.Add(fixture(f, "osd-tree-down.json"))
	f.Fuzz(func(t *testing.T, s string) {
		hs, err := parseOSDTree(s)
		if err != nil {
			return
		}
		for _, h := range hs {
			if h.Up > h.Total || h.In > h.Total || len(h.Down) != h.Total-h.Up {
				t.Fatalf("%+v", h)
			}
		}
	})
}

func FuzzSections(f *testing.F) {
	f.Add("== status\n{}\n== mgr\n== end\n")
	f.Fuzz(func(t *testing.T, s string) {
		for name := range health.Sections(s) {
			if strings.Contains(name, "\n") {
				t.Fatalf("section name %q", name)
			}
		}
		_, _ = parseMgrStat(s)
		_, _ = parseDF(s)
		_, _ = parseQuorum(s)
	})
}

// labTopologyFuzz is a fixed topology for the fuzz targets (no example
// loaded per input).
var labTopologyFuzz = &topology{Cloud: "lab", Mons: []monitor{{Host: "stor-1"}, {Host: "stor-2"}, {Host: "stor-3"}},
	Mgrs: []string{"stor-1", "stor-2"}, Hosts: []string{"stor-1", "stor-2", "stor-3"}}

// A warning Fundament mutes (a defect of the release stream's Ceph)
// leaves the cluster OK, and the reason still says it and why.
func TestMutedWarningIsSaid(t *testing.T) {
	top := labTopology(t)
	st := fixture(t, "real/status.json")
	st = strings.Replace(st, `"status":"HEALTH_WARN"`, `"status":"HEALTH_OK"`, 1)
	st = strings.Replace(st, `"count":13},"muted":false`, `"count":13},"muted":true`, 1)
	st = strings.Replace(st, `"MON_DISK_LOW":{"severity":"HEALTH_WARN","summary":{"message":"mons stor-1,stor-2,stor-3 are low on available space","count":3},"muted":false}`,
		`"MON_DISK_LOW":{"severity":"HEALTH_WARN","summary":{"message":"mons stor-1,stor-2,stor-3 are low on available space","count":3},"muted":true}`, 1)
	a := health.Answer{Host: "stor-1", Out: "== status\n" + st + "== mgr\n" + fixture(t, "real/mgr-stat.json") + "\n== tree\n" +
		fixture(t, "real/osd-tree.json") + "== df\n" + fixture(t, "real/df.json") + "== end\n"}
	r := evaluate(top, []health.Answer{a})
	if r.Status != health.OK {
		t.Errorf("%s: %s", r.Status, r.Reason)
	}
	for _, w := range []string{"muted: MGR_MODULE_DEPENDENCY (Debian 13's ceph-mgr 18.2.7 cannot load its Python modules", "; MON_DISK_LOW"} {
		if !strings.Contains(r.Reason, w) {
			t.Errorf("reason %q lacks %q", r.Reason, w)
		}
	}
}

// A manager that did not come back is said, though Ceph does not warn
// while another serves.
func TestEvaluateMissingManager(t *testing.T) {
	top := labTopology(t)
	mgr := strings.Replace(fixture(t, "real/mgr-stat.json"), `"num_standby":2`, `"num_standby":1`, 1)
	st := strings.Replace(fixture(t, "real/status.json"), `"status":"HEALTH_WARN"`, `"status":"HEALTH_OK"`, 1)
	st = strings.ReplaceAll(st, `"muted":false`, `"muted":true`)
	a := health.Answer{Host: "stor-1", Out: "== status\n" + st + "== mgr\n" + mgr + "\n== tree\n" +
		fixture(t, "real/osd-tree.json") + "== df\n" + fixture(t, "real/df.json") + "== end\n"}
	r := evaluate(top, []health.Answer{a})
	if r.Status != health.Degraded || !strings.HasPrefix(r.Reason, "2 of 3 managers run: ") {
		t.Errorf("%s: %s", r.Status, r.Reason)
	}
}
