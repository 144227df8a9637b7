package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// healthChecks are the checks of every component of the cloud.
func healthChecks(c *model.Cloud) []health.Check {
	var out []health.Check
	for _, comp := range components.All() {
		if p, ok := comp.(health.Provider); ok {
			out = append(out, p.HealthChecks(c)...)
		}
	}
	return out
}

// selectChecks keeps the checks of the named components (all without
// names); a component's checks include its parts' ("ovn/chassis"). A name
// that is no component is an error that lists them.
func selectChecks(checks []health.Check, names []string) ([]health.Check, error) {
	if len(names) == 0 {
		return checks, nil
	}
	var known []string
	for _, comp := range components.All() {
		known = append(known, comp.Name())
	}
	for _, c := range checks {
		known = append(known, c.Component)
	}
	if err := catalog.CheckComponents(names, known); err != nil {
		return nil, err
	}
	var out []health.Check
	for _, c := range checks {
		if catalog.Selects(names, c.Component) {
			out = append(out, c)
		}
	}
	return out, nil
}

// allTargets connects to every host and switch of the model that the
// session has no connection to yet, and returns all connections.
func (s *session) allTargets(ctx context.Context, f *engineFlags) map[string]transport.Transport {
	var names []string
	for _, h := range s.cloud.Hosts {
		names = append(names, h.Name)
	}
	for _, sw := range s.cloud.Network.Switches {
		names = append(names, sw.Name)
	}
	return s.connect(ctx, f, names)
}

func newStatusCmd(g *globals) *cobra.Command {
	var f engineFlags
	var timeout, wait time.Duration
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Check the health of every layer of the cloud",
		Long: `Status runs the health checks of every layer over SSH (BGP sessions and loopback
reachability of the fabric, the OVN database clusters, northd and the chassis,
...) and prints each result as OK, DEGRADED or DOWN with the reason. Apply uses
the same checks as health gates between the batches of a rolling group.

Exit status: 0 when everything is OK, 1 otherwise.`,
		Example: examples("fundament status --repo mycloud", "fundament status -o json | jq '.results[] | select(.status != \"OK\")'", "fundament status --component fabric --wait 1m"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout+wait)
			defer cancel()
			s, err := openChecks(g, &f)
			if err != nil {
				return err
			}
			defer s.close()
			checks, err := selectChecks(healthChecks(s.cloud), f.components)
			if err != nil {
				return err
			}
			var results []health.Result
			var env *health.Env
			if len(checks) > 0 { // else nothing to connect to
				env = &health.Env{Cloud: s.cloud, Targets: s.allTargets(ctx, &f)}
				results = health.RunAll(ctx, env, checks)
			}
			deadline := time.Now().Add(wait)
			// --wait: a cloud just deployed or healing (BGP sessions
			// coming up, a RAFT member catching up) gets time to settle.
			for health.Worst(results) != health.OK && time.Now().Before(deadline) && ctx.Err() == nil {
				time.Sleep(2 * time.Second)
				results = health.RunAll(ctx, env, checks)
			}
			worst := health.Worst(results)
			if g.json() {
				if err := printJSON(g.stdout, statusJSON{Status: worst, Results: nonNilResults(results)}); err != nil {
					return err
				}
			} else {
				printStatus(g, results, worst)
			}
			if worst != health.OK {
				return notOK()
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "time limit of all checks")
	cmd.Flags().DurationVar(&wait, "wait", 0, "check again until everything is OK or this much time has passed")
	return offers(cmd, "json")
}

func printStatus(g *globals, results []health.Result, worst health.Status) {
	if len(results) == 0 {
		fmt.Fprintln(g.stdout, "No health checks: no component with checks is deployed by this configuration.")
		return
	}
	w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "LAYER\tCHECK\tTARGET\tSTATUS\tREASON")
	for _, r := range results {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Layer, r.Check, r.Target, r.Status, strings.ReplaceAll(r.Reason, "\n", "; "))
	}
	w.Flush()
	fmt.Fprintf(g.stdout, "\n%s: %d checks, %d not OK\n", worst, len(results), countNotOK(results))
}

func countNotOK(rs []health.Result) int {
	n := 0
	for _, r := range rs {
		if r.Status != health.OK {
			n++
		}
	}
	return n
}

func nonNilResults(rs []health.Result) []health.Result {
	if rs == nil {
		return []health.Result{}
	}
	return rs
}
