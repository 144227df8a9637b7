package proc

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// statFields are the fields of /proc/PID/stat after the command name
// (state, ppid, ...: field 3 onwards), nil without /proc. The name is in
// parentheses and may hold spaces and parentheses itself: the fields
// start after the last ')'.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// StartTime is the process's start time in clock ticks after boot (field
// 22 of /proc/PID/stat); ok is false without /proc or such a process.
func StartTime(pid int) (ticks uint64, ok bool) {
	f := statFields(pid)
	if len(f) < 20 {
		return 0, false
	}
	t, err := strconv.ParseUint(f[19], 10, 64)
	return t, err == nil
}

// bootID is the kernel's boot id, "" without /proc.
func bootID() string { return firstLine("/proc/sys/kernel/random/boot_id") }
