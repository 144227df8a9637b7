package galera

import (
	"strings"
	"testing"
)

// A grastate.dat of MariaDB 11.8 / Galera 26.4 after a clean shutdown.
const grastateSample = `# GALERA saved state
version: 2.1
uuid:    971c9b48-ea14-11f1-881b-765d070fc40c
seqno:   42
safe_to_bootstrap: 1
`

// The answer of statusQuery on a synced member (mariadb -N -B).
const statusSample = "wsrep_last_committed\t14\nwsrep_local_state_comment\tSynced\nwsrep_cluster_size\t3\nwsrep_cluster_state_uuid\t971c9b48-ea14-11f1-881b-765d070fc40c\nwsrep_cluster_status\tPrimary\nwsrep_ready\tON\n"

func TestParseGrastate(t *testing.T) {
	g, err := parseGrastate(grastateSample)
	if err != nil || g.Pos.UUID != clusterUUID || g.Pos.Seqno != 42 || !g.SafeToBootstrap {
		t.Errorf("got %+v, %v", g, err)
	}
	for _, bad := range []string{
		"",
		"uuid: 971c9b48-ea14-11f1-881b-765d070fc40c\n",
		"uuid: nope\nseqno: 1\n",
		"uuid: 971c9b48-ea14-11f1-881b-765d070fc40c\nseqno: -2\n",
		"uuid: 971c9b48-ea14-11f1-881b-765d070fc40c\nseqno: 1\nsafe_to_bootstrap: yes\n",
		"uuid 971c9b48-ea14-11f1-881b-765d070fc40c\nseqno: 1\n",
	} {
		if _, err := parseGrastate(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	st, err := parseStatus(statusSample)
	want := wsrepStatus{ClusterStatus: "Primary", LocalState: "Synced", ClusterSize: 3, Ready: true, StateUUID: clusterUUID, LastCommitted: 14}
	if err != nil || st != want {
		t.Errorf("got %+v, %v", st, err)
	}
	for _, tc := range []struct{ in, err string }{
		{"ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (111)\n", "ERROR 2002"},
		{"", "runs without Galera"},
		{"wsrep_cluster_size\tthree\nwsrep_cluster_status\tPrimary\n", "not a number"},
	} {
		if _, err := parseStatus(tc.in); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestParsePosition(t *testing.T) {
	for in, want := range map[string]position{
		clusterUUID + ":11":            {clusterUUID, 11},
		clusterUUID + ":-1":            {clusterUUID, -1},
		" " + clusterUUID + ":7,0-1-9": {clusterUUID, 7},
	} {
		if got, err := parsePosition(in); err != nil || got != want {
			t.Errorf("%q: %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "11", "x:1", clusterUUID + ":", clusterUUID + ":-5"} {
		if _, err := parsePosition(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseProbe(t *testing.T) {
	out := probeOut("activating", "", grastateText(-1, false), true,
		"/usr/sbin/mariadbd --wsrep_start_position="+clusterUUID+":12 ", "")
	o, err := parseProbe("ctl-2", out)
	if err != nil || o.Unit != "activating" || !o.GVWState || o.Started == nil || o.Started.Seqno != 12 || o.Status != nil || o.Grastate.Pos.Seqno != -1 {
		t.Errorf("got %+v, %v", o, err)
	}
	o, err = parseProbe("ctl-1", probeOut("active", statusSample, grastateText(-1, false), true, "/usr/sbin/mariadbd ", ""))
	if err != nil || o.Status == nil || o.Status.ClusterStatus != "Primary" {
		t.Errorf("got %+v, %v", o, err)
	}
	o, err = parseProbe("ctl-1", probeOut("failed", "", grastateText(-1, false), true, "", "--wsrep_start_position="+clusterUUID+":9"))
	if err != nil || o.Recovered == nil || o.Recovered.Seqno != 9 {
		t.Errorf("got %+v, %v", o, err)
	}
	if _, err := parseProbe("ctl-1", "== unit\nactive\n"); err == nil {
		t.Error("a cut-off probe was accepted")
	}
}

func FuzzParseGrastate(f *testing.F) {
	f.Add(grastateSample)
	f.Add("uuid: 00000000-0000-0000-0000-000000000000\nseqno: -1\n")
	f.Add("# x\n\nfoo: bar\n")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := parseGrastate(s)
		if err == nil && (!reUUID.MatchString(g.Pos.UUID) || g.Pos.Seqno < -1) {
			t.Errorf("accepted %q as %+v", s, g)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add(statusSample)
	f.Add("ERROR 2002 (HY000): Can't connect\n")
	f.Add("wsrep_cluster_status\tnon-Primary\nwsrep_cluster_size\t-1\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := parseStatus(s)
		if err == nil && (st.ClusterSize < 0 || st.LastCommitted < -1) {
			t.Errorf("accepted %q as %+v", s, st)
		}
	})
}

func FuzzParseProbe(f *testing.F) {
	f.Add(probeOut("active", statusSample, grastateSample, true, "/usr/sbin/mariadbd --wsrep_start_position="+clusterUUID+":1", ""))
	f.Add(probeOut("failed", "", grastateText(-1, false), true, "", "--wsrep_start_position="+clusterUUID+":9"))
	f.Fuzz(func(t *testing.T, s string) {
		o, err := parseProbe("h", s)
		if err == nil && o == nil {
			t.Error("nil without an error")
		}
	})
}
