package galera_test

// The Galera integration test: a lab of examples/lab (on its own prefix
// and addresses) with the galera component applied, then the checks of
// issue 6: 3/3 members Synced; a row written; a re-apply that changes
// nothing; a member powered off (status DEGRADED naming it, writes go on
// on the others) and on again (it rejoins, status OK); all three control
// hosts powered off and on (a crash of the whole cluster), after which
// fundament apply leaves the cluster Primary 3/3 with every row; all
// three servers stopped cleanly one after another, after which apply
// bootstraps from the member that stopped last (the most recent
// position) without losing a row; no secret value in any output. It logs
// the time of each phase.
//
// It needs root and the lab's tools; the lab image is built (debootstrap)
// the first time and cached.
//
//	go test ./internal/components/galera -run TestLabGalera -v -timeout 40m

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/service"
	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
)

const (
	labPrefix = "fgl"
	// labNet replaces examples/lab's 10.199.: clear of the labs of the
	// other tests and of a developer's examples/lab.
	labNet = "10.191."
	cloud  = "fgltest"
	// components are what the test applies, with what they depend on
	// (host networking on the members). The lab's switches (fabric) carry
	// the internal API network between the control hosts; nothing of
	// galera depends on them, so they are named.
	components = "fabric,galera"
)

var members = []string{"ctl-1", "ctl-2", "ctl-3"}

type galeraLab struct {
	*labtest.Lab
	phases []string
}

// phase logs how long a phase took and keeps it for the summary.
func (l *galeraLab) phase(name string, start time.Time) {
	d := time.Since(start).Round(100 * time.Millisecond)
	l.phases = append(l.phases, fmt.Sprintf("%-58s %s", name, d))
	l.T.Logf("%s: %s", name, d)
}

// cluster returns the Galera result of fundament status.
func (l *galeraLab) cluster() *health.Result {
	l.T.Helper()
	rs := l.Status("galera", "galera")
	if r := labtest.Find(rs, "galera-cluster"); r != nil {
		return r
	}
	l.T.Fatalf("status has no galera-cluster result:\n%s", labtest.Describe(rs))
	return nil
}

// waitCluster polls status until ok accepts the cluster's result.
func (l *galeraLab) waitCluster(what string, limit time.Duration, ok func(*health.Result) bool) *health.Result {
	l.T.Helper()
	start := time.Now()
	for {
		r := l.cluster()
		if ok(r) {
			l.T.Logf("%s after %s: %s %v %s", what, time.Since(start).Round(time.Second), r.Status, r.Hosts, r.Reason)
			return r
		}
		if time.Since(start) > limit {
			l.T.Fatalf("no %s after %s: %s %v %s", what, limit, r.Status, r.Hosts, r.Reason)
		}
		time.Sleep(3 * time.Second)
	}
}

func allSynced(r *health.Result) bool {
	return r.Status == health.OK && strings.HasPrefix(r.Reason, "3/3 members Synced")
}

// rows lists the test table's rows on a member.
func (l *galeraLab) rows(host string) string {
	l.T.Helper()
	return l.MustIn(host, "mariadb -N -B -e 'SELECT id, v FROM fgl.r ORDER BY id' | tr '\\t\\n' ': '")
}

func (l *galeraLab) insert(host string, id int, v string) {
	l.T.Helper()
	l.MustIn(host, fmt.Sprintf("mariadb -e \"INSERT INTO fgl.r VALUES (%d, '%s')\"", id, v))
}

// noChanges: a plan of the components shows nothing to do.
func (l *galeraLab) noChanges(what string) {
	l.T.Helper()
	start := time.Now()
	out, err := l.Fm("plan", "--detailed-exitcode", "--component", components)
	l.phase("no-op re-plan ("+what+")", start)
	if err != nil {
		l.T.Errorf("%s: a re-plan is not empty: %v", what, err)
	} else if !strings.Contains(out, "No changes.") {
		l.T.Errorf("%s: a re-plan changes something:\n%s", what, l.Redact(out))
	}
}

