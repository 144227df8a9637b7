package state

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/fundament-cloud/fundament/internal/proc"
)

// LockInfo describes the holder of the apply lock.
type LockInfo struct {
	// RunID is the lock's id: the run of the apply that holds it (`lock
	// break --force` wants it).
	RunID    string `json:"run_id"`
	PID      int    `json:"pid"`
	Hostname string `json:"hostname"`
	// MachineID, BootID and StartTime identify the holder's process
	// beyond its PID (see proc.ID); empty in locks of older versions.
	MachineID string    `json:"machine_id,omitempty"`
	BootID    string    `json:"boot_id,omitempty"`
	StartTime uint64    `json:"start_time,omitempty"`
	User      string    `json:"user"`
	Since     time.Time `json:"since"`
	Command   string    `json:"command"`
}

// Process identifies the holder's process.
func (i LockInfo) Process() proc.ID {
	return proc.ID{Host: i.Hostname, Machine: i.MachineID, Boot: i.BootID, PID: i.PID, Start: i.StartTime}
}

// Stale reports whether the holder's process is known to have ended: it
// ran on this machine, and the machine booted since, or its PID is free,
// or reused by a process that started at another time. A holder on
// another machine is never stale: its process cannot be checked from here.
func (i LockInfo) Stale() bool { return i.Process().Gone() }

// Checkable reports whether the holder's process can be checked from here
// (it ran on this machine).
func (i LockInfo) Checkable() bool { return i.Process().Local() }

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
		// A process of this machine: identified beyond its PID, so that a
		// reboot or a reused PID makes the lock stale.
		me := proc.Self()
		info.Hostname, info.MachineID, info.BootID = db.hostname, me.Machine, me.Boot
		if info.PID == me.PID {
			info.StartTime = me.Start
		} else if st, ok := proc.StartTime(info.PID); ok {
			info.StartTime = st
		}
	}
	if info.User == "" {
		info.User = db.user
	}
	if info.Since.IsZero() {
		info.Since = time.Now()
	}
	if info.RunID == "" {
		info.RunID = newRunID(info.Since)
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
		_, err = tx.Exec(`INSERT INTO apply_lock (id, run_id, pid, hostname, machine_id, boot_id, start_time, user, since, command)
			VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			info.RunID, info.PID, info.Hostname, info.MachineID, info.BootID, int64(info.StartTime), info.User, since, info.Command)
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

// BreakRefusedError says why BreakLock left the lock alone.
type BreakRefusedError struct {
	Info   LockInfo
	Reason string
}

func (e *BreakRefusedError) Error() string { return e.Reason }

// BreakLock removes the apply lock, returning the former holder (ok is
// false when the lock was free). Without force it removes a stale lock
// only (LockInfo.Stale: the holder's process is known to be gone); with
// force it removes a live one too, or one whose process cannot be checked
// from here, but only when id is the lock's id, so that an operator
// breaks exactly the lock they looked at and not one taken since. An id
// given without force must match as well. Refusals are a
// *BreakRefusedError. Interrupted runs of the former holder are then
// marked by RecoverInterrupted.
func (db *DB) BreakLock(id string, force bool) (info LockInfo, ok bool, err error) {
	err = db.write(func(tx *sql.Tx) error {
		info, ok, err = lockHolder(tx)
		if err != nil || !ok {
			return err
		}
		if reason := breakRefusal(info, id, force); reason != "" {
			return &BreakRefusedError{Info: info, Reason: reason}
		}
		_, err = tx.Exec(`DELETE FROM apply_lock WHERE id = 1`)
		return err
	})
	var refused *BreakRefusedError
	if errors.As(err, &refused) {
		return info, true, err
	}
	if err != nil {
		return LockInfo{}, false, fmt.Errorf("state: breaking the apply lock: %w", err)
	}
	return info, ok, nil
}

// breakRefusal says why the lock held by info must not be broken ("": it
// may).
func breakRefusal(info LockInfo, id string, force bool) string {
	holder := fmt.Sprintf("pid %d on %s, user %s, since %s", info.PID, info.Hostname, info.User, info.Since.Local().Format(time.RFC3339))
	switch {
	case id != "" && id != info.RunID:
		return fmt.Sprintf("the lock's id is %s, not %s (%s): nothing broken", info.RunID, id, holder)
	case info.Stale():
		return ""
	case !force && info.Checkable():
		return fmt.Sprintf("the lock of run %s is held by a live process (%s): breaking it would let two applies run at once; stop that apply, or if you must, break it with `fundament lock break --force %s`", info.RunID, holder, info.RunID)
	case !force:
		return fmt.Sprintf("the lock of run %s is held by a process on %s (%s), which cannot be checked from here; if that process is gone, break the lock with `fundament lock break --force %s`", info.RunID, info.Hostname, holder, info.RunID)
	case id == "":
		return fmt.Sprintf("--force breaks a live lock only with its id: `fundament lock break --force %s` (%s)", info.RunID, holder)
	}
	return ""
}

type queryer interface {
	QueryRow(query string, args ...any) *sql.Row
}

func lockHolder(q queryer) (LockInfo, bool, error) {
	var (
		info  LockInfo
		since sql.NullString
	)
	var start int64
	err := q.QueryRow(`SELECT run_id, pid, hostname, machine_id, boot_id, start_time, user, since, command FROM apply_lock WHERE id = 1`).
		Scan(&info.RunID, &info.PID, &info.Hostname, &info.MachineID, &info.BootID, &start, &info.User, &since, &info.Command)
	if errors.Is(err, sql.ErrNoRows) {
		return LockInfo{}, false, nil
	}
	if err != nil {
		return LockInfo{}, false, err
	}
	if info.Since, err = parseTime(since); err != nil {
		return LockInfo{}, false, err
	}
	info.StartTime = uint64(start)
	return info, true, nil
}
