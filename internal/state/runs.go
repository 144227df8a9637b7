package state

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Run kinds.
const (
	KindPlan  = "plan"
	KindApply = "apply"
)

// Run statuses. A run is "running" until FinishRun, or until
// RecoverInterrupted finds its process gone ("interrupted").
const (
	RunRunning     = "running"
	RunSucceeded   = "succeeded"
	RunFailed      = "failed"
	RunInterrupted = "interrupted"
	RunCancelled   = "cancelled"
)

// Action statuses. An action is "started" (durably) before it runs.
const (
	ActionStarted     = "started"
	ActionSucceeded   = "succeeded"
	ActionFailed      = "failed"
	ActionSkipped     = "skipped"
	ActionInterrupted = "interrupted"
)

// Bounds of the texts stored per action: longer ones keep their head and
// tail around a marker (see Truncate).
const (
	MaxOutput = 64 << 10
	MaxError  = 8 << 10
)

// Run is one plan or apply.
type Run struct {
	// ID is time based (UTC) and sorts by start: "20261126-173012-4f2a".
	ID     string `json:"id"`
	Kind   string `json:"kind"`   // plan | apply
	Status string `json:"status"` // running | succeeded | failed | interrupted | cancelled
	// FinishedAt is zero while running; for an interrupted run it is when
	// the interruption was detected.
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	PID        int       `json:"pid"`
	Hostname   string    `json:"hostname"`
	User       string    `json:"user"`
	Command    string    `json:"command"`
	PlanHash   string    `json:"plan_hash,omitempty"`
	Summary    string    `json:"summary,omitempty"`
}

// Action is one attempt at acting on one resource of one host.
type Action struct {
	ID       int64  `json:"id"`
	RunID    string `json:"run_id"`
	Host     string `json:"host"`
	Resource string `json:"resource"` // resource.ID.String(), e.g. file:/etc/hosts
	Op       string `json:"op"`       // a resource.Op
	Attempt  int    `json:"attempt"`  // from 1
	// Status: started | succeeded | failed | skipped | interrupted.
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Output     string    `json:"output,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// AmbiguousRunError says a run ID prefix matches several runs.
type AmbiguousRunError struct {
	Prefix  string
	Matches []string // some of the matching IDs
}

func (e *AmbiguousRunError) Error() string {
	return fmt.Sprintf("run id %q is ambiguous: it matches %s", e.Prefix, strings.Join(e.Matches, ", "))
}

// StartRun records a new run, "running", of this process (PID, host name
// and user are this process's).
func (db *DB) StartRun(kind, command, planHash string) (Run, error) {
	return db.StartRunID("", kind, command, planHash)
}

// NewRunID returns a new run id, for StartRunID: apply takes its locks
// under the id of the run it records later.
func NewRunID() string { return newRunID(time.Now()) }

// StartRunID is StartRun with the run's id chosen beforehand ("" picks a
// new one); an id already recorded is an error.
func (db *DB) StartRunID(id, kind, command, planHash string) (Run, error) {
	if kind != KindPlan && kind != KindApply {
		return Run{}, fmt.Errorf("state: unknown run kind %q (want plan or apply)", kind)
	}
	now := time.Now()
	r := Run{
		Kind: kind, Status: RunRunning, PID: os.Getpid(),
		Hostname: db.hostname, User: db.user, Command: command, PlanHash: planHash,
	}
	started := fmtTime(now)
	r.StartedAt, _ = parseTime(sql.NullString{String: started, Valid: true})
	err := db.write(func(tx *sql.Tx) error {
		for range 20 {
			r.ID = id
			if id == "" {
				r.ID = newRunID(now)
			}
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM runs WHERE id = ?`, r.ID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				_, err := tx.Exec(`INSERT INTO runs (id, kind, status, started_at, pid, hostname, user, command, plan_hash)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					r.ID, r.Kind, r.Status, started, r.PID, r.Hostname, r.User, r.Command, r.PlanHash)
				return err
			}
			if id != "" {
				return fmt.Errorf("run %s exists already", id)
			}
		}
		return errors.New("no free run id")
	})
	if err != nil {
		return Run{}, fmt.Errorf("state: starting a run: %w", err)
	}
	return r, nil
}

func newRunID(t time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// FinishRun ends a running run with status (succeeded, failed, cancelled
// or interrupted) and a summary. Actions of the run still "started" become
// "interrupted": a finished run has nothing running. Finishing a run that
// is not running is an error.
func (db *DB) FinishRun(id, status, summary string) error {
	switch status {
	case RunSucceeded, RunFailed, RunCancelled, RunInterrupted:
	default:
		return fmt.Errorf("state: run %s: %q is not a final run status", id, status)
	}
	now := fmtTime(time.Now())
	err := db.write(func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE runs SET status = ?, finished_at = ?, summary = ? WHERE id = ? AND status = 'running'`,
			status, now, summary, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var cur string
			err := tx.QueryRow(`SELECT status FROM runs WHERE id = ?`, id).Scan(&cur)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("run %s: %w", id, ErrNotFound)
			}
			if err != nil {
				return err
			}
			return fmt.Errorf("run %s is already %s", id, cur)
		}
		_, err = tx.Exec(`UPDATE actions SET status = 'interrupted', finished_at = ?,
			error = CASE WHEN error = '' THEN 'the run ended before the action did' ELSE error END
			WHERE run_id = ? AND status = 'started'`, now, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("state: finishing run %s: %w", id, err)
	}
	return nil
}

