package galera

// Golden files of the component's items for examples/lab and
// examples/production (go test ./internal/components/galera -update
// rewrites them), and what the goldens do not make obvious: which member
// bootstraps or joins in each state of the cluster, the order of the
// joins, and that secrets stay out of scripts.

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/catalogtext"
	"github.com/fundament-cloud/fundament/internal/testutil/example"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

// fakeSecret is a recognisable stand-in value of every secret.
func fakeSecret(name string) (string, error) { return "S3cr3t-" + name, nil }

func compileWith(t *testing.T, c *model.Cloud, probe func(host, script string) (string, error)) *catalog.Catalog {
	t.Helper()
	// Host networking first: the packages wait for the member's networks.
	cat, err := catalog.Compile(&catalog.Input{Cloud: c, Secret: fakeSecret, Probe: probe}, hostnet.Component{}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// render prints the component's items per host in the order the engine
// applies them. The shared helpers are the same in every step: shown
// once, in the test of the scripts' syntax, not in every item.
func render(cat *catalog.Catalog) string {
	return catalogtext.Render(cat, catalogtext.Options{Items: catalogtext.Of(name),
		Text: func(s string) string { return strings.Replace(s, helpers, "<helpers>\n", 1) }})
}

func TestGoldenLab(t *testing.T) {
	golden.Check(t, "lab.txt", render(compileWith(t, example.Load(t, "lab"), nil)))
}

func TestGoldenProduction(t *testing.T) {
	golden.Check(t, "production.txt", render(compileWith(t, example.Load(t, "production"), nil)))
}

// TestGoldenRecover is the catalog of a lab whose members all stopped
// cleanly, ctl-2 last: ctl-2 bootstraps from its data.
func TestGoldenRecover(t *testing.T) {
	probe := fakeProbe(map[string]string{
		"ctl-1": probeOut("inactive", "", grastateText(40, false), false, "", ""),
		"ctl-2": probeOut("inactive", "", grastateText(42, true), false, "", ""),
		"ctl-3": probeOut("inactive", "", grastateText(38, false), false, "", ""),
	})
	golden.Check(t, "recover.txt", render(compileWith(t, example.Load(t, "lab"), probe)))
}

const clusterUUID = "971c9b48-ea14-11f1-881b-765d070fc40c"

func grastateText(seqno int, safe bool) string {
	s := 0
	if safe {
		s = 1
	}
	return fmt.Sprintf("# GALERA saved state\nversion: 2.1\nuuid:    %s\nseqno:   %d\nsafe_to_bootstrap: %d\n", clusterUUID, seqno, s)
}

func statusText(status, state string, size int, seqno int) string {
	return fmt.Sprintf("wsrep_cluster_status\t%s\nwsrep_local_state_comment\t%s\nwsrep_cluster_size\t%d\nwsrep_ready\tON\nwsrep_cluster_state_uuid\t%s\nwsrep_last_committed\t%d\n",
		status, state, size, clusterUUID, seqno)
}

// probeOut is what probeScript prints.
func probeOut(unit, status, grastate string, gvw bool, running, recovered string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "== unit\n%s\n== status\n%s== grastate\n%s== gvwstate\n", unit, status, grastate)
	if gvw {
		b.WriteString("present\n")
	}
	fmt.Fprintf(&b, "== running\n%s\n== sst\n\n== recovered\n%s\n== end\n", running, recovered)
	return b.String()
}

// fakeProbe answers probeScript per host; a host without an answer is
// unreachable.
func fakeProbe(out map[string]string) func(host, script string) (string, error) {
	return func(host, script string) (string, error) {
		if script != probeScript {
			return "", fmt.Errorf("unexpected probe script")
		}
		o, ok := out[host]
		if !ok {
			return "", errors.New("host " + host + " unreachable: connection refused")
		}
		return o, nil
	}
}

func item(t *testing.T, cat *catalog.Catalog, host, kind, name string) *catalog.Item {
	t.Helper()
	it, ok := cat.Get(catalog.Ref{Host: host, ID: resource.ID{Kind: kind, Name: name}})
	if !ok {
		t.Fatalf("%s has no %s:%s", host, kind, name)
	}
	return it
}

func clusterRef(host string) catalog.Ref {
	return catalog.Ref{Host: host, ID: resource.ID{Kind: resource.KindCommand, Name: clusterCommand}}
}

// TestClusterSteps checks, for each state of the cluster, which member
// bootstraps, which join and in which order.
func TestClusterSteps(t *testing.T) {
	synced := func(seqno int) string {
		return probeOut("active", statusText("Primary", "Synced", 3, seqno), grastateText(-1, false), true, "", "")
	}
	fresh := probeOut("inactive", "", "", false, "", "")
	for _, tc := range []struct {
		name  string
		probe func(host, script string) (string, error)
		// bootstrap is the member whose cluster step bootstraps ("" none);
		// order the chain of joins; blocked: every step fails with why.
		bootstrap string
		order     []string
		blocked   string
		subscribe bool
	}{
		{name: "offline compile: a healthy cluster", probe: nil, order: []string{"ctl-1", "ctl-2", "ctl-3"}, subscribe: true},
		{name: "running cluster", probe: fakeProbe(map[string]string{"ctl-1": synced(5), "ctl-2": synced(5), "ctl-3": synced(5)}),
			order: []string{"ctl-1", "ctl-2", "ctl-3"}, subscribe: true},
		{name: "running without ctl-1, which is unreachable", probe: fakeProbe(map[string]string{"ctl-2": synced(5), "ctl-3": synced(5)}),
			order: []string{"ctl-2", "ctl-3", "ctl-1"}, subscribe: true},
		{name: "fresh", probe: fakeProbe(map[string]string{"ctl-1": fresh, "ctl-2": fresh, "ctl-3": fresh}),
			bootstrap: "ctl-1", order: []string{"ctl-1", "ctl-2", "ctl-3"}},
		{name: "every member stopped cleanly, ctl-3 last", probe: fakeProbe(map[string]string{
			"ctl-1": probeOut("inactive", "", grastateText(7, false), false, "", ""),
			"ctl-2": probeOut("failed", "", grastateText(8, false), false, "", ""),
			"ctl-3": probeOut("inactive", "", grastateText(9, true), false, "", ""),
		}), bootstrap: "ctl-3", order: []string{"ctl-3", "ctl-1", "ctl-2"}},
		{name: "crashed: positions from galera_recovery and a waiting server", probe: fakeProbe(map[string]string{
			"ctl-1": probeOut("inactive", "", grastateText(-1, false), true, "", "--wsrep_start_position="+clusterUUID+":11"),
			"ctl-2": probeOut("activating", "", grastateText(-1, false), true, "/usr/sbin/mariadbd --wsrep_start_position="+clusterUUID+":12 ", ""),
			"ctl-3": probeOut("failed", "", grastateText(-1, false), true, "", "--wsrep_start_position="+clusterUUID+":10"),
		}), bootstrap: "ctl-2", order: []string{"ctl-2", "ctl-1", "ctl-3"}},
		{name: "no primary and ctl-3 unreachable", probe: fakeProbe(map[string]string{
			"ctl-1": probeOut("inactive", "", grastateText(7, false), false, "", ""),
			"ctl-2": probeOut("inactive", "", grastateText(8, true), false, "", ""),
		}), blocked: "ctl-3 cannot be probed", order: []string{"ctl-1", "ctl-2", "ctl-3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := compileWith(t, example.Load(t, "lab"), tc.probe)
			g := cat.Groups[group]
			if g == nil || g.BatchSize != 1 || !slices.Equal(g.Hosts, tc.order) {
				t.Errorf("rolling group %+v, want hosts %v one at a time", g, tc.order)
			}
			for k, h := range tc.order {
				it := item(t, cat, h, resource.KindCommand, clusterCommand)
				cmd := it.Resource.(resource.Command)
				if cmd.Guard != guardPrimary {
					t.Errorf("%s: the cluster step's guard is not 'in a primary component'", h)
				}
				isBoot := strings.Contains(cmd.Script, "galera_new_cluster\n")
				if isBoot != (h == tc.bootstrap) {
					t.Errorf("%s bootstraps: %t, want %t", h, isBoot, h == tc.bootstrap)
				}
				if tc.blocked != "" {
					if !strings.Contains(cmd.Script, tc.blocked) || !strings.Contains(cmd.Script, "exit 1") {
						t.Errorf("%s: the blocked step does not say %q:\n%s", h, tc.blocked, cmd.Script)
					}
					continue
				}
				var cross []catalog.Ref
				for _, r := range it.After {
					if r.Host != h {
						cross = append(cross, r)
					}
				}
				if k == 0 {
					if len(cross) > 0 {
						t.Errorf("the first member %s waits for %v", h, cross)
					}
					if _, ok := cat.Get(catalog.Ref{Host: h, ID: resource.ID{Kind: resource.KindCommand, Name: sstUserCommand}}); !ok {
						t.Errorf("the SST account is not made on the first member %s", h)
					}
				} else if !slices.Contains(cross, clusterRef(tc.order[k-1])) {
					t.Errorf("%s joins without waiting for %s: after %v", h, tc.order[k-1], it.After)
				}
				svc := item(t, cat, h, resource.KindService, unit)
				if svc.Group != group || (len(svc.Subscribes) > 0) != tc.subscribe {
					t.Errorf("%s: %s group %q subscribes %v (want subscriptions: %t)", h, unit, svc.Group, svc.Subscribes, tc.subscribe)
				}
				if !slices.Contains(svc.After, it.Ref()) {
					t.Errorf("%s: %s starts before the cluster step", h, unit)
				}
				// Packages change inside the rolling group; a serving
				// member restarts on the new version.
				for _, p := range packages {
					pkg := item(t, cat, h, resource.KindPackage, p)
					if pkg.Group != group || slices.Contains(svc.Subscribes, pkg.Ref()) != tc.subscribe ||
						slices.Contains(svc.Resource.(resource.Service).Subscribes, pkg.Resource.ID()) != tc.subscribe {
						t.Errorf("%s: %s in group %q, %s subscribed: %v", h, p, pkg.Group, unit, svc.Subscribes)
					}
				}
			}
			// The databases, on the first member, after it joined.
			db := item(t, cat, "ctl-1", resource.KindCommand, "galera/database-demo")
			if !slices.Contains(db.After, clusterRef("ctl-1")) {
				t.Errorf("the demo's databases are made before ctl-1 is a member: %v", db.After)
			}
		})
	}
}

// TestSecretsStayOutOfScripts: every secret value reaches the hosts in a
// command's environment or a secret file, never in a script, guard, name
// or a file shown in plans.
func TestSecretsStayOutOfScripts(t *testing.T) {
	for _, ex := range []string{"lab", "production"} {
		cat := compileWith(t, example.Load(t, ex), nil)
		var values []string
		for _, it := range cat.Items {
			if cmd, ok := it.Resource.(resource.Command); ok {
				for _, v := range cmd.Env {
					values = append(values, v)
				}
			}
		}
		if len(values) < 2 {
			t.Fatalf("%s: only %d secrets in environments", ex, len(values))
		}
		for _, it := range cat.Items {
			if it.Component != name {
				continue
			}
			var shown []string
			switch r := it.Resource.(type) {
			case resource.Command:
				shown = []string{r.Name, r.Script, r.Guard}
				if r.Secret {
					t.Errorf("%s: the script need not be hidden", it.Ref())
				}
			case resource.File:
				if !r.Secret {
					shown = []string{string(r.Content)}
				} else if !strings.Contains(string(r.Content), "S3cr3t-galera-mariabackup") || r.Mode != "0640" {
					t.Errorf("%s: the secret file lacks the SST password or is readable by all (%s)", it.Ref(), r.Mode)
				}
			}
			for _, s := range shown {
				if strings.Contains(s, "S3cr3t-") {
					t.Errorf("%s shows a secret", it.Ref())
				}
			}
		}
	}
}

// TestScriptsParse runs sh -n over every script and guard.
func TestScriptsParse(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	c := example.Load(t, "lab")
	ms, _ := members(c)
	d := decision{Mode: recover, Seed: "ctl-2", Order: []string{"ctl-2", "ctl-1", "ctl-3"}, Reason: "it's a test"}
	dbs := serviceDatabases(c)
	scripts := map[string]string{
		"probe": probeScript, "health": healthScript, "guard": guardPrimary,
		"join": joinScript("ctl-1"), "bootstrap": bootstrapScript(ms, 1, d), "blocked": blockedScript("ctl-1", d),
		"sst-user": sstUserScript(), "sst-user guard": sstUserGuard(),
		"database": databaseScript(dbs[0], accountHosts(c)), "database guard": databaseGuard(dbs[0], accountHosts(c)),
	}
	for name, s := range scripts {
		out, err := exec.Command(sh, "-n", "-c", s).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v: %s", name, err, out)
		}
	}
}

