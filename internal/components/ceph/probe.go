package ceph

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/fundament-cloud/fundament/internal/resource"
)

// probeScript asks a monitor host, read-only, for the quorum, where its
// monitor store exists (elsewhere the cluster is new on this host, and
// the ceph tool may not even be installed).
func probeScript(host string) string {
	return "if [ -e " + resource.Quote(monDir(host)+"/done") + " ] && command -v ceph >/dev/null 2>&1; then\n" +
		"\ttimeout 25 ceph --connect-timeout 15 quorum_status -f json 2>/dev/null || true\n" +
		"fi\n"
}

// quorumStatus is the part of `ceph quorum_status -f json` the probe reads.
type quorumStatus struct {
	QuorumNames []string `json:"quorum_names"`
	Leader      string   `json:"quorum_leader_name"`
}

// parseQuorum reads quorum_status's JSON; empty output is no quorum (no
// monitor store on the host, or no answer).
func parseQuorum(out string) (quorumStatus, error) {
	var q quorumStatus
	if strings.TrimSpace(out) == "" {
		return q, nil
	}
	err := json.Unmarshal([]byte(out), &q)
	return q, err
}

// serving says whether the cluster has a quorum: then its daemons restart
// one host at a time behind the health gates. A cluster that is new (or
// down everywhere) has nothing to protect, and its monitors must start on
// every host at once to form a quorum. Without probes (render, tests)
// the component compiles for a healthy cluster.
func serving(probe func(host, script string) (string, error), t *topology) bool {
	if probe == nil {
		return true
	}
	found := make([]bool, len(t.Mons))
	var wg sync.WaitGroup
	for i, m := range t.Mons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := probe(m.Host, probeScript(m.Host))
			if err != nil {
				return
			}
			q, err := parseQuorum(out)
			found[i] = err == nil && len(q.QuorumNames) > 0
		}()
	}
	wg.Wait()
	for _, f := range found {
		if f {
			return true
		}
	}
	return false
}