const runColumns = `id, kind, status, started_at, finished_at, pid, hostname, user, command, plan_hash, summary`

func scanRuns(rows *sql.Rows) ([]Run, error) {
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var (
			r                 Run
			started, finished sql.NullString
		)
		if err := rows.Scan(&r.ID, &r.Kind, &r.Status, &started, &finished, &r.PID,
			&r.Hostname, &r.User, &r.Command, &r.PlanHash, &r.Summary); err != nil {
			return nil, err
		}
		var err error
		if r.StartedAt, err = parseTime(started); err != nil {
			return nil, err
		}
		if r.FinishedAt, err = parseTime(finished); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Runs lists the latest runs, newest first; limit <= 0 lists them all.
func (db *DB) Runs(limit int) ([]Run, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.sql.Query(`SELECT `+runColumns+` FROM runs ORDER BY started_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("state: listing runs: %w", err)
	}
	runs, err := scanRuns(rows)
	if err != nil {
		return nil, fmt.Errorf("state: listing runs: %w", err)
	}
	return runs, nil
}

// GetRun returns the run with this ID, or the only run whose ID starts
// with it. No match is ErrNotFound (wrapped); several, *AmbiguousRunError.
func (db *DB) GetRun(id string) (Run, error) {
	if id == "" {
		return Run{}, errors.New("state: empty run id")
	}
	rows, err := db.sql.Query(`SELECT `+runColumns+` FROM runs WHERE id = ?`, id)
	if err != nil {
		return Run{}, fmt.Errorf("state: reading run %s: %w", id, err)
	}
	runs, err := scanRuns(rows)
	if err == nil && len(runs) == 0 {
		rows, err = db.sql.Query(`SELECT `+runColumns+` FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 10`,
			utf8.RuneCountInString(id), id)
		if err != nil {
			return Run{}, fmt.Errorf("state: reading run %s: %w", id, err)
		}
		runs, err = scanRuns(rows)
	}
	if err != nil {
		return Run{}, fmt.Errorf("state: reading run %s: %w", id, err)
	}
	switch len(runs) {
	case 0:
		return Run{}, fmt.Errorf("state: run %s: %w", id, ErrNotFound)
	case 1:
		return runs[0], nil
	}
	e := &AmbiguousRunError{Prefix: id}
	for _, r := range runs {
		e.Matches = append(e.Matches, r.ID)
	}
	return Run{}, e
}

// RecoverInterrupted marks as "interrupted" the runs still "running" whose
// process is gone: recorded on this host with a PID that no longer exists,
// or recorded on another host while nobody holds the apply lock. Their
// actions still "started" become "interrupted" too. It returns the runs it
// marked. Open calls it; call it again before a new apply if the database
// stays open for long.
func (db *DB) RecoverInterrupted() ([]Run, error) {
	var ids []string
	err := db.write(func(tx *sql.Tx) error {
		ids = ids[:0]
		_, locked, err := lockHolder(tx)
		if err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT ` + runColumns + ` FROM runs WHERE status = 'running'`)
		if err != nil {
			return err
		}
		running, err := scanRuns(rows)
		if err != nil {
			return err
		}
		now := fmtTime(time.Now())
		for _, r := range running {
			var why string
			switch {
			case r.Hostname == db.hostname:
				if processAlive(r.PID) {
					continue
				}
				why = fmt.Sprintf("interrupted: its process (pid %d on %s) ended without finishing the run", r.PID, r.Hostname)
			case !locked:
				why = fmt.Sprintf("interrupted: its process (pid %d on %s) left no apply lock behind", r.PID, r.Hostname)
			default:
				continue
			}
			if _, err := tx.Exec(`UPDATE runs SET status = 'interrupted', finished_at = ?,
				summary = CASE WHEN summary = '' THEN ? ELSE summary || '; ' || ? END
				WHERE id = ? AND status = 'running'`, now, why, why, r.ID); err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE actions SET status = 'interrupted', finished_at = ?,
				error = CASE WHEN error = '' THEN 'interrupted: the process running it ended' ELSE error END
				WHERE run_id = ? AND status = 'started'`, now, r.ID); err != nil {
				return err
			}
			ids = append(ids, r.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state: recovering interrupted runs: %w", err)
	}
	var out []Run
	for _, id := range ids {
		r, err := db.GetRun(id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// StartAction records that an action is about to run, as "started", and
// returns its ID; the record is durable (committed, synced) when it
// returns, so call it BEFORE acting. RunID, Host, Resource and Op are
// required, the run must be running; Attempt defaults to 1 and StartedAt
// to now. Status, FinishedAt, Output and Error are ignored.
func (db *DB) StartAction(a Action) (int64, error) {
	if a.RunID == "" || a.Host == "" || a.Resource == "" || a.Op == "" {
		return 0, fmt.Errorf("state: an action needs a run, a host, a resource and an op (got %q %q %q %q)",
			a.RunID, a.Host, a.Resource, a.Op)
	}
	if a.Attempt < 1 {
		a.Attempt = 1
	}
	if a.StartedAt.IsZero() {
		a.StartedAt = time.Now()
	}
	var id int64
	err := db.write(func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRow(`SELECT status FROM runs WHERE id = ?`, a.RunID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("run %s: %w", a.RunID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if status != RunRunning {
			return fmt.Errorf("run %s is %s, not running", a.RunID, status)
		}
		res, err := tx.Exec(`INSERT INTO actions (run_id, host, resource, op, attempt, status, started_at)
			VALUES (?, ?, ?, ?, ?, 'started', ?)`,
			a.RunID, a.Host, a.Resource, a.Op, a.Attempt, fmtTime(a.StartedAt))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("state: starting action %s on %s: %w", a.Resource, a.Host, err)
	}
	return id, nil
}

// FinishAction records the end of a started action: status (succeeded,
// failed, skipped or interrupted), its output and error text, bounded by
// MaxOutput and MaxError. The texts are stored as given: redact secrets
// first. Finishing an action that is not "started" is an error.
func (db *DB) FinishAction(id int64, status, output, errText string) error {
	switch status {
	case ActionSucceeded, ActionFailed, ActionSkipped, ActionInterrupted:
	default:
		return fmt.Errorf("state: action %d: %q is not a final action status", id, status)
	}
	if err := db.write(func(tx *sql.Tx) error { return finishAction(tx, id, status, output, errText) }); err != nil {
		return fmt.Errorf("state: finishing action %d: %w", id, err)
	}
	return nil
}

// FinishApplied records a started action succeeded (with its output, as
// FinishAction) and, in the same transaction, the desired state it
// applied (as SetApplied, for the action's host, resource and run): a
// crash or a failing disk leaves both recorded or neither, never a step
// marked done that the record says did not finish, or the reverse.
func (db *DB) FinishApplied(id int64, output, desiredHash string) error {
	err := db.write(func(tx *sql.Tx) error {
		if err := finishAction(tx, id, ActionSucceeded, output, ""); err != nil {
			return err
		}
		var host, res, run string
		if err := tx.QueryRow(`SELECT host, resource, run_id FROM actions WHERE id = ?`, id).Scan(&host, &res, &run); err != nil {
			return err
		}
		return setApplied(tx, host, res, desiredHash, run)
	})
	if err != nil {
		return fmt.Errorf("state: finishing action %d as applied: %w", id, err)
	}
	return nil
}

func finishAction(tx *sql.Tx, id int64, status, output, errText string) error {
	output = Truncate(output, MaxOutput)
	errText = Truncate(errText, MaxError)
	res, err := tx.Exec(`UPDATE actions SET status = ?, finished_at = ?, output = ?, error = ? WHERE id = ? AND status = 'started'`,
		status, fmtTime(time.Now()), output, errText, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var cur string
		err := tx.QueryRow(`SELECT status FROM actions WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("it is already %s", cur)
	}
	return nil
}

// Actions lists the actions of a run (its full ID), of one host or of all
// hosts (host ""), in the order they started.
func (db *DB) Actions(runID, host string) ([]Action, error) {
	rows, err := db.sql.Query(`SELECT id, run_id, host, resource, op, attempt, status, started_at, finished_at, output, error
		FROM actions WHERE run_id = ?1 AND (?2 = '' OR host = ?2) ORDER BY started_at, id`, runID, host)
	if err != nil {
		return nil, fmt.Errorf("state: listing actions of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var (
			a                 Action
			started, finished sql.NullString
		)
		if err := rows.Scan(&a.ID, &a.RunID, &a.Host, &a.Resource, &a.Op, &a.Attempt, &a.Status,
			&started, &finished, &a.Output, &a.Error); err != nil {
			return nil, fmt.Errorf("state: listing actions of run %s: %w", runID, err)
		}
		if a.StartedAt, err = parseTime(started); err != nil {
			return nil, err
		}
		if a.FinishedAt, err = parseTime(finished); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: listing actions of run %s: %w", runID, err)
	}
	return out, nil
}

// Truncate bounds s to max bytes: a longer s keeps its head and its tail
// (where errors usually are) around a marker saying how much was left
// out, cut at UTF-8 character boundaries.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	// The marker for len(s) omitted bytes is at least as long as the real one.
	room := max - len(marker(len(s)))
	if room < 2 {
		return s[:max]
	}
	head := room / 2
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	tail := len(s) - (room - room/2)
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return s[:head] + marker(tail-head) + s[tail:]
}

func marker(omitted int) string {
	return fmt.Sprintf("\n[... %d bytes omitted ...]\n", omitted)
}
