package memcached

// The compiled catalog (golden memcached.conf; go test
// ./internal/components/memcached -update rewrites it), Servers, and the
// instance check: parsing stats (fuzzed) and the verdicts.

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/catalogtext"
	"github.com/fundament-cloud/fundament/internal/testutil/example"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

func compile(t *testing.T, c *model.Cloud) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Compile(&catalog.Input{Cloud: c}, hostnet.Component{}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func content(t *testing.T, cat *catalog.Catalog, host, path string) string {
	t.Helper()
	it, ok := cat.Get(catalog.Ref{Host: host, ID: resource.File{Path: path}.ID()})
	if !ok {
		t.Fatalf("%s has no %s", host, path)
	}
	return string(it.Resource.(resource.File).Content)
}

func TestGolden(t *testing.T) {
	lab := compile(t, example.Load(t, "lab"))
	golden.Check(t, "lab.txt", catalogtext.Render(lab, catalogtext.Options{Items: catalogtext.Of(name)}))
	golden.Check(t, "memcached-lab-ctl-1.conf", content(t, lab, "ctl-1", confPath))
	golden.Check(t, "memcached-production-ctl-1.conf", content(t, compile(t, example.Load(t, "production")), "ctl-1", confPath))
	golden.Check(t, "memcached.service.d-fundament.conf", content(t, lab, "ctl-1", dropIn))
}

func TestItems(t *testing.T) {
	c := example.Load(t, "lab")
	cat := compile(t, c)
	hosts := []string{"ctl-1", "ctl-2", "ctl-3"}
	if g := cat.Groups[group]; g == nil || g.BatchSize != 1 || !slices.Equal(g.Hosts, hosts) {
		t.Fatalf("rolling group %+v", g)
	}
	for _, h := range hosts {
		svc, ok := cat.Get(catalog.Ref{Host: h, ID: resource.Service{Unit: unit}.ID()})
		if !ok {
			t.Fatalf("%s has no memcached", h)
		}
		s := svc.Resource.(resource.Service)
		if !s.Enabled || !s.Running || svc.Group != group || len(s.Subscribes) != 3 || !slices.Contains(svc.After, hostnet.Ready(h)) {
			t.Errorf("%s: %+v %+v", h, svc, s)
		}
		// A changed file or an upgrade (which restarts nothing by
		// itself) restarts memcached: the service subscribes to them.
		for _, id := range []resource.ID{resource.File{Path: confPath}.ID(), resource.File{Path: dropIn}.ID(), resource.Package{Name: pkgName}.ID()} {
			ref := catalog.Ref{Host: h, ID: id}
			if !slices.Contains(svc.Subscribes, ref) || !slices.Contains(s.Subscribes, ref.ID) {
				t.Errorf("%s: memcached does not restart when %s changes", h, id)
			}
		}
		conf := content(t, cat, h, confPath)
		addr := c.HostsByName()[h].Networks["internal"].Address
		for _, want := range []string{"-l " + addr.String() + "\n", fmt.Sprintf("-m %d\n", c.Services.Memcached.MemoryMB), "-c 4096\n", "-u memcache\n", "-U 0\n"} {
			if !strings.Contains(conf, want) {
				t.Errorf("%s: memcached.conf lacks %q", h, want)
			}
		}
	}
	if _, ok := cat.Get(catalog.Ref{Host: "cmp-1", ID: resource.Service{Unit: unit}.ID()}); ok {
		t.Error("memcached on a compute host")
	}
	c.Services.Memcached.MemoryMB = 2048
	if conf := content(t, compile(t, c), "ctl-2", confPath); !strings.Contains(conf, "-m 2048\n") {
		t.Errorf("memory_mb is not the cache size:\n%s", conf)
	}
}

func TestServers(t *testing.T) {
	c := example.Load(t, "lab")
	if got, err := Servers(c); err != nil || !slices.Equal(got, []string{"10.199.20.11:11211", "10.199.20.12:11211", "10.199.20.13:11211"}) {
		t.Errorf("%v, %v", got, err)
	}
	if got := server(netip.MustParseAddr("fd00::1")); got != "inet6:[fd00::1]:11211" {
		t.Errorf("IPv6: %s", got)
	}
	c.Services.Memcached.Placement = model.Placement{Hosts: []string{"stor-1"}}
	if got, err := Servers(c); got != nil || err == nil || !strings.Contains(err.Error(), "stor-1") {
		t.Errorf("a host without an internal API address: %v, %v", got, err)
	}
	if _, _, err := (Component{}).Items(&catalog.Input{Cloud: c}); err == nil || !strings.Contains(err.Error(), "stor-1") {
		t.Errorf("%v", err)
	}
}

// Real answer of memcached 1.6.38 (Debian 13) in the lab, shortened.
const statsAnswer = "STAT pid 1234\r\nSTAT uptime 50\r\nSTAT version 1.6.38\r\nSTAT curr_connections 2\r\n" +
	"STAT limit_maxbytes 134217728\r\nSTAT accepting_conns 1\r\nEND\r\n"

func TestParseStats(t *testing.T) {
	s, err := parseStats(statsAnswer)
	if err != nil {
		t.Fatal(err)
	}
	if s["pid"] != "1234" || s["version"] != "1.6.38" || s["limit_maxbytes"] != "134217728" || s["accepting_conns"] != "1" {
		t.Errorf("%v", s)
	}
	for _, bad := range []string{"", "ERROR\r\n", "cannot connect to 10.0.0.1:11211: Connection refused\n", "STAT pid\r\n"} {
		if _, err := parseStats(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestEvaluateInstances(t *testing.T) {
	ok := func(h string) instanceView {
		s, _ := parseStats(statsAnswer)
		return instanceView{Host: h, Addr: "10.0.20.1", Stats: s}
	}
	bad := func(h string) instanceView {
		return instanceView{Host: h, Addr: "10.0.20.1", Err: errors.New("exit status 111: cannot connect")}
	}
	full := ok("ctl-3")
	full.Stats = map[string]string{"pid": "1", "accepting_conns": "0", "limit_maxbytes": "134217728"}
	small := ok("ctl-2")
	small.Stats = map[string]string{"pid": "1", "accepting_conns": "1", "limit_maxbytes": "67108864"}
	const want = 128 << 20
	for _, tc := range []struct {
		name   string
		views  []instanceView
		status health.Status
		hosts  []string
		reason string
	}{
		{"all answer", []instanceView{ok("ctl-1"), ok("ctl-2"), ok("ctl-3")}, health.OK, []string{"ctl-1", "ctl-2", "ctl-3"}, "3/3 instances answer (ctl-1, ctl-2, ctl-3), memcached 1.6.38"},
		{"one down", []instanceView{ok("ctl-1"), bad("ctl-2"), ok("ctl-3")}, health.Degraded, []string{"ctl-2"}, "2/3 instances answer; ctl-2 (10.0.20.1): exit status 111"},
		{"all down", []instanceView{bad("ctl-1"), bad("ctl-2")}, health.Down, []string{"ctl-1", "ctl-2"}, "no instance answers"},
		{"full", []instanceView{ok("ctl-1"), full}, health.Degraded, []string{"ctl-3"}, "ctl-3 accepts no connections"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := evaluateInstances(tc.views, want)
			if len(rs) != 1 {
				t.Fatalf("%d results: %+v", len(rs), rs)
			}
			r := rs[0]
			if r.Status != tc.status || !slices.Equal(r.Hosts, tc.hosts) || !strings.Contains(r.Reason, tc.reason) || r.PendingRestart {
				t.Errorf("%s %v %v: %s", r.Status, r.Hosts, r.PendingRestart, r.Reason)
			}
		})
	}
}

// An instance with the old size serves: the finding is apart, marked as
// one a restart repairs, so the gate before restarting ctl-1 does not
// wait for ctl-2 to have been restarted (the roll could never start).
func TestEvaluateInstancesOldSize(t *testing.T) {
	s, _ := parseStats(statsAnswer)
	small := map[string]string{"pid": "1", "accepting_conns": "1", "limit_maxbytes": "67108864"}
	rs := evaluateInstances([]instanceView{{Host: "ctl-1", Stats: s}, {Host: "ctl-2", Stats: small}, {Host: "ctl-3", Stats: small}}, 128<<20)
	if len(rs) != 2 || rs[0].Status != health.OK || rs[0].PendingRestart {
		t.Fatalf("%+v", rs)
	}
	p := rs[1]
	if p.Status != health.Degraded || !p.PendingRestart || !slices.Equal(p.Hosts, []string{"ctl-2", "ctl-3"}) ||
		!strings.Contains(p.Reason, "ctl-2 runs with 64 MiB, ctl-3 runs with 64 MiB, configured 128 MiB") {
		t.Errorf("%+v", p)
	}
	if got := health.Serving(health.About(rs, []string{"ctl-2", "ctl-3"})); health.Worst(got) != health.OK {
		t.Errorf("the others serve, yet: %+v", got)
	}
	if got := health.About(rs, []string{"ctl-2"}); health.Worst(got) != health.Degraded {
		t.Errorf("after ctl-2's restart it must run with the configured size: %+v", got)
	}
}

func TestHealthChecks(t *testing.T) {
	checks := Component{}.HealthChecks(example.Load(t, "lab"))
	if len(checks) != 1 || checks[0].Layer != "memcached" || checks[0].Component != name {
		t.Fatalf("%+v", checks)
	}
	if s := statsScript(instance{Addr: netip.MustParseAddr("fd00::1")}); !strings.Contains(s, "'[fd00::1]:11211'") || !strings.Contains(s, "IO::Socket::IP") {
		t.Errorf("%s", s)
	}
}

func FuzzParseStats(f *testing.F) {
	f.Add(statsAnswer)
	f.Add("STAT pid 1\nSTAT limit_maxbytes -5\nSTAT accepting_conns 0\n")
	f.Add("ERROR\r\n")
	f.Fuzz(func(t *testing.T, out string) {
		s, err := parseStats(out)
		if err != nil {
			return
		}
		if s["pid"] == "" {
			t.Fatal("stats without a pid parsed")
		}
		evaluateInstances([]instanceView{{Host: "a", Stats: s}}, 128<<20)
	})
}
