// Package state is Fundament's durable local record, an embedded SQLite
// database at <repo>/.fundament/state.db (git-ignored, never committed):
// the runs of plan and apply, every action attempt of an apply, the
// desired state last applied per host and resource, the apply lock, and
// the SSH host keys seen on first use.
//
// # Durability
//
// The database runs in WAL mode with synchronous=FULL, foreign keys on and
// a busy timeout of 30 s, and every write transaction begins IMMEDIATE (it
// takes the write lock up front, so concurrent writers wait for each other
// instead of failing with SQLITE_BUSY). Every write is committed before the
// call returns: StartAction is durable BEFORE the action runs, and
// FinishAction right after it ends. A process killed with SIGKILL in the
// middle of an apply therefore leaves its run "running" and its current
// actions "started"; the next process recognises them as interrupted
// (RecoverInterrupted, which Open calls) because the recorded PID no longer
// exists on this host. The apply lock records its holder's process beyond
// the PID (machine id, boot id, start time; package proc), so that a
// reboot or a reused PID cannot keep a dead holder's lock alive.
//
// # API
//
//	Open(dir) (*DB, error)                  dir is .fundament (created 0700), file state.db (0600); migrates, then recovers
//	(*DB).Close() error
//	(*DB).Path() string
//	(*DB).Version() (int, error)            schema version of the file; SchemaVersion() is this package's
//	(*DB).Recovered() []Run                 the runs Open found interrupted
//
//	(*DB).Lock(LockInfo) (unlock, error)    one apply per repository; a held lock is a *LockedError
//	(*DB).LockHolder() (LockInfo, bool, error)
//	(*DB).BreakLock(id, force) (LockInfo, bool, error)  a stale lock; a live one with force and its id
//	LockInfo.Stale() bool                   the holder was on this machine and is gone (boot id, PID, start time)
//
//	(*DB).StartRun(kind, command, planHash) (Run, error)
//	(*DB).StartRunID(id, kind, command, planHash) (Run, error)  with an id taken beforehand (NewRunID)
//	(*DB).FinishRun(id, status, summary) error
//	(*DB).Runs(limit) ([]Run, error)        newest first
//	(*DB).GetRun(idOrPrefix) (Run, error)   ErrNotFound, or *AmbiguousRunError
//	(*DB).RecoverInterrupted() ([]Run, error)
//
//	(*DB).StartAction(Action) (int64, error)
//	(*DB).FinishAction(id, status, output, errText) error
//	(*DB).FinishApplied(id, output, desiredHash) error   succeeded + SetApplied, one transaction
//	(*DB).Actions(runID, host) ([]Action, error)
//	Truncate(s, max) string                 head + "[... N bytes omitted ...]" + tail
//
//	(*DB).SetApplied(host, resource, desiredHash, runID) error
//	(*DB).ForgetApplied(host, resource) error
//	(*DB).Applied(host) (map[string]string, error)
//
//	(*DB).HostKeys() transport.HostKeyStore recorded keys; first recorded wins
//	(*DB).ForgetHostKey(host) error
//	(*DB).ListHostKeys() ([]HostKey, error)
//
// A *DB is safe for concurrent use by several goroutines, and several
// processes (or several *DB handles in one process) may open the same file.
//
// # Secrets
//
// The state package stores exactly what it is given: action output, error
// texts, commands and summaries are written as passed. Callers must redact
// secrets before handing text to it. Output and error texts are bounded
// (MaxOutput, MaxError) by keeping their head and tail.
//
// # Schema
//
// The schema is versioned (table schema_version) and built by the ordered
// migrations in this package; Open applies the missing ones in one
// transaction and refuses a database written by a newer Fundament. Later
// features add tables by appending a migration, never by editing one.
// Times are stored as fixed-width UTC text (sortable, readable with the
// sqlite3 shell).
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// FileName is the database file inside the .fundament directory.
const FileName = "state.db"

// BusyTimeout is how long a write waits for writers of other processes to
// finish. Generous: on a loaded machine with synchronous(FULL), a queue of
// writers can take seconds, and losing the record of an action is worse
// than waiting for it.
const BusyTimeout = 30 * time.Second

// ErrNotFound says a run or action does not exist.
var ErrNotFound = errors.New("not found")

// DB is the state database of one repository.
type DB struct {
	sql       *sql.DB
	path      string
	hostname  string
	user      string
	recovered []Run
	// writeMu queues this process's writers in Go, fairly, instead of in
	// SQLite's busy handler, which polls with growing sleeps.
	writeMu sync.Mutex
}

