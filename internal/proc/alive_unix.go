//go:build unix

package proc

import (
	"errors"
	"syscall"
)

// Alive reports whether a process with this PID exists on this machine. A
// process owned by another user (EPERM) exists; a zombie does not.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// A killed process that nobody has reaped yet still answers signal 0;
	// it is dead all the same (state Z or X in /proc/PID/stat).
	if f := statFields(pid); len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
		return false
	}
	return true
}
