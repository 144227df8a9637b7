// Package proc identifies a process so that another process can tell,
// later, whether it still runs: by host name, machine id, boot id, PID
// and start time. A PID alone is not enough: PIDs are reused, and after a
// reboot a new process may have the old one's PID.
package proc

import (
	"os"
	"strings"
	"sync"
)

// ID names one process of one boot of one machine.
type ID struct {
	// Host is the machine's host name.
	Host string `json:"host"`
	// Machine is /etc/machine-id ("" when unknown): two machines may
	// share a host name, never a machine id.
	Machine string `json:"machine_id,omitempty"`
	// Boot is the kernel's boot id ("" when unknown): it changes with
	// every boot.
	Boot string `json:"boot_id,omitempty"`
	PID  int    `json:"pid"`
	// Start is the process's start time in clock ticks after boot (field
	// 22 of /proc/PID/stat; 0 when unknown): a reused PID has another.
	Start uint64 `json:"start_time,omitempty"`
}

var (
	selfOnce sync.Once
	self     ID
)

// Self identifies this process.
func Self() ID {
	selfOnce.Do(func() {
		self = ID{Host: hostname(), Machine: machineID(), Boot: bootID(), PID: os.Getpid()}
		self.Start, _ = StartTime(self.PID)
	})
	return self
}

// Local reports whether id is a process of this machine: same host name
// and, where both are known, same machine id.
func (id ID) Local() bool {
	me := Self()
	if id.Host != me.Host {
		return false
	}
	return id.Machine == "" || me.Machine == "" || id.Machine == me.Machine
}

// Gone reports whether the process is known to have ended: it ran on this
// machine, and the machine booted since, or no process has its PID, or
// the one that has it started at another time (the PID was reused). A
// process of another machine is never known gone: it cannot be checked
// from here.
func (id ID) Gone() bool {
	if !id.Local() {
		return false
	}
	me := Self()
	if id.Boot != "" && me.Boot != "" && id.Boot != me.Boot {
		return true
	}
	if !Alive(id.PID) {
		return true
	}
	if id.Start != 0 {
		if st, ok := StartTime(id.PID); ok && st != id.Start {
			return true
		}
	}
	return false
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}

// firstLine is a small file's first line, trimmed ("" when unreadable).
func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

func machineID() string {
	if id := firstLine("/etc/machine-id"); id != "" {
		return id
	}
	return firstLine("/var/lib/dbus/machine-id")
}
