package resource

// HostLockPath is the lock file that serialises Fundament's work on a
// host across processes.
const HostLockPath = "/run/lock/fundament.lock"

// WithHostLock wraps a script so that it runs only while it holds the
// host's Fundament lock: exclusive for actions, shared for observations.
//
// Why: when the manager dies (kill -9, lost connection), a script already
// running on the host goes on. The next apply must neither run the same
// step beside it nor observe a half-done step; with the lock it waits for
// the orphan to finish. The script runs in a subshell with the lock's file
// descriptor closed, so daemons it starts never keep the lock.
func WithHostLock(script string, shared bool) string {
	mode := "-x"
	if shared {
		mode = "-s"
	}
	return `if command -v flock >/dev/null 2>&1; then
  [ -d /run/lock ] || mkdir -p /run/lock 2>/dev/null
  if exec 9>>` + HostLockPath + `; then
    if ! flock ` + mode + ` -w 3600 9; then
      echo "fundament: the host lock ` + HostLockPath + ` is still held after an hour" >&2
      exit 75
    fi
  fi
fi
(
` + script + `
) 9>&-
`
}
