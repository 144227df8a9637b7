package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/lease"
	"github.com/fundament-cloud/fundament/internal/plan"
	"github.com/fundament-cloud/fundament/internal/state"
)

func (f *engineFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.parallel, "parallel", 16, "how many hosts to work on at once")
	cmd.Flags().StringSliceVar(&f.sshKeys, "ssh-key", nil, "private key `FILE` for SSH (default $FUNDAMENT_SSH_KEY, else the lab key .fundament/lab/id_ed25519 and ~/.ssh/id_*; ssh-agent is used too)")
	cmd.Flags().StringVar(&f.identity, "identity", "", "age identity `FILE` for the secrets")
	cmd.Flags().StringSliceVar(&f.components, "component", nil, "only these components (`NAME`,...) and what they depend on")
	f.hostKeys.register(cmd)
}

func newPlanCmd(g *globals) *cobra.Command {
	var f engineFlags
	var out string
	var detailed bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would change on the hosts",
		Long: `Plan compiles the repository into the desired state of every host, observes
every host (one SSH round trip each), and shows the difference: + create,
~ change (with the fields), - delete, > run, @ restart. Sensitive values show only
that they change. -out saves the plan for 'fundament apply FILE'.

Plan takes no lock and no lease: it only reads, and waits (a shared hold of each
host's /run/lock/fundament.lock) for an action in progress there. It warns when an
apply holds a host's lease: that apply may change what the plan shows.

Exit status: 0 success; with --detailed-exitcode 0 no changes, 3 changes; 1 error
(including hosts that could not be observed); 2 a usage error.`,
		Example: examples(
			"fundament plan",
			"fundament plan -out cloud.plan && fundament apply cloud.plan",
			"fundament plan --detailed-exitcode >/dev/null; echo $?"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			s, err := openSession(ctx, g, &f)
			if err != nil {
				return err
			}
			defer s.close()
			run, err := s.db.StartRun(state.KindPlan, g.commandLine(), "")
			if err != nil {
				return err
			}
			leased := s.leasedHosts(ctx)
			p, err := s.makePlan(ctx, f.parallel)
			for _, w := range <-leased {
				fmt.Fprintln(g.stderr, "warning: "+w)
			}
			if err != nil {
				s.db.FinishRun(run.ID, state.RunFailed, err.Error())
				return err
			}
			c := p.Counts()
			status := state.RunSucceeded
			if c.Unreachable > 0 {
				// A plan that could not observe every host is incomplete:
				// the command fails, and so does its record.
				status = state.RunFailed
			}
			// A run that cannot be recorded fails.
			if err := s.db.FinishRun(run.ID, status, countsLine(c)); err != nil {
				return err
			}
			if out != "" {
				if err := writePlanFile(out, p); err != nil {
					return err
				}
			}
			if g.json() {
				if err := p.Write(g.stdout); err != nil {
					return err
				}
			} else {
				plan.Render(g.stdout, p)
				if out != "" {
					fmt.Fprintf(g.stdout, "\nSaved the plan to %s. Apply exactly this plan with: fundament apply %s\n", out, out)
				}
			}
			switch {
			case c.Unreachable > 0:
				return &exitError{code: ExitNotOK, err: fmt.Errorf("%d host(s) could not be observed: %s", c.Unreachable, strings.Join(unreachable(p), "; "))}
			case detailed && p.HasChanges():
				return &exitError{code: ExitChanges}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "save the plan to `FILE`")
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 0 with no changes, 3 with changes, 1 on error")
	return offers(cmd, "json")
}

// leasedHosts reads the hosts' apply leases at the same time as the plan
// observes them (one more SSH session each, on the same connections), and
// says which hosts an apply holds.
func (s *session) leasedHosts(ctx context.Context) <-chan []string {
	out := make(chan []string, 1)
	hosts := s.cat.Hosts()
	go func() {
		warnings := make([]string, len(hosts))
		var wg sync.WaitGroup
		for i, h := range hosts {
			t := s.hosts[h]
			if t == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				dir := ""
				if leaseDir != nil {
					dir = leaseDir(h)
				}
				holder, ok, err := lease.Read(ctx, t, dir)
				if err == nil && ok {
					warnings[i] = fmt.Sprintf("%s is being applied by %s (lease renewed until %s): the plan may be outdated when it ends",
						h, holder, holder.Expires.Local().Format(time.RFC3339))
				}
			}()
		}
		wg.Wait()
		var ws []string
		for _, w := range warnings {
			if w != "" {
				ws = append(ws, w)
			}
		}
		out <- ws
	}()
	return out
}

func (s *session) makePlan(ctx context.Context, parallel int) (*plan.Plan, error) {
	return plan.Make(ctx, s.cat, s.hosts, plan.Options{Cloud: s.cloud.Spec.Name, Parallel: parallel, Applied: s.applied, Redact: s.redact})
}

func unreachable(p *plan.Plan) []string {
	var out []string
	for _, h := range p.Hosts {
		if !h.Reachable {
			out = append(out, h.Host+": "+h.Error)
		}
	}
	return out
}

func countsLine(c plan.Counts) string {
	return fmt.Sprintf("%d to create, %d to change, %d to delete, %d to run, %d to restart, %d unreachable", c.Create, c.Update, c.Delete, c.Run, c.Restart, c.Unreachable)
}

func writePlanFile(path string, p *plan.Plan) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if err := p.Write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readPlanFile(path string) (*plan.Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := plan.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}
