package rabbitmq

// The cluster check: parsing cluster_status (real output of RabbitMQ
// 4.0.5 in the lab, testdata/cluster_status.json), the verdicts and the
// hosts they name, and fuzzing of the parser.

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/example"

	"github.com/fundament-cloud/fundament/internal/health"
)

func realStatus(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/cluster_status.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseClusterStatus(t *testing.T) {
	s, err := parseClusterStatus(realStatus(t))
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"rabbit@ctl-1", "rabbit@ctl-2", "rabbit@ctl-3"}
	if !slices.Equal(s.DiskNodes, all) || !slices.Equal(s.RunningNodes, all) || len(s.Alarms) != 0 || len(s.Partitions) != 0 {
		t.Errorf("%+v", s)
	}
	// What the CLI prints with an alarm set (captured in the lab) and a
	// partition, after a line of noise.
	s, err = parseClusterStatus("warning: something\n" + `{"alarms":[{"node":"rabbit@ctl-3","type":"resource_limit","resource":"memory"},{"node":"rabbit@ctl-1","type":"file_descriptor_limit"},"disk"],` +
		`"disk_nodes":["rabbit@ctl-2","rabbit@ctl-1"],"running_nodes":["rabbit@ctl-1"],"partitions":{"rabbit@ctl-1":["rabbit@ctl-2"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []alarm{{Node: "rabbit@ctl-3", Resource: "memory"}, {Node: "rabbit@ctl-1", Resource: "file_descriptor_limit"}, {Resource: "disk"}}
	if !slices.Equal(s.Alarms, want) || !slices.Equal(s.DiskNodes, []string{"rabbit@ctl-1", "rabbit@ctl-2"}) ||
		!slices.Equal(s.Partitions["rabbit@ctl-1"], []string{"rabbit@ctl-2"}) {
		t.Errorf("%+v", s)
	}
	for _, bad := range []string{"", "Error: unable to perform an operation on node 'rabbit@ctl-1'", `{"disk_nodes":[]}`, `{"disk_nodes":"x"}`, `{"alarms":[3],"disk_nodes":["a"]}`} {
		if _, err := parseClusterStatus(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// view builds a member's view: a cluster of disk nodes, running ones.
func view(host string, disk, running []string) nodeView {
	n := func(hs []string) []string {
		var out []string
		for _, h := range hs {
			out = append(out, "rabbit@"+h)
		}
		slices.Sort(out)
		return out
	}
	return nodeView{Host: host, Node: "rabbit@" + host, Status: &clusterStatus{DiskNodes: n(disk), RunningNodes: n(running)}}
}

func down(host string) nodeView {
	return nodeView{Host: host, Node: "rabbit@" + host, Err: errors.New("exit status 3: rabbitmq-server.service is inactive")}
}

func TestEvaluateCluster(t *testing.T) {
	three := []string{"ctl-1", "ctl-2", "ctl-3"}
	withAlarm := view("ctl-2", three, three)
	withAlarm.Status.Alarms = []alarm{{Node: "rabbit@ctl-2", Resource: "memory"}}
	partitioned := view("ctl-1", three, []string{"ctl-1", "ctl-2"})
	partitioned.Status.Partitions = map[string][]string{"rabbit@ctl-1": {"rabbit@ctl-3"}}
	for _, tc := range []struct {
		name   string
		views  []nodeView
		status health.Status
		hosts  []string
		reason []string
	}{
		{"healthy", []nodeView{view("ctl-1", three, three), view("ctl-2", three, three), view("ctl-3", three, three)},
			health.OK, three, []string{"3/3 members run in the cluster (ctl-1, ctl-2, ctl-3), no alarms, no partitions"}},
		{"a member down", []nodeView{view("ctl-1", three, []string{"ctl-1", "ctl-3"}), down("ctl-2"), view("ctl-3", three, []string{"ctl-1", "ctl-3"})},
			health.Degraded, []string{"ctl-2"}, []string{"2/3 members", "ctl-2: exit status 3"}},
		{"the application stopped (paused minority)", []nodeView{view("ctl-1", three, []string{"ctl-1", "ctl-2"}), view("ctl-2", three, []string{"ctl-1", "ctl-2"}), view("ctl-3", three, nil)},
			health.Degraded, []string{"ctl-3"}, []string{"ctl-3: the node is up but RabbitMQ does not run"}},
		// The first member of a new cluster, the others not started yet:
		// no quorum, but nothing the first member's gate waits for.
		{"first member alone", []nodeView{view("ctl-1", []string{"ctl-1"}, []string{"ctl-1"}), down("ctl-2"), down("ctl-3")},
			health.Down, []string{"ctl-2", "ctl-3"}, []string{"no quorum: 1 of 3 members run in the cluster, 2 needed"}},
		{"second member joined", []nodeView{view("ctl-1", []string{"ctl-1", "ctl-2"}, []string{"ctl-1", "ctl-2"}), view("ctl-2", []string{"ctl-1", "ctl-2"}, []string{"ctl-1", "ctl-2"}), down("ctl-3")},
			health.Degraded, []string{"ctl-3"}, []string{"2/3 members"}},
		{"a member in a cluster of its own", []nodeView{view("ctl-1", []string{"ctl-1", "ctl-2"}, []string{"ctl-1", "ctl-2"}), view("ctl-2", []string{"ctl-1", "ctl-2"}, []string{"ctl-1", "ctl-2"}), view("ctl-3", []string{"ctl-3"}, []string{"ctl-3"})},
			health.Degraded, []string{"ctl-3"}, []string{"ctl-3 runs apart from the cluster of ctl-1 (its own cluster: ctl-3)"}},
		{"no member runs", []nodeView{down("ctl-1"), down("ctl-2"), down("ctl-3")},
			health.Down, three, []string{"no member runs: ctl-1: exit status 3"}},
		{"memory alarm", []nodeView{view("ctl-1", three, three), withAlarm, view("ctl-3", three, three)},
			health.Down, []string{"ctl-2"}, []string{"publishers are blocked: memory alarm on ctl-2"}},
		{"partition", []nodeView{partitioned, view("ctl-2", three, []string{"ctl-1", "ctl-2"}), view("ctl-3", three, nil)},
			health.Degraded, []string{"ctl-1", "ctl-3"}, []string{"ctl-1 was cut off from ctl-3 (a network partition)"}},
		{"a member unknown to the model", []nodeView{view("ctl-1", []string{"ctl-1", "ctl-2", "old"}, []string{"ctl-1", "ctl-2"}), view("ctl-2", []string{"ctl-1", "ctl-2", "old"}, []string{"ctl-1", "ctl-2"})},
			health.Degraded, []string{"ctl-1", "ctl-2"}, []string{"rabbit@old is a member of the cluster but not of the model (remove it: rabbitmqctl forget_cluster_node rabbit@old)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := evaluateCluster(tc.views)
			if r.Status != tc.status || !slices.Equal(r.Hosts, tc.hosts) {
				t.Errorf("%s %v: %s", r.Status, r.Hosts, r.Reason)
			}
			for _, want := range tc.reason {
				if !strings.Contains(r.Reason, want) {
					t.Errorf("reason %q lacks %q", r.Reason, want)
				}
			}
		})
	}
}

func TestHealthChecks(t *testing.T) {
	c := example.Load(t, "lab")
	checks := Component{}.HealthChecks(c)
	if len(checks) != 1 || checks[0].Layer != "rabbitmq" || checks[0].Component != name || checks[0].Name != "rabbitmq-cluster" {
		t.Fatalf("%+v", checks)
	}
	c.Services.RabbitMQ.Placement.Roles = nil
	c.Services.RabbitMQ.Placement.Hosts = []string{"stor-1"}
	checks = Component{}.HealthChecks(c)
	if len(checks) != 1 || checks[0].Name != "rabbitmq-model" {
		t.Fatalf("%+v", checks)
	}
	if rs := checks[0].Run(t.Context(), &health.Env{}); len(rs) != 1 || rs[0].Status != health.Down || !strings.Contains(rs[0].Reason, "stor-1") {
		t.Errorf("%+v", rs)
	}
}

func FuzzParseClusterStatus(f *testing.F) {
	f.Add(realStatus(f))
	f.Add(`{"alarms":[{"node":"rabbit@a","type":"resource_limit","resource":"disk"}],"disk_nodes":["rabbit@a"],"running_nodes":[],"partitions":{"rabbit@a":["rabbit@b"]}}`)
	f.Add("noise {\"disk_nodes\":[\"x\"]} more noise }")
	f.Add("}{")
	f.Fuzz(func(t *testing.T, out string) {
		s, err := parseClusterStatus(out)
		if err != nil {
			return
		}
		if len(s.DiskNodes) == 0 {
			t.Fatal("a status without members parsed")
		}
		// Whatever parses must be judged without panicking.
		evaluateCluster([]nodeView{{Host: "a", Node: "rabbit@a", Status: s}, down("b")})
	})
}
