package state

import (
	"database/sql"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/proc"
)

// TestLockRecordsTheProcess: the lock holds the holder's machine id, boot
// id and start time, and gets an id when the caller gives none.
func TestLockRecordsTheProcess(t *testing.T) {
	db := open(t, t.TempDir())
	unlock, err := db.Lock(LockInfo{Command: "fundament apply"})
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	info, ok, err := db.LockHolder()
	if err != nil || !ok {
		t.Fatalf("LockHolder = %v, %v", ok, err)
	}
	me := proc.Self()
	if info.RunID == "" || info.PID != me.PID || info.BootID != me.Boot || info.MachineID != me.Machine || info.StartTime != me.Start {
		t.Errorf("the lock records %+v; this process is %+v", info, me)
	}
	if info.Stale() || !info.Checkable() {
		t.Errorf("this process's lock: stale %v, checkable %v", info.Stale(), info.Checkable())
	}
}

// TestStaleLockBeyondPID: a lock whose PID is alive is stale all the same
// when that PID now belongs to a process that started at another time, or
// when the machine booted since; a lock of another machine (another host
// name, or this host name with another machine id) never is.
func TestStaleLockBeyondPID(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("skipped: boot ids and start times are read from Linux's /proc")
	}
	me := proc.Self()
	live := LockInfo{RunID: "r", PID: me.PID, Hostname: hostname(), MachineID: me.Machine, BootID: me.Boot, StartTime: me.Start}
	with := func(f func(*LockInfo)) LockInfo { i := live; f(&i); return i }
	for _, c := range []struct {
		name  string
		info  LockInfo
		stale bool
	}{
		{"live", live, false},
		{"a lock of an older version (PID only)", with(func(i *LockInfo) { i.MachineID, i.BootID, i.StartTime = "", "", 0 }), false},
		{"dead PID", with(func(i *LockInfo) { i.PID, i.StartTime = deadPID(t), 0 }), true},
		{"PID alive, another start time", with(func(i *LockInfo) { i.StartTime-- }), true},
		{"another boot id", with(func(i *LockInfo) { i.BootID = "00000000-0000-0000-0000-000000000001" }), true},
		{"another host", with(func(i *LockInfo) { i.Hostname, i.PID = "elsewhere.example", deadPID(t) }), false},
	} {
		if got := c.info.Stale(); got != c.stale {
			t.Errorf("%s: Stale() = %v, want %v", c.name, got, c.stale)
		}
	}

	// Lock reports a stale holder as such, on each ground.
	for name, f := range map[string]func(*LockInfo){
		"reused PID": func(i *LockInfo) { i.StartTime++ },
		"rebooted":   func(i *LockInfo) { i.BootID = "00000000-0000-0000-0000-000000000002" },
	} {
		db := open(t, t.TempDir())
		insertLock(t, db, with(f))
		_, err := db.Lock(LockInfo{RunID: "new"})
		var le *LockedError
		if !errors.As(err, &le) || !le.Stale {
			t.Errorf("%s: Lock over the stale lock: %v", name, err)
		}
		if _, ok, err := db.BreakLock("", false); !ok || err != nil {
			t.Errorf("%s: BreakLock of the stale lock: %v, %v", name, ok, err)
		}
	}
}

// insertLock writes a lock row as another process would have.
func insertLock(t *testing.T, db *DB, i LockInfo) {
	t.Helper()
	if i.Since.IsZero() {
		i.Since = time.Now()
	}
	if _, err := db.sql.Exec(`INSERT INTO apply_lock (id, run_id, pid, hostname, machine_id, boot_id, start_time, user, since, command)
		VALUES (1, ?, ?, ?, ?, ?, ?, 'someone', ?, 'fundament apply')`,
		i.RunID, i.PID, i.Hostname, i.MachineID, i.BootID, int64(i.StartTime), fmtTime(i.Since)); err != nil {
		t.Fatal(err)
	}
}

// TestBreakLock: a stale lock breaks without more; a live one (or one
// that cannot be checked from here) only with force and its id; a wrong id
// never.
func TestBreakLock(t *testing.T) {
	me := proc.Self()
	live := LockInfo{RunID: "live-run", PID: me.PID, Hostname: hostname(), MachineID: me.Machine, BootID: me.Boot, StartTime: me.Start}
	stale := LockInfo{RunID: "dead-run", PID: deadPID(t), Hostname: hostname()}
	remote := LockInfo{RunID: "remote-run", PID: 1, Hostname: "elsewhere.example"}
	for _, c := range []struct {
		name   string
		lock   LockInfo
		id     string
		force  bool
		broken bool
		want   string // in the refusal
	}{
		{"live", live, "", false, false, "held by a live process"},
		{"live, its id without force", live, "live-run", false, false, "`fundament lock break --force live-run`"},
		{"live, force without id", live, "", true, false, "--force breaks a live lock only with its id: `fundament lock break --force live-run`"},
		{"live, force with a wrong id", live, "other-run", true, false, "the lock's id is live-run, not other-run"},
		{"live, force with its id", live, "live-run", true, true, ""},
		{"stale", stale, "", false, true, ""},
		{"stale, a wrong id", stale, "x", false, false, "the lock's id is dead-run, not x"},
		{"another host", remote, "", false, false, "cannot be checked from here"},
		{"another host, force with its id", remote, "remote-run", true, true, ""},
	} {
		db := open(t, t.TempDir())
		insertLock(t, db, c.lock)
		info, ok, err := db.BreakLock(c.id, c.force)
		_, held, _ := db.LockHolder()
		if !ok || info.RunID != c.lock.RunID {
			t.Errorf("%s: BreakLock = %+v, %v", c.name, info, ok)
		}
		if c.broken {
			if err != nil || held {
				t.Errorf("%s: not broken: %v (held %v)", c.name, err, held)
			}
			continue
		}
		var refused *BreakRefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want a refusal with %q", c.name, err, c.want)
		}
		if !held {
			t.Errorf("%s: refused, but the lock is gone", c.name)
		}
	}
}

// TestLockFromSchemaV1: a lock taken by a version without the process
// columns survives the migration and is judged by host name and PID.
func TestLockFromSchemaV1(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO schema_version VALUES (1, '');` + migrations[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO apply_lock (id, run_id, pid, hostname, user, since, command) VALUES (1, '', ?, ?, 'old', ?, 'fundament apply')`,
		deadPID(t), hostname(), fmtTime(time.Now())); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db := open(t, dir)
	info, ok, err := db.LockHolder()
	if err != nil || !ok || info.User != "old" || info.BootID != "" || info.StartTime != 0 {
		t.Fatalf("LockHolder after migrating = %+v, %v, %v", info, ok, err)
	}
	if !info.Stale() {
		t.Error("the old lock of a dead PID is not stale")
	}
	if _, ok, err := db.BreakLock("", false); !ok || err != nil {
		t.Errorf("BreakLock = %v, %v", ok, err)
	}
}

func TestStartRunID(t *testing.T) {
	db := open(t, t.TempDir())
	id := NewRunID()
	r, err := db.StartRunID(id, KindApply, "fundament apply", "")
	if err != nil || r.ID != id {
		t.Fatalf("StartRunID = %+v, %v", r, err)
	}
	if _, err := db.StartRunID(id, KindApply, "fundament apply", ""); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("a second StartRunID with the same id: %v", err)
	}
}
