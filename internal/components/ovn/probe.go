package ovn

import (
	"strings"
	"sync"
)

// joinedScript prints "joined" where one of the member's databases is a
// cluster member already (its file is clustered): the member serves.
// Without the packages nothing can tell, and nothing serves.
var joinedScript = func() string {
	s := "command -v ovsdb-tool >/dev/null 2>&1 || exit 0\n"
	for _, db := range databases {
		s += "if ovsdb-tool db-is-clustered " + db.File + " 2>/dev/null; then echo joined; exit 0; fi\n"
	}
	return s
}()

// joinedMembers says, per central host, whether its packages change in
// the rolling group: on a member that serves, an upgrade waits for the
// group's gates. A member being set up installs them outside the group:
// the group's first gate needs a majority of the members in the
// clusters, which is what their set-up (packages, bootstrap) makes, so
// gating it would wait for itself. A member that cannot be probed counts
// as joined (the safe side; its actions are skipped when it is down),
// and so does every member without probes (render, validate: a healthy
// cloud).
func joinedMembers(probe func(host, script string) (string, error), hosts []string) map[string]bool {
	out := make(map[string]bool, len(hosts))
	if probe == nil {
		for _, h := range hosts {
			out[h] = true
		}
		return out
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw, err := probe(h, joinedScript)
			mu.Lock()
			out[h] = err != nil || strings.TrimSpace(raw) == "joined"
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}
