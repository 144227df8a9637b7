package ovn

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/health"
)

// Real output of OVS 3.5 (Debian 13) in the lab.
const leaderStatus = `4811
Name: OVN_Northbound
Cluster ID: b785 (b78580f8-19c2-473e-a28c-b607ade71e9c)
Server ID: 4811 (4811ea00-b051-4507-aabb-9222e1d66fe2)
Address: tcp:10.0.20.11:6643
Status: cluster member
Role: leader
Term: 2
Leader: self
Vote: self

Last Election won: 21464 ms ago
Election timer: 16000
Log: [2, 8]
Entries not yet committed: 0
Entries not yet applied: 0
Connections: <-e87c ->e87c <-b286 ->b286
Disconnections: 0
Servers:
    4811 (4811 at tcp:10.0.20.11:6643) (self) next_index=3 match_index=7
    e87c (e87c at tcp:10.0.20.12:6643) next_index=8 match_index=7 last msg 360 ms ago
    b286 (b286 at tcp:10.0.20.13:6643) next_index=8 match_index=7 last msg 360 ms ago
`

const followerStatus = `e87c
Name: OVN_Northbound
Cluster ID: b785 (b78580f8-19c2-473e-a28c-b607ade71e9c)
Server ID: e87c (e87c3d65-09a7-49d0-b32a-b56eefb5f2d8)
Address: tcp:10.0.20.12:6643
Status: cluster member
Role: follower
Term: 2
Leader: 4811
Vote: unknown

Election timer: 16000
Log: [2, 8]
Entries not yet committed: 0
Entries not yet applied: 0
Connections: ->0000 <-4811 <-b286 ->b286
Disconnections: 1
Servers:
    4811 (4811 at tcp:10.0.20.11:6643) last msg 480 ms ago
    e87c (e87c at tcp:10.0.20.12:6643) (self)
    b286 (b286 at tcp:10.0.20.13:6643)
`

// third is b286's view, made from the follower's.
var thirdStatus = strings.NewReplacer("Server ID: e87c (e87c3d65", "Server ID: b286 (b2863d65", "Address: tcp:10.0.20.12", "Address: tcp:10.0.20.13",
	"Connections: ->0000 <-4811 <-b286 ->b286", "Connections: <-4811 ->4811 <-e87c ->e87c",
	"(e87c at tcp:10.0.20.12:6643) (self)", "(e87c at tcp:10.0.20.12:6643)", "(b286 at tcp:10.0.20.13:6643)", "(b286 at tcp:10.0.20.13:6643) (self)").Replace(followerStatus)

func TestParseClusterStatus(t *testing.T) {
	s, err := parseClusterStatus(leaderStatus)
	if err != nil {
		t.Fatal(err)
	}
	if s.ServerID != "4811" || s.Role != "leader" || s.Leader != "self" || s.Term != 2 || s.Status != "cluster member" ||
		s.Address != "tcp:10.0.20.11:6643" || s.LogStart != 2 || s.LogEnd != 8 || s.ElectionTimer != 16000 || s.Name != "OVN_Northbound" {
		t.Errorf("leader: %+v", s)
	}
	if len(s.Servers) != 3 || !s.Servers[0].Self || s.Servers[1].SID != "e87c" || s.Servers[1].Address != "tcp:10.0.20.12:6643" ||
		!s.Servers[1].HasMatchIndex || s.Servers[1].MatchIndex != 7 {
		t.Errorf("servers: %+v", s.Servers)
	}
	if len(s.Conns) != 4 || !s.Conns[0].Incoming || s.Conns[1].Incoming || !s.connectedTo("b286") || s.connectedTo("0000") {
		t.Errorf("connections: %+v", s.Conns)
	}
	f, err := parseClusterStatus(followerStatus)
	if err != nil {
		t.Fatal(err)
	}
	if f.Leader != "4811" || f.Role != "follower" || f.Servers[0].HasMatchIndex || !f.Servers[1].Self {
		t.Errorf("follower: %+v", f)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"not running", "2026-11-27T00:12:14Z|00001|unixctl|WARN|failed to connect to /var/run/ovn/ovnsb_db.ctl\n", "not a cluster status"},
		{"standalone", "ovsdb-server: OVN_Northbound: database is not clustered\n", "not a cluster status"},
		{"bad term", strings.Replace(leaderStatus, "Term: 2", "Term: two", 1), `Term "two"`},
		{"bad log", strings.Replace(leaderStatus, "Log: [2, 8]", "Log: 2-8", 1), "want [start, end]"},
		{"bad server", strings.Replace(leaderStatus, "    e87c (e87c at", "    e87c (e87c", 1), "no address"},
	} {
		if _, err := parseClusterStatus(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	// Phases and candidates' votes.
	line := "b286 (b286 at tcp:10.0.20.13:6643) (adding: catchup) (voted for 4811) last msg 3 ms ago"
	srv, err := parseRaftServer(line)
	if err != nil || srv.Phase != "adding: catchup" || srv.Self {
		t.Errorf("%q: %+v %v", line, srv, err)
	}
	if conns := parseConns("(->b286) <-4811 junk"); len(conns) != 2 || conns[0].Connected || !conns[1].Connected {
		t.Errorf("connections: %+v", conns)
	}
}

func labViews(t *testing.T) []memberView {
	t.Helper()
	var out []memberView
	for i, text := range []string{leaderStatus, followerStatus, thirdStatus} {
		s, err := parseClusterStatus(text)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, memberView{Host: fmt.Sprintf("ctl-%d", i+1), Addr: fmt.Sprintf("tcp:10.0.20.1%d:6643", i+1), Status: s})
	}
	return out
}

