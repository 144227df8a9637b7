package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/state"
)

func openState(g *globals) (*state.DB, error) {
	return state.Open(g.repo + "/" + StateDir)
}

func newRunsCmd(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:     "runs",
		Short:   "List the recorded plan and apply runs, newest first",
		Example: examples("fundament runs", "fundament runs --limit 5 -o json"),
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			db, err := openState(g)
			if err != nil {
				return err
			}
			defer db.Close()
			runs, err := db.Runs(limit)
			if err != nil {
				return err
			}
			if g.json() {
				if runs == nil {
					runs = []state.Run{}
				}
				return printJSON(g.stdout, runs)
			}
			t := newTable(g.stdout, "RUN", "KIND", "STATUS", "STARTED", "DURATION", "SUMMARY")
			for _, r := range runs {
				dur := "-"
				if !r.FinishedAt.IsZero() {
					dur = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
				}
				t.row(r.ID, r.Kind, r.Status, r.StartedAt.Local().Format("2006-01-02 15:04:05"), dur, dash(r.Summary))
			}
			t.flush()
			return nil
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "show at most `N` runs (0: all)")
	return offers(cmd, "json")
}

func newLogsCmd(g *globals) *cobra.Command {
	var host string
	cmd := &cobra.Command{
		Use:     "logs RUN",
		Short:   "Show what a run did: every action attempt with its output",
		Example: examples("fundament logs 20261126-173012-4f2a", "fundament logs 20261126 --host ctl-1", "fundament logs RUN -o json"),
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			db, err := openState(g)
			if err != nil {
				return err
			}
			defer db.Close()
			run, err := db.GetRun(args[0])
			if err != nil {
				return err
			}
			actions, err := db.Actions(run.ID, host)
			if err != nil {
				return err
			}
			if g.json() {
				if actions == nil {
					actions = []state.Action{}
				}
				return printJSON(g.stdout, logsJSON{Run: run, Actions: actions})
			}
			fmt.Fprintf(g.stdout, "run %s (%s) %s: %s\n  %s\n", run.ID, run.Kind, run.Status, dash(run.Summary), run.Command)
			for _, a := range actions {
				if a.Status == state.ActionSkipped {
					// Never ran: no attempt, no duration.
					fmt.Fprintf(g.stdout, "\n%s %s %s %s: skipped\n  why: %s\n", a.StartedAt.Local().Format("15:04:05"), a.Host, a.Op, a.Resource, dash(a.Error))
					continue
				}
				fmt.Fprintf(g.stdout, "\n%s %s %s %s attempt %d: %s", a.StartedAt.Local().Format("15:04:05"), a.Host, a.Op, a.Resource, a.Attempt, a.Status)
				if !a.FinishedAt.IsZero() {
					fmt.Fprintf(g.stdout, " (%s)", a.FinishedAt.Sub(a.StartedAt).Round(time.Millisecond))
				}
				fmt.Fprintln(g.stdout)
				if a.Error != "" {
					fmt.Fprintf(g.stdout, "  error: %s\n", a.Error)
				}
				if out := strings.TrimSpace(a.Output); out != "" {
					fmt.Fprintf(g.stdout, "  | %s\n", strings.ReplaceAll(out, "\n", "\n  | "))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&host, "host", "", "only the actions on `HOST`")
	return offers(cmd, "json")
}

func newLockCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Show or break the apply lock",
		Long: `Lock shows who holds the repository's apply lock: its id (the run of the apply
that holds it), process, user and since when, and whether that process is gone
(judged by boot id, PID and process start time, on the machine it ran on).`,
		Example: examples("fundament lock", "fundament lock break", "fundament lock break --force 20261126-173012-4f2a"),
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			db, err := openState(g)
			if err != nil {
				return err
			}
			defer db.Close()
			info, held, err := db.LockHolder()
			if err != nil {
				return err
			}
			if g.json() {
				return printJSON(g.stdout, lockJSON{Held: held, Holder: info, Stale: held && info.Stale()})
			}
			if !held {
				fmt.Fprintln(g.stdout, "no apply holds the lock")
				return nil
			}
			fmt.Fprintf(g.stdout, "held by pid %d on %s (user %s) since %s: %s\nlock id %s\n", info.PID, info.Hostname, info.User, info.Since.Local().Format(time.RFC3339), info.Command, info.RunID)
			switch {
			case info.Stale():
				fmt.Fprintln(g.stdout, "the process is gone: break the lock with 'fundament lock break'")
			case !info.Checkable():
				fmt.Fprintf(g.stdout, "the process runs on another machine and cannot be checked from here\n")
			}
			return nil
		},
	}
	var force bool
	brk := &cobra.Command{
		Use:   "break [ID]",
		Short: "Remove the apply lock of a process that is gone",
		Long: `Break removes the apply lock of a process that is gone (a crash, a killed
terminal, a reboot): 'fundament lock' says so. The interrupted run is marked
interrupted, and the next apply converges from what the hosts have; the hosts'
leases of that run are taken over by the next apply from this machine (or expire).

A lock whose process lives, or runs on another machine, is not broken: stop that
apply instead. If you must, --force breaks it, given the lock's id (as 'fundament
lock' shows it), so that exactly the lock you looked at is broken. The broken apply
keeps its hosts' leases while it runs: the next apply is refused there until it
ends. An ID without --force must be the lock's id too.`,
		Example: examples("fundament lock break", "fundament lock break --force 20261126-173012-4f2a"),
		Args:    cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			id := ""
			if len(args) == 1 {
				id = args[0]
			}
			db, err := openState(g)
			if err != nil {
				return err
			}
			defer db.Close()
			info, ok, err := db.BreakLock(id, force)
			if err != nil {
				return err
			}
			if g.json() {
				out := lockBreakJSON{Broken: ok}
				if ok {
					out.Holder = &info
				}
				return printJSON(g.stdout, out)
			}
			if !ok {
				fmt.Fprintln(g.stdout, "no lock to break")
				return nil
			}
			fmt.Fprintf(g.stdout, "broke the lock of pid %d on %s (run %s: %s)\n", info.PID, info.Hostname, info.RunID, info.Command)
			return nil
		},
	}
	brk.Flags().BoolVar(&force, "force", false, "break a lock whose process lives (or cannot be checked): needs the lock's `ID`")
	cmd.AddCommand(offers(brk, "json"))
	return offers(cmd, "json")
}

func newHostKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hostkeys",
		Short: "List or forget the recorded SSH host keys",
		Long: `A host's SSH host key is accepted when the inventory pins it (ssh.host_key), when a
known_hosts file lists it or an @cert-authority there signed its certificate
(cloud.yaml's ssh_known_hosts, --known-hosts), or when it is recorded in the state
database: the lab records the keys it makes, and --trust-new-host-keys records the
key of a host that nothing vouches for. This command lists the recorded keys. A
recorded key that changes is refused; after reinstalling a host, forget its key and
connect once with --trust-new-host-keys (or pin the new key in the inventory).`,
		Example: examples("fundament hostkeys", "fundament hostkeys forget ctl-1"),
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			db, err := openState(g)
			if err != nil {
				return err
			}
			defer db.Close()
			keys, err := db.ListHostKeys()
			if err != nil {
				return err
			}
			if g.json() {
				if keys == nil {
					keys = []state.HostKey{}
				}
				return printJSON(g.stdout, keys)
			}
			t := newTable(g.stdout, "HOST", "KEY", "FIRST SEEN")
			for _, k := range keys {
				t.row(k.Host, k.Key, k.FirstSeen.Local().Format(time.RFC3339))
			}
			t.flush()
			return nil
		},
	}
	cmd.AddCommand(offers(&cobra.Command{
		Use:     "forget HOST",
		Short:   "Forget a host's recorded key (after a reinstall)",
		Example: examples("fundament hostkeys forget ctl-1"),
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			db, err := openState(g)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.ForgetHostKey(args[0]); err != nil {
				return err
			}
			if g.json() {
				return printJSON(g.stdout, hostKeyForgetJSON{Forgot: args[0]})
			}
			fmt.Fprintf(g.stdout, "forgot the host key of %s; the next connection with --trust-new-host-keys records the key it offers\n", args[0])
			return nil
		},
	}, "json"))
	return offers(cmd, "json")
}
