package cli

// End-to-end tests of apply's locks: the repository's lock (state.db),
// taken before anything else, and the hosts' leases, which fence an apply
// against other checkouts and managers (see engine_e2e_test.go for the
// harness).

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/proc"
	"github.com/fundament-cloud/fundament/internal/state"
	"github.com/fundament-cloud/fundament/internal/testutil/sshd"
)

// clone is a second checkout of e's repository (its files, without
// e's state database) applying to the same hosts.
func (e *e2e) clone() *e2e {
	e.t.Helper()
	c := *e
	c.repo = e.t.TempDir()
	err := filepath.WalkDir(e.repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(e.repo, path)
		switch {
		case d.IsDir() && rel == StateDir:
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(c.repo, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(c.repo, rel), b, 0o644)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return &c
}

var leaseField = regexp.MustCompile(`(?m)^(\w+)=(.*)$`)

// leaseFields parses a host's lease file.
func (e *e2e) leaseFields(host string) map[string]string {
	out := map[string]string{}
	for _, m := range leaseField.FindAllStringSubmatch(e.lease(host), -1) {
		out[m[1]] = m[2]
	}
	return out
}

// writeLease puts another run's lease on a host.
func (e *e2e) writeLease(host, run string, p proc.ID, since, expires time.Time) {
	e.t.Helper()
	dir := filepath.Join(e.leases, host)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	rec := fmt.Sprintf("run=%s\nmanager=%s\nmachine_id=%s\nboot_id=%s\npid=%d\nstart_time=%d\nuser=bob\ncheckout=/home/bob/cloud\nsince=%d\nexpires=%d\n",
		run, p.Host, p.Machine, p.Boot, p.PID, p.Start, since.Unix(), expires.Unix())
	if err := os.WriteFile(filepath.Join(dir, "apply.lease"), []byte(rec), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// unixTime formats a lease's time field as messages show it.
func unixTime(t *testing.T, field string) string {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(field, &n); err != nil {
		t.Fatalf("lease time %q: %v", field, err)
	}
	return time.Unix(n, 0).Local().Format(time.RFC3339)
}

// TestE2ETwoCheckouts: while an apply from one checkout runs (a step that
// outlasts its lease's TTL several times), an apply from a second checkout
// of the same repository (its own state database) is refused, naming the
// holder and since when; the first apply's leases are renewed meanwhile,
// plan warns about them, and they are released when the apply ends.
func TestE2ETwoCheckouts(t *testing.T) {
	e := newE2E(t)
	// Short leases: renewed every 5 s (each renewal may take 7.5 s: the
	// machine may be loaded).
	setLeases(t, e.leases, 15*time.Second)
	e.custom(oneFilePerHost + `  - name: steps
    hosts: {hosts: [h3]}
    commands:
      - {name: slow, script: "touch {T}/h3/slow.marker; i=0; while [ ! -e {T}/h3/release ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i+1)); done"}
`)
	t.Cleanup(func() { os.WriteFile(e.path("h3", "release"), nil, 0o644) })
	other := e.clone()

	cmd, childOut := e.child("apply", "--auto-approve")
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitFor(t, "the slow command to start", func() bool { return e.exists("h3", "slow.marker") })

	first := map[string]map[string]string{}
	for _, h := range e2eHosts {
		first[h] = e.leaseFields(h)
		l := first[h]
		if l["run"] == "" || l["pid"] != fmt.Sprint(cmd.Process.Pid) || l["checkout"] != e.repo || l["user"] != currentUser() || l["manager"] != proc.Self().Host {
			t.Fatalf("the lease on %s: %q", h, e.lease(h))
		}
	}
	run := first["h1"]["run"]
	var expires int64
	fmt.Sscan(first["h3"]["expires"], &expires)

	// Renewed: still the run's after its first expiry, with a later one.
	time.Sleep(time.Until(time.Unix(expires+2, 0)))
	for _, h := range e2eHosts {
		l := e.leaseFields(h)
		if l["run"] != run || l["since"] != first[h]["since"] || l["expires"] <= first[h]["expires"] {
			t.Errorf("the lease on %s was not renewed: first %v, now %v", h, first[h], l)
		}
	}

	// The other checkout is refused: who holds the hosts, since when.
	code, out, errs := other.run("apply", "--auto-approve")
	if code != ExitNotOK {
		t.Fatalf("the second checkout's apply: exit %d\n%s%s", code, out, errs)
	}
	contains(t, "the second checkout's apply", errs, "3 hosts are leased to other applies:")
	for _, h := range e2eHosts {
		contains(t, "the second checkout's apply", errs, fmt.Sprintf("host %s is leased to another apply: run %s by %s on %s (checkout %s, pid %d) since %s, renewed until ",
			h, run, currentUser(), proc.Self().Host, e.repo, cmd.Process.Pid, unixTime(t, first[h]["since"])))
	}
	if out != "" {
		t.Errorf("the refused apply printed a plan:\n%s", out)
	}
	if runs := other.runs(); len(runs) != 0 {
		t.Errorf("the refused apply recorded runs: %+v", runs)
	}
	if _, held, _ := openOther(t, other).LockHolder(); held {
		t.Error("the refused apply kept its checkout's lock")
	}
	for _, h := range e2eHosts {
		if l := e.leaseFields(h); l["run"] != run {
			t.Errorf("the refused apply changed the lease on %s: %v", h, l)
		}
	}

	// The run ends: its leases are released, and the other checkout applies.
	os.WriteFile(e.path("h3", "release"), nil, 0o644)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the first apply: %v\n%s", err, childOut)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the first apply did not end:\n%s", childOut)
	}
	t.Logf("the first apply printed:\n%s", childOut)
	for _, h := range e2eHosts {
		if l := e.lease(h); l != "" {
			t.Errorf("the lease on %s is still there after the apply: %q", h, l)
		}
	}
	out, errs = other.must(ExitOK, "apply", "--auto-approve")
	if strings.Contains(errs, "took over") {
		t.Errorf("a released lease was taken over:\n%s", errs)
	}
	for _, h := range e2eHosts {
		if l := e.lease(h); l != "" {
			t.Errorf("the second apply left its lease on %s: %q", h, l)
		}
	}
}

// openOther opens a checkout's state database.
func openOther(t *testing.T, e *e2e) *state.DB {
	t.Helper()
	db, err := state.Open(filepath.Join(e.repo, StateDir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// applyFn runs apply's function itself, without cobra.
func (e *e2e) applyFn(components ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	g := &globals{repo: e.repo, output: "text", stdout: &out, stderr: &errb, args: []string{"apply", "--auto-approve"}}
	if len(components) == 0 {
		components = []string{"custom"}
	}
	f := &engineFlags{parallel: 16, sshKeys: strings.Split(e.keys, ","), components: components}
	err = runApply(context.Background(), g, f, applyRequest{autoApprove: true, retries: 2, timeout: time.Minute})
	e.t.Logf("runApply: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	e.outs = append(e.outs, out.String(), errb.String())
	return out.String(), errb.String(), err
}

// TestE2ELeaseTakeOver: an expired lease is taken over, and so is a live
// one whose apply ran on this machine and whose process is gone; both are
// said. A live lease of another manager refuses the apply, and the leases
// the refused apply took meanwhile are released.
func TestE2ELeaseTakeOver(t *testing.T) {
	e := newE2E(t)
	e.custom(oneFilePerHost)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	gone := proc.Self()
	gone.PID, gone.Start = dead.Process.Pid, 0
	elsewhere := proc.ID{Host: "mgr-2.example", Machine: "0123456789abcdef0123456789abcdef", PID: 4242}
	since := time.Now().Add(-time.Hour)
	e.writeLease("h1", "20260101-000000-dead", elsewhere, since, time.Now().Add(-time.Minute))
	e.writeLease("h2", "20260101-000000-gone", gone, since, time.Now().Add(time.Hour))

	out, errs, err := e.applyFn()
	if err != nil {
		t.Fatalf("apply over an expired and an orphaned lease: %v", err)
	}
	contains(t, "apply", out, "Apply complete: 3 succeeded")
	sinceText := since.Local().Format(time.RFC3339)
	contains(t, "apply", errs,
		"note: h1: took over the lease of run 20260101-000000-dead by bob on mgr-2.example (checkout /home/bob/cloud, pid 4242) since "+sinceText+": it expired at ",
		fmt.Sprintf("note: h2: took over the lease of run 20260101-000000-gone by bob on %s (checkout /home/bob/cloud, pid %d) since %s: its process (pid %d on %s) is gone",
			gone.Host, gone.PID, sinceText, gone.PID, gone.Host))
	for _, h := range e2eHosts {
		if l := e.lease(h); l != "" {
			t.Errorf("the lease on %s is still there after the apply: %q", h, l)
		}
	}

	// A live lease of another manager: refused; nothing applied; the
	// leases taken on the other hosts are released.
	e.custom(strings.Replace(oneFilePerHost, `"one\n"`, `"uno\n"`, 1))
	e.writeLease("h2", "20260101-000000-live", elsewhere, since, time.Now().Add(time.Hour))
	out, _, err = e.applyFn()
	want := "host h2 is leased to another apply: run 20260101-000000-live by bob on mgr-2.example (checkout /home/bob/cloud, pid 4242) since " + sinceText + ", renewed until "
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "; wait for it to finish") {
		t.Fatalf("apply against a live lease: %v\nwant %s...", err, want)
	}
	if out != "" || e.read("h1", "f") != "one\n" {
		t.Errorf("the refused apply planned or applied:\n%s", out)
	}
	if e.leaseFields("h2")["run"] != "20260101-000000-live" || e.lease("h1") != "" || e.lease("h3") != "" {
		t.Errorf("after the refusal, leases: h1 %q, h2 %q, h3 %q", e.lease("h1"), e.lease("h2"), e.lease("h3"))
	}

	// Plan takes no lease, and warns about the apply that holds one.
	_, errs = e.must(ExitChanges, "plan", "--detailed-exitcode")
	contains(t, "plan", errs, "warning: h2 is being applied by run 20260101-000000-live by bob on mgr-2.example (checkout /home/bob/cloud, pid 4242) since "+sinceText+" (lease renewed until ")
	if strings.Contains(errs, "h1 is being") || strings.Contains(errs, "h3 is being") {
		t.Errorf("plan warns about hosts without a lease:\n%s", errs)
	}
	if e.leaseFields("h2")["run"] != "20260101-000000-live" || e.lease("h1") != "" {
		t.Errorf("plan changed the leases: h1 %q, h2 %q", e.lease("h1"), e.lease("h2"))
	}
}

// TestE2EApplyLocksFirst: apply takes its locks before it compiles the
// catalog or reaches a host: refused by the repository's lock, it logs
// in nowhere; refused by a host's lease, it runs nothing there but the
// lease's own script: not the probe Galera's catalog runs on its members.
func TestE2EApplyLocksFirst(t *testing.T) {
	log := filepath.Join(t.TempDir(), "commands.log")
	// Every command a host runs, and the script it reads on its standard
	// input (scripts never travel on the command line), logged as it runs.
	e := newE2E(t, sshd.WithConfig(`ForceCommand echo "$SSH_ORIGINAL_COMMAND" >> `+log+`; tee -a `+log+` | { eval "$SSH_ORIGINAL_COMMAND"; }`))
	e.custom(oneFilePerHost)
	e.must(ExitOK, "secrets", "generate")

	// The probe this test looks for runs when Galera's catalog compiles.
	e.must(ExitOK, "plan", "--component", "galera")
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "== grastate") {
		t.Fatalf("plan --component galera ran no Galera probe; the commands:\n%s", b)
	}

	// The repository's lock, held by a live process (this one).
	db := openOther(t, e)
	unlock, err := db.Lock(state.LockInfo{RunID: "20260101-000000-held", Command: "fundament apply"})
	if err != nil {
		t.Fatal(err)
	}
	logins := map[string]int{}
	for h, s := range e.srv {
		logins[h] = s.Logins()
	}
	out, _, err := e.applyFn("custom", "galera")
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("another apply (run 20260101-000000-held, pid %d on ", os.Getpid())) ||
		!strings.HasSuffix(err.Error(), "holds the lock; wait for it to finish") {
		t.Fatalf("apply against the repository's lock: %v", err)
	}
	for h, s := range e.srv {
		if n := s.Logins(); n != logins[h] {
			t.Errorf("the refused apply logged in to %s (%d times)", h, n-logins[h])
		}
	}
	if out != "" {
		t.Errorf("the refused apply printed:\n%s", out)
	}
	unlock()

	// A host's lease, held by another manager.
	e.writeLease("h1", "20260101-000000-live", proc.ID{Host: "mgr-2.example", PID: 4242}, time.Now(), time.Now().Add(time.Hour))
	os.WriteFile(log, nil, 0o644)
	_, _, err = e.applyFn("custom", "galera")
	if err == nil || !strings.HasPrefix(err.Error(), "host h1 is leased to another apply: run 20260101-000000-live") {
		t.Fatalf("apply against h1's lease: %v", err)
	}
	b, _ := os.ReadFile(log)
	if strings.Contains(string(b), "== grastate") {
		t.Errorf("the refused apply probed Galera; the commands:\n%s", b)
	}
	if !strings.Contains(string(b), "apply.lease") {
		t.Errorf("no lease script ran; the commands:\n%s", b)
	}
}

// TestLockBreak: `lock break` breaks a lock whose process is gone; a live
// one only with --force and the lock's id.
func TestLockBreak(t *testing.T) {
	repo := t.TempDir()
	db, err := state.Open(filepath.Join(repo, StateDir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Execute(append(args, "--repo", repo), &out, &errb)
		return code, out.String(), errb.String()
	}
	if _, err := db.Lock(state.LockInfo{RunID: "20260101-000000-live", Command: "fundament apply"}); err != nil {
		t.Fatal(err)
	}
	_, out, _ := run("lock")
	contains(t, "lock", out, fmt.Sprintf("held by pid %d on ", os.Getpid()), "lock id 20260101-000000-live")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"lock", "break"}, "is held by a live process"},
		{[]string{"lock", "break", "--force"}, "--force breaks a live lock only with its id: `fundament lock break --force 20260101-000000-live`"},
		{[]string{"lock", "break", "--force", "20260101-000000-xxxx"}, "the lock's id is 20260101-000000-live, not 20260101-000000-xxxx"},
		{[]string{"lock", "break", "20260101-000000-live"}, "is held by a live process"},
	} {
		code, out, errs := run(c.args...)
		if code != ExitNotOK || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, want 1 with %q\n%s%s", strings.Join(c.args, " "), code, c.want, out, errs)
		}
		if _, held, _ := db.LockHolder(); !held {
			t.Fatalf("%s broke the live lock", strings.Join(c.args, " "))
		}
	}
	code, out, errs := run("lock", "break", "--force", "20260101-000000-live")
	if code != ExitOK || !strings.Contains(out, fmt.Sprintf("broke the lock of pid %d on ", os.Getpid())) {
		t.Errorf("lock break --force ID: exit %d\n%s%s", code, out, errs)
	}
	if _, held, _ := db.LockHolder(); held {
		t.Error("the lock is still held")
	}

	// A lock whose process is gone breaks without more.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Lock(state.LockInfo{RunID: "20260101-000000-dead", PID: dead.Process.Pid}); err != nil {
		t.Fatal(err)
	}
	_, out, _ = run("lock")
	contains(t, "lock of a dead process", out, "the process is gone")
	code, out, errs = run("lock", "break")
	if code != ExitOK || !strings.Contains(out, fmt.Sprintf("broke the lock of pid %d", dead.Process.Pid)) {
		t.Errorf("lock break of a dead process's lock: exit %d\n%s%s", code, out, errs)
	}
}