func TestEvaluateCluster(t *testing.T) {
	down := errors.New("ctl-2 is not reachable (no connection)")
	for _, tc := range []struct {
		name   string
		change func(vs []memberView)
		status health.Status
		hosts  string
		reason string
	}{
		{"healthy", func([]memberView) {}, health.OK, "ctl-1,ctl-2,ctl-3", "3/3 members, leader ctl-1 (term 2), all connected"},
		{"member down", func(vs []memberView) {
			vs[1].Status, vs[1].Err = nil, down
			vs[0].Status.Conns = parseConns("<-b286 ->b286 (->e87c)")
		}, health.Degraded, "ctl-2", "2/3 members healthy, leader ctl-1 (term 2); ctl-2: ctl-2 is not reachable"},
		{"two down", func(vs []memberView) {
			vs[1].Status, vs[1].Err = nil, down
			vs[2].Status, vs[2].Err = nil, down
		}, health.Down, "ctl-1,ctl-2,ctl-3", "no quorum: 1 of 3 members healthy, 2 needed"},
		{"no leader", func(vs []memberView) {
			vs[0].Status, vs[0].Err = nil, down
			vs[1].Status.Leader, vs[2].Status.Leader = "unknown", "unknown"
		}, health.Down, "ctl-1,ctl-2,ctl-3", "no leader: the database takes no writes"},
		{"lagging", func(vs []memberView) {
			vs[0].Status.LogEnd = 2000
			vs[0].Status.Servers[1].MatchIndex = 1999
			vs[0].Status.Servers[2].MatchIndex = 1000
		}, health.Degraded, "ctl-3", "ctl-3 is 999 log entries behind the leader"},
		{"a little behind", func(vs []memberView) {
			vs[0].Status.LogEnd = 200
			vs[0].Status.Servers[1].MatchIndex = 199
			vs[0].Status.Servers[2].MatchIndex = 150
		}, health.OK, "ctl-1,ctl-2,ctl-3", "followers at most 49 log entries behind"},
		{"not connected", func(vs []memberView) {
			vs[2].Status.Conns = parseConns("<-4811 ->4811 (->e87c)")
			vs[1].Status.Conns = parseConns("<-4811 ->4811")
		}, health.Degraded, "ctl-2,ctl-3", "ctl-2 is not connected to ctl-3; ctl-3 is not connected to ctl-2"},
		{"joining", func(vs []memberView) {
			vs[2].Status.Status = "joining cluster"
		}, health.Degraded, "ctl-3", "ctl-3 is not a cluster member: joining cluster"},
		{"stale server", func(vs []memberView) {
			vs[0].Status.Servers = append(vs[0].Status.Servers, raftServer{SID: "dead", Address: "tcp:10.0.20.99:6643"})
		}, health.Degraded, "ctl-1,ctl-2,ctl-3", "server dead at tcp:10.0.20.99:6643 is in the cluster but no member of the model"},
		{"missing member", func(vs []memberView) {
			vs[0].Status.Servers = vs[0].Status.Servers[:2]
		}, health.Degraded, "ctl-3", "ctl-3 is not in the cluster's configuration"},
		{"follows another", func(vs []memberView) {
			vs[2].Status.Leader = "e87c"
		}, health.Degraded, "ctl-3", "ctl-3 follows ctl-2, not the leader ctl-1"},
		{"old leader", func(vs []memberView) {
			vs[2].Status.Role, vs[2].Status.Term, vs[2].Status.Leader = "leader", 1, "self"
		}, health.Degraded, "ctl-3", "ctl-3 still claims leadership (term 1, the leader ctl-1 is in term 2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs := labViews(t)
			tc.change(vs)
			r := evaluateCluster(nbDB, vs)
			if r.Status != tc.status || strings.Join(r.Hosts, ",") != tc.hosts || !strings.Contains(r.Reason, tc.reason) || r.Target != "OVN_Northbound" {
				t.Errorf("got %s %v %q\nwant %s %s, a reason with %q", r.Status, r.Hosts, r.Reason, tc.status, tc.hosts, tc.reason)
			}
		})
	}
}

