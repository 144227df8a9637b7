package state

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// LockInfo describes the holder of the apply lock.
type LockInfo struct {
	RunID    string    `json:"run_id"`
	PID      int       `json:"pid"`
	Hostname string    `json:"hostname"`
	User     string    `json:"user"`
	Since    time.Time `json:"since"`
	Command  string    `json:"command"`
}

// Stale reports whether the holder ran on this host and its process no
// longer exists. A holder on another host is never considered stale: its
// process cannot be checked from here. (A recycled PID makes a stale lock
// look held; breaking it is then up to the operator.)
func (i LockInfo) Stale() bool {
	return i.Hostname == hostname() && !processAlive(i.PID)
}

// LockedError says the apply lock is held by someone else.
type LockedError struct {
	Info LockInfo
	// Stale: the holder's process is gone (see LockInfo.Stale); Lock still
	// refuses, breaking the lock is an explicit operator decision.
	Stale bool
}

func (e *LockedError) Error() string {
	run := ""
	if e.Info.RunID != "" {
		run = "run " + e.Info.RunID + ", "
	}
	msg := fmt.Sprintf("another apply (%spid %d on %s since %s) holds the lock",
		run, e.Info.PID, e.Info.Hostname, e.Info.Since.Local().Format(time.RFC3339))
	if e.Stale {
		msg += "; the process is gone: break the lock with `fundament lock break`"
	}
	return msg
}

// ErrLockLost says that unlock found the lock no longer held by its caller
// (it was broken, and perhaps taken by another apply, meanwhile).
var ErrLockLost = errors.New("the apply lock was broken while this process held it")

// Lock takes the repository's apply lock, atomically (one row in a
// single-row table, inserted in an IMMEDIATE transaction): only one apply
// runs at a time per repository, across processes. Empty fields of info
// are filled in: PID, Hostname and User from this process, Since with the
// current time. When the lock is held, Lock returns a *LockedError, with
// Stale set when the holder is gone; it never breaks a lock by itself.
//
// unlock releases the lock if it is still the one taken here (else it
// returns ErrLockLost and leaves the lock alone); calling it again is a
// no-op.
func (db *DB) Lock(info LockInfo) (unlock func() error, err error) {
	if info.PID == 0 {
		info.PID = os.Getpid()
	}
	if info.Hostname == "" {
		info.Hostname = db.hostname
	}
	if info.User == "" {
		info.User = db.user
	}
	if info.Since.IsZero() {
		info.Since = time.Now()
	}
	since := fmtTime(info.Since)
	// Round-trip Since through its stored form so that unlock matches it.
	info.Since, _ = parseTime(sql.NullString{String: since, Valid: true})

	err = db.write(func(tx *sql.Tx) error {
		held, ok, err := lockHolder(tx)
		if err != nil {
			return err
		}
		if ok {
			return &LockedError{Info: held, Stale: held.Stale()}
		}
		_, err = tx.Exec(`INSERT INTO apply_lock (id, run_id, pid, hostname, user, since, command) VALUES (1, ?, ?, ?, ?, ?, ?)`,
			info.RunID, info.PID, info.Hostname, info.User, since, info.Command)
		return err
	})
	if err != nil {
		var le *LockedError
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, fmt.Errorf("state: taking the apply lock: %w", err)
	}

	var (
		mu   sync.Mutex
		done bool
	)
	unlock = func() error {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return nil
		}
		res, err := db.sql.Exec(`DELETE FROM apply_lock WHERE id = 1 AND run_id = ? AND pid = ? AND hostname = ? AND since = ?`,
			info.RunID, info.PID, info.Hostname, since)
		if err != nil {
			return fmt.Errorf("state: releasing the apply lock: %w", err)
		}
		done = true
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrLockLost
		}
		return nil
	}
	return unlock, nil
}

// LockHolder returns the holder of the apply lock, if it is held.
func (db *DB) LockHolder() (LockInfo, bool, error) {
	info, ok, err := lockHolder(db.sql)
	if err != nil {
		return LockInfo{}, false, fmt.Errorf("state: reading the apply lock: %w", err)
	}
	return info, ok, nil
}

// BreakLock removes the apply lock whoever holds it, returning the former
// holder (ok is false when the lock was free). Callers decide whether
// breaking is safe (LockInfo.Stale); interrupted runs of the former holder
// are then marked by RecoverInterrupted.
func (db *DB) BreakLock() (info LockInfo, ok bool, err error) {
	err = db.write(func(tx *sql.Tx) error {
		info, ok, err = lockHolder(tx)
		if err != nil || !ok {
			return err
		}
		_, err = tx.Exec(`DELETE FROM apply_lock WHERE id = 1`)
		return err
	})
	if err != nil {
		return LockInfo{}, false, fmt.Errorf("state: breaking the apply lock: %w", err)
	}
	return info, ok, nil
}

type queryer interface {
	QueryRow(query string, args ...any) *sql.Row
}

func lockHolder(q queryer) (LockInfo, bool, error) {
	var (
		info  LockInfo
		since sql.NullString
	)
	err := q.QueryRow(`SELECT run_id, pid, hostname, user, since, command FROM apply_lock WHERE id = 1`).
		Scan(&info.RunID, &info.PID, &info.Hostname, &info.User, &since, &info.Command)
	if errors.Is(err, sql.ErrNoRows) {
		return LockInfo{}, false, nil
	}
	if err != nil {
		return LockInfo{}, false, err
	}
	if info.Since, err = parseTime(since); err != nil {
		return LockInfo{}, false, err
	}
	return info, true, nil
}
