package state

import "github.com/fundament-cloud/fundament/internal/proc"

// processAlive reports whether a process with this PID exists on this
// host (runs record no start time: see LockInfo for the lock's stricter
// test).
func processAlive(pid int) bool { return proc.Alive(pid) }