func TestNorthd(t *testing.T) {
	for in, want := range map[string]string{"Status: active\n": "active", "Status: standby": "standby", "Status: paused\n": "paused"} {
		if got, err := parseNorthdStatus(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"", "Status: confused", "ovn-appctl: cannot read pidfile"} {
		if _, err := parseNorthdStatus(in); err == nil {
			t.Errorf("%q parses", in)
		}
	}
	gone := errors.New("ovn-northd is not running")
	for _, tc := range []struct {
		name   string
		views  []northdView
		status health.Status
		hosts  string
		reason string
	}{
		{"one active", []northdView{{"a", "standby", nil}, {"b", "active", nil}, {"c", "standby", nil}}, health.OK, "a,b,c", "active on b, standby on a, c"},
		{"a standby gone", []northdView{{"a", "", gone}, {"b", "active", nil}, {"c", "standby", nil}}, health.Degraded, "a", "a: ovn-northd is not running"},
		{"none active", []northdView{{"a", "standby", nil}, {"b", "standby", nil}}, health.Down, "a,b", "no active ovn-northd"},
		{"two active", []northdView{{"a", "active", nil}, {"b", "active", nil}}, health.Degraded, "a,b", "more than one active"},
		{"paused", []northdView{{"a", "active", nil}, {"b", "paused", nil}}, health.Degraded, "b", "b is paused"},
	} {
		r := evaluateNorthd(tc.views)
		if r.Status != tc.status || strings.Join(r.Hosts, ",") != tc.hosts || !strings.Contains(r.Reason, tc.reason) {
			t.Errorf("%s: got %s %v %q", tc.name, r.Status, r.Hosts, r.Reason)
		}
	}
}

const sbOutput = `{"data":[["ctl-1","ctl-1.lab",["map",[["datapath-type","netdev"],["ovn-cms-options","enable-chassis-as-gw"]]]],["cmp-1","cmp-1.lab",["map",[["ovn-cms-options",""]]]],["cmp-2","cmp-2.lab",["map",[]]]],"headings":["name","hostname","other_config"]}
@@fundament-encap@@
{"data":[["cmp-1","geneve","10.0.40.21"],["cmp-2","geneve","10.0.40.99"],["ctl-1","geneve","10.0.40.11"]],"headings":["chassis_name","type","ip"]}
`

func TestChassisHealth(t *testing.T) {
	sb, err := parseSBChassis(sbOutput)
	if err != nil {
		t.Fatal(err)
	}
	if !sb["ctl-1"].Gateway || sb["cmp-1"].Gateway || len(sb["cmp-2"].Encaps) != 1 || sb["cmp-2"].Encaps[0].IP != "10.0.40.99" {
		t.Fatalf("%+v %+v %+v", sb["ctl-1"], sb["cmp-1"], sb["cmp-2"])
	}
	for _, bad := range []string{"", "{}", "{}\n@@fundament-encap@@\n{}", `{"data":[[1,2]],"headings":["name","other_config"]}` + "\n@@fundament-encap@@\n" + `{"data":[],"headings":["chassis_name","type","ip"]}`} {
		if _, err := parseSBChassis(bad); err == nil {
			t.Errorf("%q parses", bad)
		}
	}
	if s, err := ovsString([]byte(`["set",[]]`)); err != nil || s != "" {
		t.Errorf("empty set: %q %v", s, err)
	}
	addr := netip.MustParseAddr
	topo := &topology{Encap: "geneve", Chassis: []chassis{
		{Host: "ctl-1", EncapIP: addr("10.0.40.11"), Gateway: true},
		{Host: "cmp-1", EncapIP: addr("10.0.40.21")},
		{Host: "cmp-2", EncapIP: addr("10.0.40.22")},
		{Host: "cmp-3", EncapIP: addr("10.0.40.23")},
		{Host: "ctl-2", EncapIP: addr("10.0.40.12"), Gateway: true},
	}}
	sb["ctl-2"] = &sbChassis{Encaps: []sbEncap{{"geneve", "10.0.40.12"}}}
	ctrl := map[string]controllerView{"ctl-1": {Connected: true}, "cmp-1": {Connected: false}, "cmp-2": {Connected: true},
		"cmp-3": {Err: errors.New("ovn-controller is not running")}, "ctl-2": {Connected: true}}
	want := map[string]string{
		"ctl-1": "OK gateway chassis, geneve 10.0.40.11, ovn-controller connected",
		"cmp-1": "DEGRADED ovn-controller is not connected to the southbound database",
		"cmp-2": "DEGRADED registered with encapsulation geneve 10.0.40.99, want geneve 10.0.40.22",
		"cmp-3": "DEGRADED not registered in the southbound database; ovn-controller: ovn-controller is not running",
		"ctl-2": "DEGRADED not registered as a gateway chassis",
	}
	rs := evaluateChassis(topo, sb, nil, ctrl)
	if len(rs) != len(want) {
		t.Fatalf("%d results: %+v", len(rs), rs)
	}
	for _, r := range rs {
		if got := r.Status.String() + " " + r.Reason; !strings.HasPrefix(got, want[r.Target]) || !slices.Equal(r.Hosts, []string{r.Target}) {
			t.Errorf("%s: %q (hosts %v), want %q", r.Target, got, r.Hosts, want[r.Target])
		}
	}
	rs = evaluateChassis(topo, nil, errors.New("ctl-1: exit status 1"), ctrl)
	if len(rs) != 1 || rs[0].Status != health.Down || len(rs[0].Hosts) != 5 {
		t.Errorf("no southbound database: %+v", rs)
	}
	for in, want := range map[string]bool{"connected\n": true, "not connected": false} {
		if got, err := parseConnectionStatus(in); err != nil || got != want {
			t.Errorf("%q: %t %v", in, got, err)
		}
	}
	if _, err := parseConnectionStatus("huh"); err == nil {
		t.Error("unknown connection status parses")
	}
}

func TestExplain(t *testing.T) {
	err := explain(errors.New("exit status 1: 2026-11-27T00:12:14Z|00001|unixctl|WARN|failed to connect to /var/run/ovn/ovnsb_db.ctl"), "the OVN_Southbound database server")
	if err == nil || !strings.HasPrefix(err.Error(), "the OVN_Southbound database server is not running") {
		t.Errorf("%v", err)
	}
	if explain(nil, "x") != nil {
		t.Error("nil")
	}
}

// The parsers face whatever a host prints: never a panic.

func FuzzParseClusterStatus(f *testing.F) {
	f.Add(leaderStatus)
	f.Add(followerStatus)
	f.Add("Servers:\n    a (b at c) (d\n")
	f.Add("Log: [1,\nConnections: ( (-> <-")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := parseClusterStatus(s)
		if err == nil && (st.Status == "" || st.ServerID == "") {
			t.Fatalf("accepted without Status or Server ID: %+v", st)
		}
		if err == nil {
			views := []memberView{{Host: "a", Addr: st.Address, Status: st}, {Host: "b", Err: errors.New("down")}}
			evaluateCluster(nbDB, views)
		}
	})
}

func FuzzParseNorthdStatus(f *testing.F) {
	f.Add("Status: active\n")
	f.Add("Status:")
	f.Fuzz(func(t *testing.T, s string) {
		if st, err := parseNorthdStatus(s); err == nil && st != "active" && st != "standby" && st != "paused" {
			t.Fatalf("status %q", st)
		}
	})
}

func FuzzParseSBChassis(f *testing.F) {
	f.Add(sbOutput)
	f.Add(`{"data":[["a",["set",["x"]]]],"headings":["name","other_config"]}@@fundament-encap@@{"data":[["a",1,"ip"]],"headings":["chassis_name","type","ip"]}`)
	f.Fuzz(func(t *testing.T, s string) {
		if sb, err := parseSBChassis(s); err == nil && sb == nil {
			t.Fatal("nil map without an error")
		}
	})
}

func FuzzParseConnectionStatus(f *testing.F) {
	f.Add("connected\n")
	f.Add("not connected")
	f.Fuzz(func(t *testing.T, s string) {
		parseConnectionStatus(s)
	})
}
