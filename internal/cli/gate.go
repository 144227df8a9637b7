package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fundament-cloud/fundament/internal/engine"
	"github.com/fundament-cloud/fundament/internal/health"
)

// gateTimeout is how long a health gate waits for its component to become
// healthy after a batch (a Galera member resyncing, a RAFT member catching
// up).
const gateTimeout = 5 * time.Minute

// healthGate is apply's gate between the batches of a rolling group: it
// runs the checks of the component that owns the group until every result
// about the batch's hosts is OK (a cluster check names all its members
// when the cluster is down, the faulty ones when it is degraded), so that
// the next host is touched only once this one serves again.
func (s *session) healthGate(f *engineFlags) engine.Gate {
	return func(ctx context.Context, group string, hosts []string) error {
		component := ""
		for _, it := range s.cat.Items {
			if it.Group == group {
				component = it.Component
				break
			}
		}
		var checks []health.Check
		for _, c := range healthChecks(s.cloud) {
			if c.Component == component {
				checks = append(checks, c)
			}
		}
		if len(checks) == 0 {
			return nil
		}
		env := &health.Env{Cloud: s.cloud, Targets: s.allTargets(ctx, f)}
		ctx, cancel := context.WithTimeout(ctx, gateTimeout)
		defer cancel()
		for {
			// A result about another host (a member a later batch will
			// repair) does not hold this batch back.
			results := health.About(health.RunAll(ctx, env, checks), hosts)
			if health.Worst(results) == health.OK {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s is not healthy %s after %s: %s", component, gateTimeout, strings.Join(hosts, ", "), notOKReasons(results))
			case <-time.After(2 * time.Second):
			}
		}
	}
}

func notOKReasons(rs []health.Result) string {
	var out []string
	for _, r := range rs {
		if r.Status != health.OK {
			out = append(out, fmt.Sprintf("%s %s %s: %s", r.Check, r.Target, r.Status, r.Reason))
		}
	}
	return strings.Join(out, "; ")
}