// Open opens (creating it if needed) the state database in dir, the
// repository's .fundament directory, applies pending schema migrations and
// recovers interrupted runs (see Recovered).
func Open(dir string) (*DB, error) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state: creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	// Create the file ourselves so that it (and SQLite's -wal and -shm
	// files, which copy its permissions) is private from the start.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		_ = f.Chmod(0o600)
	}
	f.Close()

	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}).String()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	}
	db := &DB{sql: sqldb, path: path, hostname: hostname(), user: username()}
	if err := db.migrate(); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("state: %s: %w", path, err)
	}
	rec, err := db.RecoverInterrupted()
	if err != nil {
		sqldb.Close()
		return nil, err
	}
	db.recovered = rec
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Recovered lists the runs that Open found interrupted (and marked so).
func (db *DB) Recovered() []Run { return db.recovered }

// migrations build the schema; migration i (from 0) brings the schema to
// version i+1. Append only: never edit a released migration.
var migrations = []string{
	// v1: runs, actions, the lock, applied desired state, host keys.
	`
CREATE TABLE runs (
	id          TEXT PRIMARY KEY,
	kind        TEXT NOT NULL CHECK (kind IN ('plan', 'apply')),
	status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'cancelled')),
	started_at  TEXT NOT NULL,
	finished_at TEXT,
	pid         INTEGER NOT NULL,
	hostname    TEXT NOT NULL,
	user        TEXT NOT NULL,
	command     TEXT NOT NULL,
	plan_hash   TEXT NOT NULL DEFAULT '',
	summary     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_started ON runs (started_at, id);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE actions (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	host        TEXT NOT NULL,
	resource    TEXT NOT NULL,
	op          TEXT NOT NULL,
	attempt     INTEGER NOT NULL,
	status      TEXT NOT NULL CHECK (status IN ('started', 'succeeded', 'failed', 'skipped', 'interrupted')),
	started_at  TEXT NOT NULL,
	finished_at TEXT,
	output      TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX actions_run ON actions (run_id, host, started_at, id);
CREATE INDEX actions_status ON actions (status);

CREATE TABLE apply_lock (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	run_id   TEXT NOT NULL,
	pid      INTEGER NOT NULL,
	hostname TEXT NOT NULL,
	user     TEXT NOT NULL,
	since    TEXT NOT NULL,
	command  TEXT NOT NULL
);

CREATE TABLE applied (
	host         TEXT NOT NULL,
	resource     TEXT NOT NULL,
	desired_hash TEXT NOT NULL,
	run_id       TEXT REFERENCES runs (id) ON DELETE SET NULL,
	applied_at   TEXT NOT NULL,
	PRIMARY KEY (host, resource)
);

CREATE TABLE host_keys (
	host       TEXT PRIMARY KEY,
	key        TEXT NOT NULL,
	first_seen TEXT NOT NULL
);
`,
	// v2: the lock holder's process beyond its PID (machine id, boot id,
	// start time), so that a reboot or a reused PID makes the lock stale.
	`
ALTER TABLE apply_lock ADD COLUMN machine_id TEXT NOT NULL DEFAULT '';
ALTER TABLE apply_lock ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
ALTER TABLE apply_lock ADD COLUMN start_time INTEGER NOT NULL DEFAULT 0;
`,
}

// SchemaVersion is the schema version this package writes.
func SchemaVersion() int { return len(migrations) }

func (db *DB) migrate() error {
	ctx := context.Background()
	tx, err := db.sql.BeginTx(ctx, nil) // IMMEDIATE: concurrent Opens migrate one at a time
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER PRIMARY KEY,
	applied_at TEXT NOT NULL
)`); err != nil {
		return err
	}
	var cur int
	if err := tx.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return err
	}
	if cur > len(migrations) {
		return fmt.Errorf("the state database has schema version %d, newer than this fundament knows (%d): upgrade fundament", cur, len(migrations))
	}
	for v := cur + 1; v <= len(migrations); v++ {
		if _, err := tx.Exec(migrations[v-1]); err != nil {
			return fmt.Errorf("migrating the schema to version %d: %w", v, err)
		}
		if _, err := tx.Exec(`INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, v, fmtTime(time.Now())); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Version returns the schema version of the open database.
func (db *DB) Version() (int, error) {
	var v int
	err := db.sql.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

// write runs fn in an IMMEDIATE transaction and commits it.
func (db *DB) write(fn func(tx *sql.Tx) error) error {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	tx, err := db.sql.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// timeLayout is fixed-width so that stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return fmtTime(t)
}

func parseTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("state: bad stored time %q: %w", s.String, err)
	}
	return t.Local(), nil
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}

func username() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}
