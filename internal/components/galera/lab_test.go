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
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/cli"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/secrets"
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
	t      *testing.T
	repo   string
	labDir string
	// secretValues are the decrypted secrets, which no output may show.
	secretValues []string
	// outputs collects everything Fundament printed, checked for secrets
	// at the end.
	outputs []string
	phases  []string
}

// redact hides the secrets in what a failing command reports.
func (l *galeraLab) redact(s string) string {
	for _, v := range l.secretValues {
		s = strings.ReplaceAll(s, v, "<secret>")
	}
	return s
}

func (l *galeraLab) fm(args ...string) (string, error) {
	all := append([]string{"--repo", l.repo}, args...)
	switch args[0] {
	case "lab":
		all = append([]string{"--repo", l.repo, "lab", "--prefix", labPrefix, "--lab-dir", l.labDir}, args[1:]...)
	case "apply", "plan", "status":
		all = append(all, "--ssh-key", filepath.Join(l.repo, ".fundament", "lab", "id_ed25519"))
	}
	var out, errb bytes.Buffer
	code := cli.Execute(all, &out, &errb)
	l.outputs = append(l.outputs, out.String(), errb.String())
	if code != 0 {
		return out.String(), fmt.Errorf("fundament %s: exit %d: %s%s", l.redact(strings.Join(args, " ")), code, l.redact(out.String()), l.redact(errb.String()))
	}
	return out.String(), nil
}

func (l *galeraLab) must(args ...string) string {
	l.t.Helper()
	out, err := l.fm(args...)
	if err != nil {
		l.t.Fatal(err)
	}
	return out
}

// in runs a script on a lab host.
func (l *galeraLab) in(host, script string) (string, error) {
	out, err := l.fm("lab", "exec", host, "--", "sh", "-c", script)
	return strings.TrimSpace(out), err
}

func (l *galeraLab) mustIn(host, script string) string {
	l.t.Helper()
	out, err := l.in(host, script)
	if err != nil {
		l.t.Fatal(err)
	}
	return out
}

// phase logs how long a phase took and keeps it for the summary.
func (l *galeraLab) phase(name string, start time.Time) {
	d := time.Since(start).Round(100 * time.Millisecond)
	l.phases = append(l.phases, fmt.Sprintf("%-58s %s", name, d))
	l.t.Logf("%s: %s", name, d)
}