func TestDatabaseRefAndURL(t *testing.T) {
	c := example.Load(t, "lab")
	ref, err := DatabaseRef(c, "demo")
	if err != nil || ref.Host != "ctl-1" || ref.ID.String() != "command:galera/database-demo" {
		t.Errorf("DatabaseRef(demo) = %v, %v", ref, err)
	}
	if ref, err := DatabaseRef(c, "demo_api"); err != nil || ref.ID.Name != "galera/database-demo" {
		t.Errorf("DatabaseRef(demo_api) = %v, %v", ref, err)
	}
	if _, err := DatabaseRef(c, "horizon"); err == nil || !strings.Contains(err.Error(), "no database horizon") {
		t.Errorf("horizon has no database: %v", err)
	}
	cat := compileWith(t, c, nil)
	for _, s := range []string{"demo", "demo_api"} {
		ref, _ := DatabaseRef(c, s)
		if _, ok := cat.Get(ref); !ok {
			t.Errorf("DatabaseRef(%s) = %v is not in the catalog", s, ref)
		}
	}
	for _, tc := range []struct{ service, pw, want string }{
		{"demo", "pw", "mysql+pymysql://demo:pw@10.199.20.10:3306/demo?charset=utf8"},
		{"demo_api", "pw", "mysql+pymysql://demo:pw@10.199.20.10:3306/demo_api?charset=utf8"},
		{"demo", "a/b@c:d", "mysql+pymysql://demo:a%2Fb%40c%3Ad@10.199.20.10:3306/demo?charset=utf8"},
		{"horizon", "pw", ""},
	} {
		if got, _ := ConnectionURL(c, tc.service, tc.pw); got != tc.want {
			t.Errorf("ConnectionURL(%s) = %s, want %s", tc.service, got, tc.want)
		}
	}
	// A service switched off has neither.
	off := false
	servicetest.Enabled = &off
	defer func() { servicetest.Enabled = nil }()
	if _, err := DatabaseRef(c, "demo"); err == nil {
		t.Error("demo is off but has a database")
	}
	if u, err := ConnectionURL(c, "demo", "pw"); u != "" || err == nil {
		t.Errorf("demo is off but has a database URL %q", u)
	}
	// Members without an internal API address: the cause is said.
	servicetest.Enabled = nil
	c.Services.Galera.Placement = model.Placement{Hosts: []string{"stor-1"}}
	if _, err := DatabaseRef(c, "demo"); err == nil || !strings.Contains(err.Error(), "stor-1") {
		t.Errorf("DatabaseRef with a member without an internal address: %v", err)
	}
}

