package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/engine"
	"github.com/fundament-cloud/fundament/internal/health"
)

// gateTimeout is how long a health gate waits for its component to become
// healthy after a batch (a Galera member resyncing, a RAFT member catching
// up).
const gateTimeout = 5 * time.Minute

// healthGate is apply's gate of rolling groups. After a batch it runs the
// checks of the component that owns the group until every result about
// the batch's hosts is OK (a cluster check names all its members when the
// cluster is down, the faulty ones when it is degraded), so that the next
// host is touched only once this one serves again. Before a batch that
// restarts a serving member it waits until every result about the group's
// other hosts serve (findings a restart repairs do not count): a member is
// restarted only while the rest of its cluster is healthy.
func (s *session) healthGate(f *engineFlags) engine.Gate {
	return func(ctx context.Context, group string, hosts []string, phase engine.GatePhase) error {
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
		about := hosts
		if phase == engine.GateBefore {
			about = othersOf(s.cat.Groups[group], hosts)
		}
		if len(checks) == 0 || len(about) == 0 {
			return nil
		}
		env := &health.Env{Cloud: s.cloud, Targets: s.allTargets(ctx, f)}
		ctx, cancel := context.WithTimeout(ctx, gateTimeout)
		defer cancel()
		for {
			// A result about another host (a member a later batch will
			// repair) does not hold this batch back.
			results := health.About(health.RunAll(ctx, env, checks), about)
			if phase == engine.GateBefore {
				// The others still running the old configuration is
				// what this roll repairs; they must serve, nothing more.
				results = health.Serving(results)
			}
			if health.Worst(results) == health.OK {
				return nil
			}
			select {
			case <-ctx.Done():
				if phase == engine.GateBefore {
					return fmt.Errorf("not restarting %s: %s is not healthy on %s after %s: %s", strings.Join(hosts, ", "), component, strings.Join(about, ", "), gateTimeout, notOKReasons(results))
				}
				return fmt.Errorf("%s is not healthy %s after %s: %s", component, gateTimeout, strings.Join(hosts, ", "), notOKReasons(results))
			case <-time.After(2 * time.Second):
			}
		}
	}
}

// othersOf lists the group's hosts that are not in the batch.
func othersOf(g *catalog.Group, batch []string) []string {
	if g == nil {
		return nil
	}
	var out []string
	for _, h := range g.Hosts {
		if !slices.Contains(batch, h) {
			out = append(out, h)
		}
	}
	return out
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