// cluster returns the Galera result of fundament status.
func (l *galeraLab) cluster() *health.Result {
	l.t.Helper()
	out, _ := l.fm("status", "-o", "json", "--component", "galera")
	var st struct {
		Results []health.Result `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		l.t.Fatalf("status -o json: %v: %s", err, l.redact(out))
	}
	for _, r := range st.Results {
		if r.Layer == "galera" && r.Check == "galera-cluster" {
			return &r
		}
	}
	l.t.Fatalf("status has no galera-cluster result: %s", l.redact(out))
	return nil
}

// waitCluster polls status until ok accepts the cluster's result.
func (l *galeraLab) waitCluster(what string, limit time.Duration, ok func(*health.Result) bool) *health.Result {
	l.t.Helper()
	start := time.Now()
	for {
		r := l.cluster()
		if ok(r) {
			l.t.Logf("%s after %s: %s %v %s", what, time.Since(start).Round(time.Second), r.Status, r.Hosts, r.Reason)
			return r
		}
		if time.Since(start) > limit {
			l.t.Fatalf("no %s after %s: %s %v %s", what, limit, r.Status, r.Hosts, r.Reason)
		}
		time.Sleep(3 * time.Second)
	}
}

func allSynced(r *health.Result) bool {
	return r.Status == health.OK && strings.HasPrefix(r.Reason, "3/3 members Synced")
}

// rows lists the test table's rows on a member.
func (l *galeraLab) rows(host string) string {
	l.t.Helper()
	return l.mustIn(host, "mariadb -N -B -e 'SELECT id, v FROM fgl.r ORDER BY id' | tr '\\t\\n' ': '")
}

func (l *galeraLab) insert(host string, id int, v string) {
	l.t.Helper()
	l.mustIn(host, fmt.Sprintf("mariadb -e \"INSERT INTO fgl.r VALUES (%d, '%s')\"", id, v))
}

// noChanges: a plan of the components shows nothing to do.
func (l *galeraLab) noChanges(what string) {
	l.t.Helper()
	start := time.Now()
	out, err := l.fm("plan", "--detailed-exitcode", "--component", components)
	l.phase("no-op re-plan ("+what+")", start)
	if err != nil {
		l.t.Errorf("%s: a re-plan is not empty: %v", what, err)
	} else if !strings.Contains(out, "No changes.") {
		l.t.Errorf("%s: a re-plan changes something:\n%s", what, l.redact(out))
	}
}

func TestLabGalera(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root (namespaces, interfaces, mounts); CI runs this test as root")
	}
	for _, p := range []string{"debootstrap", "ip", "nsenter", "unshare", "ssh"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("the lab needs %s (make deps installs it)", p)
		}
	}
	if testing.Short() {
		t.Skip("the Galera lab takes minutes; not in -short")
	}
	repo := t.TempDir()
	if err := os.CopyFS(repo, os.DirFS("../../../examples/lab")); err != nil {
		t.Fatal(err)
	}
	// A make lab may have left examples/lab's own secrets and state.
	for _, dir := range []string{secrets.DirName, cli.StateDir} {
		if err := os.RemoveAll(filepath.Join(repo, dir)); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(repo, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil {
			s := strings.ReplaceAll(string(b), "10.199.", labNet)
			s = strings.Replace(s, "\nname: lab\n", "\nname: "+cloud+"\n", 1)
			err = os.WriteFile(p, []byte(s), 0o644)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	l := &galeraLab{t: t, repo: repo, labDir: filepath.Join(t.TempDir(), "lab")}
	identity := filepath.Join(t.TempDir(), cloud+".agekey")
	t.Setenv(secrets.IdentityEnv, identity)
	l.must("secrets", "generate")
	store, err := secrets.Open(secrets.Options{RepoDir: repo, CloudName: cloud, IdentityFile: identity})
	if err != nil {
		t.Fatal(err)
	}
	names, err := store.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		v, err := store.Get(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) >= 8 {
			l.secretValues = append(l.secretValues, v)
		}
	}

	l.fm("lab", "down") // what a killed run left
	t.Cleanup(func() {
		if _, err := l.fm("lab", "down"); err != nil {
			t.Logf("lab down: %v", err)
		}
		t.Logf("phases:\n  %s", strings.Join(l.phases, "\n  "))
	})
	start := time.Now()
	if out, err := l.fm("lab", "up", "--no-apply", "--wait", "10m"); err != nil {
		t.Skipf("the lab cannot be built here: %v", err)
	} else {
		t.Log(strings.TrimSpace(out))
	}
	l.phase("lab up --no-apply", start)

	start = time.Now()
	out := l.must("apply", "--auto-approve", "--component", components)
	l.phase("first apply --component "+components, start)
	t.Log(lastLine(out))
	start = time.Now()
	r := l.waitCluster("3/3 Synced", 5*time.Minute, allSynced)
	l.phase("then until status says 3/3 Synced", start)
	if !slices.Equal(r.Hosts, members) {
		t.Errorf("an OK result names %v, want every member", r.Hosts)
	}

	t.Run("databases and accounts", func(t *testing.T) {
		for _, db := range []string{"keystone", "glance", "placement", "nova", "nova_api", "nova_cell0", "neutron", "cinder"} {
			if got := l.mustIn("ctl-3", "mariadb -N -B -e \"SHOW DATABASES LIKE '"+db+"'\""); got != db {
				t.Errorf("database %s is missing on ctl-3: %q", db, got)
			}
		}
		// keystone logs in over the internal API network, with its
		// password from the environment (never on a command line).
		pw, err := store.Get("keystone-db")
		if err != nil {
			t.Fatal(err)
		}
		script := fmt.Sprintf("cat >/root/.fgl-test.cnf <<'EOF'\n[client]\npassword=%s\nEOF\n"+
			"mariadb --defaults-extra-file=/root/.fgl-test.cnf -h %s20.11 -u keystone -N -B -e 'SELECT CURRENT_USER()'; r=$?; rm -f /root/.fgl-test.cnf; exit $r", pw, labNet)
		if got, err := l.in("ctl-2", script); err != nil || got != "keystone@"+labNet+"20.0/255.255.255.0" {
			t.Errorf("keystone cannot log in from ctl-2: %v %q", err, l.redact(got))
		}
	})

	l.mustIn("ctl-1", "mariadb -e \"CREATE DATABASE fgl; CREATE TABLE fgl.r (id INT PRIMARY KEY, v VARCHAR(40)); INSERT INTO fgl.r VALUES (1, 'before the faults')\"")
	l.noChanges("after the first apply")

	t.Run("a member powered off and on", func(t *testing.T) {
		victim := "ctl-1"
		start := time.Now()
		l.must("lab", "stop", victim)
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
		l.must("lab", "start", victim)
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
		l.must("lab", "stop", "ctl-1", "ctl-2", "ctl-3")
		if out, err := l.fm("lab", "start", "ctl-1", "ctl-2", "ctl-3"); err != nil {
			// A member that waits for its peers keeps systemd starting;
			// the apply is what must converge.
			t.Logf("lab start: %v", err)
		} else {
			t.Log(strings.TrimSpace(out))
		}
		l.phase("lab stop + lab start of every member", start)
		t.Logf("right after the start: %s", l.cluster().Reason)
		start = time.Now()
		out := l.must("apply", "--auto-approve", "--component", components)
		l.phase("apply after the crash", start)
		t.Log(lastLine(out))
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
		l.mustIn("ctl-3", "systemctl disable mariadb 2>&1")
		l.insert("ctl-1", 5, "before the second crash")
		start := time.Now()
		l.must("lab", "stop", "ctl-1", "ctl-2", "ctl-3")
		if _, err := l.fm("lab", "start", "--wait", "30s", "ctl-1", "ctl-2"); err != nil {
			// Their servers wait for ctl-3, so systemd is still starting.
			t.Logf("lab start ctl-1 ctl-2: %v", err)
		}
		l.phase("lab stop of every member + lab start of two", start)
		// With ctl-3 off nobody can tell whether it holds the newest
		// data: the apply bootstraps nothing and says why.
		start = time.Now()
		out, err := l.fm("apply", "--auto-approve", "--component", components)
		l.phase("apply with ctl-3 off (refuses to bootstrap)", start)
		if err == nil || !strings.Contains(err.Error(), "ctl-3 cannot be probed") {
			t.Errorf("the apply with ctl-3 off: %v\n%s", err, l.redact(out))
		}
		if r := l.cluster(); r.Status != health.Down {
			t.Errorf("with ctl-3 off after a crash: %s %s", r.Status, r.Reason)
		}
		start = time.Now()
		l.must("lab", "start", "ctl-3")
		out = l.must("apply", "--auto-approve", "--component", components)
		l.phase("lab start ctl-3 (server disabled) + apply", start)
		t.Logf("%s\n%s", lastLine(out), clusterSteps(l))
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
		l.mustIn("ctl-3", "systemctl stop mariadb")
		l.insert("ctl-1", 6, "after ctl-3 stopped")
		l.mustIn("ctl-1", "systemctl stop mariadb")
		l.insert("ctl-2", 7, "ctl-2 alone")
		l.mustIn("ctl-2", "systemctl stop mariadb")
		l.phase("three clean stops", start)
		if r := l.cluster(); r.Status != health.Down {
			t.Errorf("with every server stopped: %s %s", r.Status, r.Reason)
		}
		start = time.Now()
		out := l.must("apply", "--auto-approve", "--component", components)
		l.phase("apply after the full stop (bootstrap from the last one)", start)
		steps := clusterSteps(l)
		t.Logf("%s\n%s", lastLine(out), steps)
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

	t.Run("no secret in any output", func(t *testing.T) {
		for i, o := range l.outputs {
			for _, v := range l.secretValues {
				if strings.Contains(o, v) {
					t.Errorf("output %d shows a secret value", i)
				}
			}
		}
	})
}

// lastRun is the id of the newest apply of the state database.
func lastRun(l *galeraLab) string {
	l.t.Helper()
	out := l.must("runs", "-o", "json")
	var runs []struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		l.t.Fatalf("runs -o json: %v: %s", err, out)
	}
	for _, r := range runs {
		if r.Kind == "apply" {
			return r.ID
		}
	}
	l.t.Fatalf("no apply run: %s", out)
	return ""
}

// clusterSteps is what the last apply's cluster steps said, with their
// hosts and times: how the cluster came together.
func clusterSteps(l *galeraLab) string {
	l.t.Helper()
	logs := l.must("logs", lastRun(l))
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
	return l.redact(strings.Join(out, "\n"))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "Apply ") {
			return lines[i]
		}
	}
	return lines[len(lines)-1]
}
