package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/health"
)

// HealthGate is the rolling groups' policy: their gates wait for the
// health checks of the component that owns the group. After a batch the
// gate runs those checks until every result about the batch's hosts is OK
// (a cluster check names all its members when the cluster is down, the
// faulty ones when it is degraded), so that the next host is touched only
// once this one serves again. Before a batch that restarts a serving
// member it waits until every result about the group's other hosts is OK,
// findings a restart repairs (health.Result.PendingRestart) aside: a
// member is restarted only while the rest of its cluster serves, and a
// changed setting that the roll itself applies does not keep it from
// starting.
type HealthGate struct {
	// Catalog says which component owns a group and which hosts it has.
	Catalog *catalog.Catalog
	// Checks are every component's; a gate runs its group's component's.
	Checks []health.Check
	// Env gives the checks the model and the connections (made when a
	// gate first needs them: the catalog's hosts are not all the checks
	// reach).
	Env func(ctx context.Context) *health.Env
	// Timeout bounds one gate's wait (default 5 minutes: a Galera member
	// resyncing, a RAFT member catching up); Interval is the pause
	// between two rounds of checks (default 2 seconds).
	Timeout, Interval time.Duration
}

// Gate is the engine's gate of this policy.
func (hg HealthGate) Gate() Gate {
	if hg.Timeout <= 0 {
		hg.Timeout = 5 * time.Minute
	}
	if hg.Interval <= 0 {
		hg.Interval = 2 * time.Second
	}
	return hg.wait
}

func (hg HealthGate) wait(ctx context.Context, group string, hosts []string, phase GatePhase) error {
	component := hg.owner(group)
	var checks []health.Check
	for _, c := range hg.Checks {
		if c.Component == component {
			checks = append(checks, c)
		}
	}
	about := hosts
	if phase == GateBefore {
		about = othersOf(hg.Catalog.Groups[group], hosts)
	}
	if len(checks) == 0 || len(about) == 0 {
		return nil
	}
	env := hg.Env(ctx)
	ctx, cancel := context.WithTimeout(ctx, hg.Timeout)
	defer cancel()
	for {
		// A result about another host (a member a later batch will
		// repair) does not hold this batch back.
		results := health.About(health.RunAll(ctx, env, checks), about)
		if phase == GateBefore {
			// The others still running the old configuration is what
			// this roll repairs; they must serve, nothing more.
			results = health.Serving(results)
		}
		if health.Worst(results) == health.OK {
			return nil
		}
		select {
		case <-ctx.Done():
			if phase == GateBefore {
				return fmt.Errorf("not restarting %s: %s is not healthy on %s after %s: %s", strings.Join(hosts, ", "), component, strings.Join(about, ", "), hg.Timeout, notOKReasons(results))
			}
			return fmt.Errorf("%s is not healthy %s after %s: %s", component, hg.Timeout, strings.Join(hosts, ", "), notOKReasons(results))
		case <-time.After(hg.Interval):
		}
	}
}

// owner is the component whose items form the group.
func (hg HealthGate) owner(group string) string {
	for _, it := range hg.Catalog.Items {
		if it.Group == group {
			return it.Component
		}
	}
	return ""
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
