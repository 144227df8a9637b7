package lab

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// machineLimits are kernel limits that every lab node shares with the
// machine, because the nodes run as the machine's root (no user
// namespace): each node's systemd, journald, logind and dbus hold inotify
// instances, and every SSH login makes a session keyring. Debian's
// defaults (128 inotify instances, 200 keys) stop the 25th or so node's
// systemd at start (it exits 255 without a word). The values are those
// LXD documents for running many system containers.
var machineLimits = []struct {
	path string
	min  int64
}{
	{"/proc/sys/fs/inotify/max_user_instances", 8192},
	{"/proc/sys/fs/inotify/max_user_watches", 1048576},
	{"/proc/sys/kernel/keys/maxkeys", 2000},
	{"/proc/sys/kernel/keys/maxbytes", 2000000},
}

// raiseMachineLimits raises each limit to its minimum; it never lowers one.
func (l *Lab) raiseMachineLimits() error {
	for _, m := range machineLimits {
		b, err := os.ReadFile(m.path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", m.path, err)
		}
		cur, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || cur >= m.min {
			continue
		}
		fmt.Fprintf(l.Log, "raising %s from %d to %d\n", m.path, cur, m.min)
		if err := os.WriteFile(m.path, []byte(strconv.FormatInt(m.min, 10)), 0o644); err != nil {
			return fmt.Errorf("raising %s to %d (lab nodes share it with the machine): %w", m.path, m.min, err)
		}
	}
	return nil
}
