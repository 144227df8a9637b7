// Package lease fences an apply at the hosts: each host of an apply holds
// a small lease record naming the run that works on it (its id, the
// manager host and process, the user, the checkout) with an expiry that
// the run renews while it lives. A second manager or checkout finds the
// lease and is refused, told who holds it and since when; a lease whose
// run died expires (or, when the run was on this same machine and its
// process is gone, is taken over at once).
//
// The record is DefaultDir/apply.lease (root only, in /run: a reboot
// clears it, and ends every step an orphan was running), written
// atomically (a new file renamed over it) under a flock of
// apply.lease.lock beside it. That lock is not the host lock of
// resource.WithHostLock: an action holds that one for as long as it runs,
// and renewing the lease must not wait for the run's own long step.
//
// Times in the record are the host's (date +%s): expiry is judged by the
// host's clock alone, so a manager with a skewed clock neither expires a
// live lease nor keeps a dead one.
package lease

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fundament-cloud/fundament/internal/proc"
)

// DefaultDir is where a host keeps its lease.
const DefaultDir = "/run/fundament"

// File is the lease record's name in its directory.
const File = "apply.lease"

// DefaultTTL is how long a lease lives without renewal; a run renews it
// every TTL/3. A manager that dies on another machine blocks the hosts
// this long at most.
const DefaultTTL = 3 * time.Minute

// Holder is the run a lease belongs to.
type Holder struct {
	// Run is the run's id.
	Run string `json:"run"`
	// Process is the manager's process (host name, machine and boot id,
	// PID, start time).
	Process proc.ID `json:"process"`
	User    string  `json:"user"`
	// Checkout is the configuration repository's path on the manager.
	Checkout string `json:"checkout"`
	// Since is when the run took the lease, Expires when it ends unless
	// renewed (the host's clock); zero in what a run is about to write.
	Since   time.Time `json:"since"`
	Expires time.Time `json:"expires"`
}

// String names the holder for messages.
func (h Holder) String() string {
	s := fmt.Sprintf("run %s by %s on %s (checkout %s, pid %d)", h.Run, h.User, h.Process.Host, h.Checkout, h.Process.PID)
	if !h.Since.IsZero() {
		s += " since " + h.Since.Local().Format(time.RFC3339)
	}
	return s
}

// HeldError says a host's lease belongs to another run that still lives.
type HeldError struct {
	Host   string
	Holder Holder
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("host %s is leased to another apply: %s, renewed until %s; wait for it to finish",
		e.Host, e.Holder, e.Holder.Expires.Local().Format(time.RFC3339))
}

// LostError says a run's lease on a host was taken over by another run
// (it had expired: renewals did not reach the host in time).
type LostError struct {
	Host string
	By   Holder
}

func (e *LostError) Error() string {
	return fmt.Sprintf("the lease on %s was lost to %s: this run does nothing more there", e.Host, e.By)
}

// encode is the record of h without its times (the host adds them).
func (h Holder) encode() string {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"run", h.Run}, {"manager", h.Process.Host}, {"machine_id", h.Process.Machine}, {"boot_id", h.Process.Boot},
		{"pid", strconv.Itoa(h.Process.PID)}, {"start_time", strconv.FormatUint(h.Process.Start, 10)},
		{"user", h.User}, {"checkout", h.Checkout},
	} {
		b.WriteString(kv[0] + "=" + clean(kv[1]) + "\n")
	}
	return b.String()
}

// clean keeps a value on its line: control characters become '?'.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// decode reads a lease record; ok is false when it names no run.
func decode(text string) (h Holder, ok bool) {
	unix := func(v string) time.Time {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return time.Time{}
		}
		return time.Unix(n, 0)
	}
	for _, line := range strings.Split(text, "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "run":
			h.Run = v
		case "manager":
			h.Process.Host = v
		case "machine_id":
			h.Process.Machine = v
		case "boot_id":
			h.Process.Boot = v
		case "pid":
			h.Process.PID, _ = strconv.Atoi(v)
		case "start_time":
			h.Process.Start, _ = strconv.ParseUint(v, 10, 64)
		case "user":
			h.User = v
		case "checkout":
			h.Checkout = v
		case "since":
			h.Since = unix(v)
		case "expires":
			h.Expires = unix(v)
		}
	}
	return h, h.Run != ""
}