func TestAccountHosts(t *testing.T) {
	c := example.Load(t, "lab")
	if got := accountHosts(c); !slices.Equal(got, []string{"10.199.20.0/255.255.255.0"}) {
		t.Errorf("lab: %v", got)
	}
	if got := netmask(22); got != "255.255.252.0" {
		t.Errorf("netmask(22) = %s", got)
	}
}

func TestModelProblems(t *testing.T) {
	c := example.Load(t, "lab")
	c.Services.Galera.Placement = model.Placement{Hosts: []string{"stor-1"}}
	if _, err := catalog.Compile(&catalog.Input{Cloud: c, Secret: fakeSecret}, Component{}); err == nil || !strings.Contains(err.Error(), "host stor-1 has no address on an internal API network") {
		t.Errorf("galera on a storage host: %v", err)
	}
	c = example.Load(t, "lab")
	bad := func(name string) (string, error) { return "has space", nil }
	if _, err := catalog.Compile(&catalog.Input{Cloud: c, Secret: bad}, Component{}); err == nil || strings.Contains(err.Error(), "has space") || !strings.Contains(err.Error(), "secret galera-mariabackup") {
		t.Errorf("a password with a space: %v", err)
	}
	missing := func(name string) (string, error) { return "", fmt.Errorf("secret %s does not exist", name) }
	if _, err := catalog.Compile(&catalog.Input{Cloud: c, Secret: missing}, Component{}); err == nil || !strings.Contains(err.Error(), "galera-mariabackup") {
		t.Errorf("a missing secret: %v", err)
	}
}