func TestLabGalera(t *testing.T) {
	l := &galeraLab{Lab: labtest.New(t, labtest.Config{Prefix: labPrefix, Net: labNet, CloudName: cloud, Secrets: true, Components: components})}
	t.Cleanup(func() { t.Logf("phases:\n  %s", strings.Join(l.phases, "\n  ")) })
	start := time.Now()
	t.Log(l.Up())
	l.phase("lab up --no-apply", start)

	start = time.Now()
	out := l.Must("apply", "--auto-approve", "--component", components)
	l.phase("first apply --component "+components, start)
	t.Log(labtest.LastLine(out))
	start = time.Now()
	r := l.waitCluster("3/3 Synced", 5*time.Minute, allSynced)
	l.phase("then until status says 3/3 Synced", start)
	if !slices.Equal(r.Hosts, members) {
		t.Errorf("an OK result names %v, want every member", r.Hosts)
	}

	t.Run("databases and accounts", func(t *testing.T) {
		// The databases every service of the cloud declares.
		var first *service.Service
		for _, s := range service.Enabled(l.Cloud) {
			for _, db := range s.Databases {
				if got := l.MustIn("ctl-3", "mariadb -N -B -e \"SHOW DATABASES LIKE '"+db+"'\""); got != db {
					t.Errorf("database %s of %s is missing on ctl-3: %q", db, s.Name, got)
				}
			}
			if first == nil && len(s.Databases) > 0 {
				first = s
			}
		}
		if first == nil {
			t.Fatal("no service of the lab has a database")
		}
		// The first logs in over the internal API network, with its
		// password from the environment (never on a command line).
		pw := l.Secret(first.DatabaseSecret())
		script := fmt.Sprintf("cat >/root/.fgl-test.cnf <<'EOF'\n[client]\npassword=%s\nEOF\n"+
			"mariadb --defaults-extra-file=/root/.fgl-test.cnf -h %s20.11 -u %s -N -B -e 'SELECT CURRENT_USER()'; r=$?; rm -f /root/.fgl-test.cnf; exit $r", pw, labNet, first.Name)
		if got, err := l.In("ctl-2", script); err != nil || got != first.Name+"@"+labNet+"20.0/255.255.255.0" {
			t.Errorf("%s cannot log in from ctl-2: %v %q", first.Name, err, l.Redact(got))
		}
	})

	l.MustIn("ctl-1", "mariadb -e \"CREATE DATABASE fgl; CREATE TABLE fgl.r (id INT PRIMARY KEY, v VARCHAR(40)); INSERT INTO fgl.r VALUES (1, 'before the faults')\"")
	l.noChanges("after the first apply")

	t.Run("a member powered off and on", func(t *testing.T) {
		victim := "ctl-1"
		start := time.Now()
		l.Must("lab", "stop", victim)
		r := l.waitCluster("DEGRADED naming "+victim, 3*time.Minute, func(r *health.Result) bool {
			return r.Status == health.Degraded && slices.Equal(r.Hosts, []string{victim}) && strings.Contains(r.Reason, victim)
		})
		l.phase("lab stop "+victim+" until status DEGRADED names it", start)
		if !strings.Contains(r.Reason, "2/3 members Synced") {
			t.Errorf("degraded reason: %s", r.Reason)
		}
		l.insert("ctl-2", 2, "while ctl-1 was off")
		l.insert("ctl-3", 3, "also while ctl-1 was off")
		start = time.Now()
		l.Must("lab", "start", victim)
		l.waitCluster("3/3 Synced again", 5*time.Minute, allSynced)
		l.phase("lab start "+victim+" until 3/3 Synced (it rejoins at boot)", start)
		if got := l.rows(victim); got != "1:before the faults 2:while ctl-1 was off 3:also while ctl-1 was off" {
			t.Errorf("%s after its return: %q", victim, got)
		}
		l.noChanges("after a member's return")
	})

	t.Run("every member powered off and on", func(t *testing.T) {
		l.insert("ctl-2", 4, "before the crash")
		start := time.Now()
		l.Must("lab", "stop", "ctl-1", "ctl-2", "ctl-3")
		if out, err := l.Fm("lab", "start", "ctl-1", "ctl-2", "ctl-3"); err != nil {
			// A member that waits for its peers keeps systemd starting;
			// the apply is what must converge.
			t.Logf("lab start: %v", err)
		} else {
			t.Log(strings.TrimSpace(out))
		}
		l.phase("lab stop + lab start of every member", start)
		t.Logf("right after the start: %s", l.cluster().Reason)
		start = time.Now()
		out := l.Must("apply", "--auto-approve", "--component", components)
		l.phase("apply after the crash", start)
		t.Log(labtest.LastLine(out))
		l.waitCluster("3/3 Synced after the crash", 5*time.Minute, allSynced)
		l.phase("apply until 3/3 Synced", start)
		for _, h := range members {
			if got := l.rows(h); got != "1:before the faults 2:while ctl-1 was off 3:also while ctl-1 was off 4:before the crash" {
				t.Errorf("%s after the crash: %q", h, got)
			}
		}
		l.noChanges("after the crash")
	})

	t.Run("a crash with a member left off, then its server not starting", func(t *testing.T) {
		// ctl-3's server will not start at boot: ctl-1 and ctl-2 come
		// back and wait for it to restore their last primary component.
		l.MustIn("ctl-3", "systemctl disable mariadb 2>&1")
		l.insert("ctl-1", 5, "before the second crash")
		start := time.Now()
		l.Must("lab", "stop", "ctl-1", "ctl-2", "ctl-3")
		if _, err := l.Fm("lab", "start", "--wait", "30s", "ctl-1", "ctl-2"); err != nil {
			// Their servers wait for ctl-3, so systemd is still starting.
			t.Logf("lab start ctl-1 ctl-2: %v", err)
		}
		l.phase("lab stop of every member + lab start of two", start)
		// With ctl-3 off nobody can tell whether it holds the newest
		// data: the apply bootstraps nothing and says why.
		start = time.Now()
		out, err := l.Fm("apply", "--auto-approve", "--component", components)
		l.phase("apply with ctl-3 off (refuses to bootstrap)", start)
		if err == nil || !strings.Contains(err.Error(), "ctl-3 cannot be probed") {
			t.Errorf("the apply with ctl-3 off: %v\n%s", err, l.Redact(out))
		}
		if r := l.cluster(); r.Status != health.Down {
			t.Errorf("with ctl-3 off after a crash: %s %s", r.Status, r.Reason)
		}
		start = time.Now()
		l.Must("lab", "start", "ctl-3")
		out = l.Must("apply", "--auto-approve", "--component", components)
		l.phase("lab start ctl-3 (server disabled) + apply", start)
		t.Logf("%s\n%s", labtest.LastLine(out), clusterSteps(l))
		l.waitCluster("3/3 Synced after the second crash", 5*time.Minute, allSynced)
		l.phase("lab start ctl-3 + apply until 3/3 Synced", start)
		for _, h := range members {
			if got := l.rows(h); !strings.HasSuffix(got, "4:before the crash 5:before the second crash") {
				t.Errorf("%s after the second crash: %q", h, got)
			}
		}
		l.noChanges("after the second crash")
	})

	t.Run("every server stopped cleanly, one after another", func(t *testing.T) {
		// ctl-3 stops first, ctl-2 last: ctl-2 has every row and says it
		// is safe to bootstrap; ctl-3 misses rows 6 and 7.
		start := time.Now()
		l.MustIn("ctl-3", "systemctl stop mariadb")
		l.insert("ctl-1", 6, "after ctl-3 stopped")
		l.MustIn("ctl-1", "systemctl stop mariadb")
		l.insert("ctl-2", 7, "ctl-2 alone")
		l.MustIn("ctl-2", "systemctl stop mariadb")
		l.phase("three clean stops", start)
		if r := l.cluster(); r.Status != health.Down {
			t.Errorf("with every server stopped: %s %s", r.Status, r.Reason)
		}
		start = time.Now()
		out := l.Must("apply", "--auto-approve", "--component", components)
		l.phase("apply after the full stop (bootstrap from the last one)", start)
		steps := clusterSteps(l)
		t.Logf("%s\n%s", labtest.LastLine(out), steps)
		if !strings.Contains(steps, "bootstrapping the cluster on ctl-2") || strings.Contains(steps, "bootstrapping the cluster on ctl-1") || strings.Contains(steps, "bootstrapping the cluster on ctl-3") {
			t.Error("the apply did not bootstrap from ctl-2")
		}
		l.waitCluster("3/3 Synced after the full stop", 5*time.Minute, allSynced)
		for _, h := range members {
			if got := l.rows(h); !strings.HasSuffix(got, "5:before the second crash 6:after ctl-3 stopped 7:ctl-2 alone") || !strings.HasPrefix(got, "1:before the faults ") {
				t.Errorf("%s after the full stop: %q", h, got)
			}
		}
		l.noChanges("after the full stop")
	})

	t.Run("no secret in any output", l.NoSecretShown)
}

// lastRun is the id of the newest apply of the state database.
func lastRun(l *galeraLab) string {
	l.T.Helper()
	out := l.Must("runs", "-o", "json")
	var runs []struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		l.T.Fatalf("runs -o json: %v: %s", err, out)
	}
	for _, r := range runs {
		if r.Kind == "apply" {
			return r.ID
		}
	}
	l.T.Fatalf("no apply run: %s", out)
	return ""
}

// clusterSteps is what the last apply's cluster steps said, with their
// hosts and times: how the cluster came together.
func clusterSteps(l *galeraLab) string {
	l.T.Helper()
	logs := l.Must("logs", lastRun(l))
	var out []string
	keep := false
	for _, line := range strings.Split(logs, "\n") {
		if !strings.HasPrefix(line, " ") {
			keep = strings.Contains(line, "command:galera/cluster")
		}
		if keep && strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return l.Redact(strings.Join(out, "\n"))
}
