package state

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func open(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// deadPID returns the PID of a process that has exited (and was reaped).
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "0")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run sleep: %v", err)
	}
	pid := cmd.Process.Pid
	if processAlive(pid) {
		t.Skipf("pid %d was reused already", pid)
	}
	return pid
}

func TestOpenCreatesSchemaAndReopens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a repo", ".fundament")
	db := open(t, dir)

	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, FileName): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %o, want %o", path, got, want)
		}
	}
	if v, err := db.Version(); err != nil || v != SchemaVersion() {
		t.Errorf("Version() = %d, %v; want %d", v, err, SchemaVersion())
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": fmt.Sprint(BusyTimeout.Milliseconds())} {
		var got string
		if err := db.sql.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	run, err := db.StartRun(KindPlan, "fundament plan", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(run.ID, RunSucceeded, "0 changes"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = open(t, dir)
	if v, err := db.Version(); err != nil || v != SchemaVersion() {
		t.Errorf("after reopening, Version() = %d, %v", v, err)
	}
	got, err := db.GetRun(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != RunSucceeded || got.Summary != "0 changes" {
		t.Errorf("reopened run = %+v", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("the WAL file has mode %o", fi.Mode().Perm())
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	if _, err := db.sql.Exec(`INSERT INTO schema_version (version, applied_at) VALUES (99, '')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db2, err := Open(dir); err == nil || !strings.Contains(err.Error(), "newer") {
		if db2 != nil {
			db2.Close()
		}
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestRunsAndActionsRoundTrip(t *testing.T) {
	db := open(t, t.TempDir())
	run, err := db.StartRun(KindApply, "fundament apply", "sha256:abc")
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != RunRunning || run.PID != os.Getpid() || run.Hostname == "" || run.User == "" ||
		run.StartedAt.IsZero() || len(run.ID) != len("20261126-173012-4f2a") {
		t.Errorf("StartRun = %+v", run)
	}
	got, err := db.GetRun(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != run {
		t.Errorf("GetRun = %+v\nwant %+v", got, run)
	}

	a1, err := db.StartAction(Action{RunID: run.ID, Host: "h1", Resource: "file:/etc/hosts", Op: "update"})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := db.StartAction(Action{RunID: run.ID, Host: "h2", Resource: "package:chrony", Op: "create", Attempt: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishAction(a1, ActionSucceeded, "ok\n", ""); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishAction(a2, ActionFailed, "E: no package", "exit status 100"); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishAction(a2, ActionSucceeded, "", ""); err == nil {
		t.Error("finishing a finished action succeeded")
	}
	if err := db.FinishAction(12345, ActionSucceeded, "", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("finishing a missing action: %v", err)
	}
	if _, err := db.StartAction(Action{RunID: "nope", Host: "h", Resource: "r", Op: "create"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("action of a missing run: %v", err)
	}

	all, err := db.Actions(run.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("Actions = %+v", all)
	}
	if a := all[0]; a.ID != a1 || a.Host != "h1" || a.Resource != "file:/etc/hosts" || a.Op != "update" ||
		a.Attempt != 1 || a.Status != ActionSucceeded || a.Output != "ok\n" || a.Error != "" ||
		a.StartedAt.IsZero() || a.FinishedAt.Before(a.StartedAt) {
		t.Errorf("action 1 = %+v", a)
	}
	if a := all[1]; a.ID != a2 || a.Attempt != 2 || a.Status != ActionFailed || a.Error != "exit status 100" {
		t.Errorf("action 2 = %+v", a)
	}
	h2, err := db.Actions(run.ID, "h2")
	if err != nil || len(h2) != 1 || h2[0].ID != a2 {
		t.Errorf("Actions(h2) = %+v, %v", h2, err)
	}

	if err := db.FinishRun(run.ID, RunFailed, "1 failed"); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(run.ID, RunSucceeded, ""); err == nil {
		t.Error("finishing a finished run succeeded")
	}
	if _, err := db.StartAction(Action{RunID: run.ID, Host: "h", Resource: "r", Op: "create"}); err == nil {
		t.Error("an action of a finished run was started")
	}
	if err := db.FinishRun("nope", RunFailed, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("finishing a missing run: %v", err)
	}
	got, err = db.GetRun(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != RunFailed || got.Summary != "1 failed" || got.FinishedAt.IsZero() || got.PlanHash != "sha256:abc" {
		t.Errorf("finished run = %+v", got)
	}
	if _, err := db.StartRun("destroy", "", ""); err == nil {
		t.Error("a run of an unknown kind was started")
	}
}

func TestFinishRunInterruptsStartedActions(t *testing.T) {
	db := open(t, t.TempDir())
	run, _ := db.StartRun(KindApply, "apply", "")
	id, err := db.StartAction(Action{RunID: run.ID, Host: "h", Resource: "r", Op: "create"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRun(run.ID, RunCancelled, "cancelled"); err != nil {
		t.Fatal(err)
	}
	acts, _ := db.Actions(run.ID, "")
	if len(acts) != 1 || acts[0].ID != id || acts[0].Status != ActionInterrupted || acts[0].FinishedAt.IsZero() {
		t.Errorf("actions after FinishRun = %+v", acts)
	}
}

func TestRunsNewestFirstAndPrefix(t *testing.T) {
	db := open(t, t.TempDir())
	var ids []string
	for i := range 3 {
		r, err := db.StartRun(KindPlan, fmt.Sprint("plan ", i), "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		time.Sleep(2 * time.Millisecond)
	}
	runs, err := db.Runs(0)
	if err != nil || len(runs) != 3 {
		t.Fatalf("Runs(0) = %v, %v", runs, err)
	}
	for i, r := range runs {
		if r.ID != ids[2-i] {
			t.Errorf("Runs()[%d] = %s, want %s", i, r.ID, ids[2-i])
		}
	}
	if runs, _ := db.Runs(2); len(runs) != 2 || runs[0].ID != ids[2] {
		t.Errorf("Runs(2) = %v", runs)
	}

	// Unique prefix, ambiguous prefix, no match.
	if _, err := db.sql.Exec(`UPDATE runs SET id = ? WHERE id = ?`, "20260101-000000-aaaa", ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec(`UPDATE runs SET id = ? WHERE id = ?`, "20260101-000000-aabb", ids[1]); err != nil {
		t.Fatal(err)
	}
	if r, err := db.GetRun("20260101-000000-aaa"); err != nil || r.ID != "20260101-000000-aaaa" {
		t.Errorf("GetRun(unique prefix) = %v, %v", r.ID, err)
	}
	var amb *AmbiguousRunError
	if _, err := db.GetRun("20260101-000000-a"); !errors.As(err, &amb) || len(amb.Matches) != 2 {
		t.Errorf("GetRun(ambiguous prefix): %v", err)
	}
	if _, err := db.GetRun("1999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRun(no match): %v", err)
	}
	if _, err := db.GetRun("2026010_"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRun with a LIKE wildcard: %v", err)
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	other := open(t, dir)

	unlock, err := db.Lock(LockInfo{RunID: "r1", Command: "fundament apply"})
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*DB{"same handle": db, "other handle": other} {
		_, err := d.Lock(LockInfo{RunID: "r2"})
		var le *LockedError
		if !errors.As(err, &le) {
			t.Fatalf("%s: second Lock: %v", name, err)
		}
		if le.Stale || le.Info.RunID != "r1" || le.Info.PID != os.Getpid() || le.Info.Command != "fundament apply" {
			t.Errorf("%s: LockedError = %+v", name, le)
		}
		want := fmt.Sprintf("another apply (run r1, pid %d on %s since ", os.Getpid(), hostname())
		if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), ") holds the lock") {
			t.Errorf("%s: error %q", name, err)
		}
	}
	if info, ok, err := other.LockHolder(); err != nil || !ok || info.RunID != "r1" {
		t.Errorf("LockHolder = %+v, %v, %v", info, ok, err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Errorf("second unlock: %v", err)
	}
	if _, ok, _ := db.LockHolder(); ok {
		t.Error("the lock is still held after unlock")
	}

	unlock2, err := other.Lock(LockInfo{RunID: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.BreakLock("r2", true); !ok || err != nil {
		t.Fatalf("BreakLock: %v, %v", ok, err)
	}
	unlock3, err := db.Lock(LockInfo{RunID: "r3"})
	if err != nil {
		t.Fatal(err)
	}
	if err := unlock2(); !errors.Is(err, ErrLockLost) {
		t.Errorf("unlock of a broken lock: %v", err)
	}
	if info, ok, _ := db.LockHolder(); !ok || info.RunID != "r3" {
		t.Errorf("the unlock of a broken lock released another's lock: %+v %v", info, ok)
	}
	if err := unlock3(); err != nil {
		t.Error(err)
	}
	if _, ok, err := db.BreakLock("", false); ok || err != nil {
		t.Errorf("BreakLock of a free lock: %v, %v", ok, err)
	}
}

func TestStaleLock(t *testing.T) {
	db := open(t, t.TempDir())
	pid := deadPID(t)
	if _, err := db.Lock(LockInfo{RunID: "dead", PID: pid}); err != nil {
		t.Fatal(err)
	}
	_, err := db.Lock(LockInfo{RunID: "new"})
	var le *LockedError
	if !errors.As(err, &le) || !le.Stale || le.Info.PID != pid {
		t.Fatalf("Lock over a stale lock: %v", err)
	}
	if !strings.HasSuffix(err.Error(), "; the process is gone: break the lock with `fundament lock break`") {
		t.Errorf("error %q", err)
	}
	// A lock of another host is never stale: it cannot be checked from here.
	if (LockInfo{PID: pid, Hostname: "elsewhere.example"}).Stale() {
		t.Error("a lock of another host is stale")
	}
	info, ok, err := db.BreakLock("", false)
	if err != nil || !ok || info.RunID != "dead" || info.PID != pid {
		t.Fatalf("BreakLock = %+v, %v, %v", info, ok, err)
	}
	unlock, err := db.Lock(LockInfo{RunID: "new"})
	if err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Error(err)
	}
}

func TestRecoverInterrupted(t *testing.T) {
	db := open(t, t.TempDir())
	pid := deadPID(t)
	dead, _ := db.StartRun(KindApply, "apply", "")
	alive, _ := db.StartRun(KindApply, "apply", "")
	remote, _ := db.StartRun(KindApply, "apply", "")
	started, err := db.StartAction(Action{RunID: dead.ID, Host: "h", Resource: "r1", Op: "create"})
	if err != nil {
		t.Fatal(err)
	}
	finished, _ := db.StartAction(Action{RunID: dead.ID, Host: "h", Resource: "r0", Op: "create"})
	if err := db.FinishAction(finished, ActionSucceeded, "", ""); err != nil {
		t.Fatal(err)
	}
	aliveAct, _ := db.StartAction(Action{RunID: alive.ID, Host: "h", Resource: "r", Op: "create"})
	if _, err := db.sql.Exec(`UPDATE runs SET pid = ? WHERE id = ?`, pid, dead.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec(`UPDATE runs SET hostname = 'elsewhere.example', pid = 1 WHERE id = ?`, remote.ID); err != nil {
		t.Fatal(err)
	}

	// While the lock is held, a run of another host is left alone.
	unlock, err := db.Lock(LockInfo{RunID: alive.ID})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := db.RecoverInterrupted()
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) != 1 || rec[0].ID != dead.ID || rec[0].Status != RunInterrupted || rec[0].FinishedAt.IsZero() ||
		!strings.Contains(rec[0].Summary, "interrupted") {
		t.Fatalf("RecoverInterrupted = %+v", rec)
	}
	acts, _ := db.Actions(dead.ID, "")
	for _, a := range acts {
		want := ActionInterrupted
		if a.ID == finished {
			want = ActionSucceeded
		}
		if a.Status != want {
			t.Errorf("action %d (%s) is %s, want %s", a.ID, a.Resource, a.Status, want)
		}
		if a.ID == started && a.FinishedAt.IsZero() {
			t.Error("the interrupted action has no finish time")
		}
	}
	if r, _ := db.GetRun(alive.ID); r.Status != RunRunning {
		t.Errorf("the run of a live process is %s", r.Status)
	}
	if acts, _ := db.Actions(alive.ID, ""); acts[0].ID != aliveAct || acts[0].Status != ActionStarted {
		t.Errorf("the action of a live process is %s", acts[0].Status)
	}
	if r, _ := db.GetRun(remote.ID); r.Status != RunRunning {
		t.Errorf("the run of another host is %s while the lock is held", r.Status)
	}

	// Without the lock, the run of another host is over.
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	rec, err = db.RecoverInterrupted()
	if err != nil || len(rec) != 1 || rec[0].ID != remote.ID || rec[0].Status != RunInterrupted {
		t.Errorf("RecoverInterrupted without the lock = %+v, %v", rec, err)
	}
	if rec, err := db.RecoverInterrupted(); err != nil || len(rec) != 0 {
		t.Errorf("a second RecoverInterrupted = %+v, %v", rec, err)
	}
}

const helperEnv = "FUNDAMENT_STATE_TEST_HELPER_DIR"

// TestHelperProcess is the child of TestKill9: it opens the database, takes
// the lock, starts a run and an action, says so, and waits to be killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("only runs as the child of TestKill9")
	}
	db, err := Open(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	run, err := db.StartRun(KindApply, "fundament apply", "")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	if _, err := db.Lock(LockInfo{RunID: run.ID, Command: "fundament apply"}); err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	id, err := db.StartAction(Action{RunID: run.ID, Host: "h1", Resource: "file:/etc/hosts", Op: "update"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	fmt.Printf("ready %s %d\n", run.ID, id)
	time.Sleep(time.Minute)
	os.Exit(3)
}

func TestKill9(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading from the child: %v (%q)", err, line)
	}
	var (
		runID    string
		actionID int64
	)
	if _, err := fmt.Sscanf(line, "ready %s %d", &runID, &actionID); err != nil {
		t.Fatalf("child said %q", line)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()

	db := open(t, dir)
	rec := db.Recovered()
	if len(rec) != 1 || rec[0].ID != runID || rec[0].Status != RunInterrupted {
		t.Fatalf("Open recovered %+v, want run %s interrupted", rec, runID)
	}
	if more, err := db.RecoverInterrupted(); err != nil || len(more) != 0 {
		t.Errorf("RecoverInterrupted after Open = %+v, %v", more, err)
	}
	run, err := db.GetRun(runID)
	if err != nil || run.Status != RunInterrupted {
		t.Errorf("run = %+v, %v", run, err)
	}
	acts, err := db.Actions(runID, "")
	if err != nil || len(acts) != 1 || acts[0].ID != actionID || acts[0].Status != ActionInterrupted {
		t.Errorf("actions = %+v, %v", acts, err)
	}
	// The killed apply's lock is stale: refused until broken.
	_, err = db.Lock(LockInfo{RunID: "next"})
	var le *LockedError
	if !errors.As(err, &le) || !le.Stale || le.Info.RunID != runID {
		t.Fatalf("Lock after the kill: %v", err)
	}
	if _, ok, err := db.BreakLock("", false); !ok || err != nil {
		t.Fatalf("BreakLock: %v %v", ok, err)
	}
	if _, err := db.Lock(LockInfo{RunID: "next"}); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	// Open a new database from several handles at once: they migrate in turn.
	dbs := make([]*DB, 3)
	var opens sync.WaitGroup
	for i := range dbs {
		opens.Go(func() {
			db, err := Open(dir)
			if err != nil {
				t.Error(err)
				return
			}
			dbs[i] = db
		})
	}
	opens.Wait()
	for _, db := range dbs {
		if db == nil {
			t.FailNow()
		}
		t.Cleanup(func() { db.Close() })
	}
	run, err := dbs[0].StartRun(KindApply, "apply", "")
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := dbs[w%len(dbs)]
			host := fmt.Sprintf("h%d", w)
			for i := range each {
				res := fmt.Sprintf("file:/etc/%d", i)
				id, err := db.StartAction(Action{RunID: run.ID, Host: host, Resource: res, Op: "create"})
				if err != nil {
					errs <- err
					continue
				}
				if err := db.FinishAction(id, ActionSucceeded, "ok", ""); err != nil {
					errs <- err
				}
				if err := db.SetApplied(host, res, "hash", run.ID); err != nil {
					errs <- err
				}
				if _, err := db.RecoverInterrupted(); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	acts, err := dbs[1].Actions(run.ID, "")
	if err != nil || len(acts) != workers*each {
		t.Errorf("%d actions, %v; want %d", len(acts), err, workers*each)
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("short", 10); got != "short" {
		t.Errorf("Truncate(short) = %q", got)
	}
	long := "HEAD" + strings.Repeat("é", MaxOutput) + "TAIL"
	got := Truncate(long, MaxOutput)
	if len(got) > MaxOutput || len(got) < MaxOutput-8 {
		t.Errorf("len = %d, want at most %d", len(got), MaxOutput)
	}
	if !strings.HasPrefix(got, "HEAD") || !strings.HasSuffix(got, "TAIL") || !utf8.ValidString(got) {
		t.Errorf("truncated output lost its head, tail or UTF-8 validity")
	}
	head, tail, ok := strings.Cut(got, "\n[... ")
	if !ok {
		t.Fatalf("no marker in %q...", got[:100])
	}
	var omitted int
	if _, err := fmt.Sscanf(tail, "%d bytes omitted ...]\n", &omitted); err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(tail, "omitted ...]\n")
	if len(head)+omitted+len(rest) != len(long) {
		t.Errorf("head %d + omitted %d + tail %d != %d", len(head), omitted, len(rest), len(long))
	}

	// Stored output is bounded.
	db := open(t, t.TempDir())
	run, _ := db.StartRun(KindApply, "apply", "")
	id, _ := db.StartAction(Action{RunID: run.ID, Host: "h", Resource: "r", Op: "run"})
	if err := db.FinishAction(id, ActionFailed, strings.Repeat("x", 1<<20), strings.Repeat("y", 1<<20)); err != nil {
		t.Fatal(err)
	}
	acts, _ := db.Actions(run.ID, "h")
	if len(acts[0].Output) > MaxOutput || len(acts[0].Error) > MaxError || !strings.Contains(acts[0].Output, "bytes omitted") {
		t.Errorf("stored output %d bytes, error %d bytes", len(acts[0].Output), len(acts[0].Error))
	}
}

func TestApplied(t *testing.T) {
	db := open(t, t.TempDir())
	run, _ := db.StartRun(KindApply, "apply", "")
	if err := db.SetApplied("h1", "file:/a", "h-a1", run.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SetApplied("h1", "file:/a", "h-a2", run.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SetApplied("h1", "file:/b", "h-b", ""); err != nil {
		t.Fatal(err)
	}
	if err := db.SetApplied("h2", "file:/a", "other", run.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.SetApplied("h2", "file:/c", "x", "no-such-run"); err == nil {
		t.Error("SetApplied accepted a missing run")
	}
	got, err := db.Applied("h1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["file:/a"] != "h-a2" || got["file:/b"] != "h-b" {
		t.Errorf("Applied(h1) = %v", got)
	}
	if err := db.ForgetApplied("h1", "file:/a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Applied("h1"); len(got) != 1 {
		t.Errorf("after ForgetApplied, Applied(h1) = %v", got)
	}
	if got, _ := db.Applied("none"); got == nil || len(got) != 0 {
		t.Errorf("Applied(none) = %#v", got)
	}
}

func TestHostKeys(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	ks := db.HostKeys()
	const k1, k2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOne", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITwo"
	if _, ok, err := ks.Lookup("h1"); ok || err != nil {
		t.Fatalf("Lookup of an unknown host: %v %v", ok, err)
	}
	if err := ks.Record("h1", k1); err != nil {
		t.Fatal(err)
	}
	if err := ks.Record("h1", k1+" root@h1"); err != nil {
		t.Errorf("recording the same key again: %v", err)
	}
	var ce *HostKeyConflictError
	if err := ks.Record("h1", k2); !errors.As(err, &ce) || ce.Recorded != k1 {
		t.Errorf("recording another key: %v", err)
	}
	// Another handle sees the same keys.
	if key, ok, err := open(t, dir).HostKeys().Lookup("h1"); !ok || err != nil || key != k1 {
		t.Errorf("Lookup(h1) = %q, %v, %v", key, ok, err)
	}
	if err := ks.Record("h0", k2); err != nil {
		t.Fatal(err)
	}
	list, err := db.ListHostKeys()
	if err != nil || len(list) != 2 || list[0].Host != "h0" || list[1].Key != k1 || list[1].FirstSeen.IsZero() {
		t.Errorf("ListHostKeys = %+v, %v", list, err)
	}
	if err := db.ForgetHostKey("h1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ks.Lookup("h1"); ok {
		t.Error("a forgotten key is still there")
	}
	if err := ks.Record("h1", k2); err != nil {
		t.Errorf("recording a new key after forgetting: %v", err)
	}
	if key, _, _ := ks.Lookup("h1"); key != k2 {
		t.Errorf("Lookup after re-recording = %q", key)
	}
	if err := db.ForgetHostKey("never-seen"); err != nil {
		t.Errorf("forgetting an unknown host: %v", err)
	}
}
