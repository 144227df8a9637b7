package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/engine"
	"github.com/fundament-cloud/fundament/internal/plan"
	"github.com/fundament-cloud/fundament/internal/state"
)

func newApplyCmd(g *globals) *cobra.Command {
	var f engineFlags
	var autoApprove bool
	var retries int
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Apply the desired state to the hosts",
		Long: `Apply brings every host to its desired state. With PLANFILE it applies exactly
that saved plan, and refuses it when the repository or any host changed since the
plan was made. Without one it plans, shows the plan and asks for 'yes' (or takes
--auto-approve).

Hosts are worked on in parallel, one action at a time per host, in dependency
order; clustered services roll one batch at a time behind a health gate. A failure
skips what depends on it and nothing else. Each step runs under its own declared
timeout, or --action-timeout when it declares none. A step cut short (its time ran
out, the connection dropped) runs again only when it is idempotent or its guard says
it has not happened; otherwise its host stops there, and the report says what to
check. Ctrl-C stops at once: no new action starts, and those in flight get a few
seconds to finish before they are stopped and recorded interrupted (one still
running on its host holds the host's lock, and the next apply waits for it). Every
attempt is recorded in .fundament/state.db ('fundament runs', 'fundament logs
RUN'); a failure to record fails the apply.

Only one apply runs at a time: before it compiles the catalog or reaches a host
otherwise, apply takes the repository's lock (.fundament/state.db) and a lease on
every host of the inventory (/run/fundament/apply.lease: run, manager, user,
checkout, since, expiry), renewed while it runs and released at the end. Another
checkout or manager applying to the same hosts is refused with who holds them and
since when; a lease that expired (its apply died elsewhere), or whose apply's
process on this machine is gone, is taken over, and apply says so.

Exit status: 0 when everything was applied, 1 otherwise.`,
		Example: examples(
			"fundament apply",
			"fundament plan -out cloud.plan && fundament apply cloud.plan",
			"fundament apply --auto-approve -o json | jq -c 'select(.type==\"action-failed\")'"),
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := applyRequest{autoApprove: autoApprove, retries: retries, timeout: timeout, answer: terminalInput()}
			if len(args) == 1 {
				req.planFile = args[0]
			}
			ctx, stop := interruptible(cmd.Context(), g.stderr)
			defer stop()
			return runApply(ctx, g, &f, req)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&autoApprove, "auto-approve", false, "apply without asking for confirmation")
	cmd.Flags().IntVar(&retries, "retries", 2, "retries of an action that failed without running, or that may run again (idempotent, or its guard says it has not happened) after a lost connection, a timeout or a dpkg lock")
	cmd.Flags().DurationVar(&timeout, "action-timeout", 10*time.Minute, "time limit of one attempt of a step that declares none (a step's own timeout, longer or shorter, replaces it)")
	return offers(cmd, "json")
}

// interruptible is ctx ended by the first SIGINT or SIGTERM, which says
// what happens now; then the default handling comes back, so that a
// second one ends the process at once (the state database then shows the
// run interrupted). stop restores the default handling.
func interruptible(ctx context.Context, stderr io.Writer) (_ context.Context, stop func()) {
	ctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			stopSignals()
			fmt.Fprintln(stderr, "\nInterrupted: no new action starts; the actions in flight get a few seconds to finish, then they are stopped and recorded interrupted. Interrupt again to stop at once.")
		case <-finished:
		}
	}()
	return ctx, func() { close(finished); stopSignals() }
}

// terminalInput is standard input when it is a terminal, where an
// operator can answer; nil otherwise.
func terminalInput() io.Reader {
	if fi, err := os.Stdin.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return os.Stdin
}

// confirm asks the operator, who answers on answer. Without anyone to ask
// (answer nil: no terminal), or with -o json (whose output shows no plan
// and takes no question), it refuses: a change nobody reviewed is the
// surprise operators do not want.
func confirm(g *globals, answer io.Reader) error {
	if g.json() || answer == nil {
		return errors.New("refusing to apply a plan nobody reviewed: pass --auto-approve, or save a plan with 'fundament plan -out FILE' and apply that")
	}
	fmt.Fprint(g.stdout, "\nApply these changes? Only 'yes' will be accepted: ")
	line, _ := bufio.NewReader(answer).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return errors.New("apply cancelled")
	}
	return nil
}

func summaryLine(sum *engine.Summary) string {
	line := fmt.Sprintf("%d succeeded, %d failed, %d skipped, %d cancelled", sum.Count(engine.StatusSucceeded),
		sum.Count(engine.StatusFailed), sum.Count(engine.StatusSkipped), sum.Count(engine.StatusCancelled))
	if n := sum.Count(engine.StatusInterrupted); n > 0 {
		line += fmt.Sprintf(", %d interrupted", n)
	}
	line += " in " + sum.Duration.Round(time.Millisecond).String()
	if len(sum.HostsSkipped) > 0 {
		line += fmt.Sprintf("; hosts not reached: %s", strings.Join(sum.HostsSkipped, ", "))
	}
	var failed []string
	for _, r := range sum.Results {
		if r.Status == engine.StatusFailed || r.Status == engine.StatusInterrupted {
			failed = append(failed, r.Host+"/"+r.Resource)
		}
	}
	if len(failed) > 0 {
		line += "; failed: " + strings.Join(failed, ", ")
	}
	return line
}

// lockError explains a refused lock: who holds it, and what to do.
func lockError(err error) error {
	var le *state.LockedError
	if !errors.As(err, &le) {
		return err
	}
	msg := fmt.Sprintf("another apply (run %s, pid %d on %s, user %s, since %s: %s) holds the lock",
		le.Info.RunID, le.Info.PID, le.Info.Hostname, le.Info.User, le.Info.Since.Local().Format(time.RFC3339), le.Info.Command)
	if le.Stale {
		msg += "; its process is gone: break the lock with `fundament lock break`"
	} else {
		msg += "; wait for it to finish"
	}
	return errors.New(msg)
}

// recorder adapts the state database to the engine.
type recorder struct {
	db    *state.DB
	runID string
}

func (r *recorder) StartAction(host, res, op string, attempt int) (int64, error) {
	return r.db.StartAction(state.Action{RunID: r.runID, Host: host, Resource: res, Op: op, Attempt: attempt})
}

func (r *recorder) FinishAction(id int64, status, output, errText string) error {
	return r.db.FinishAction(id, status, output, errText)
}

func (r *recorder) FinishApplied(id int64, output, desiredHash string) error {
	return r.db.FinishApplied(id, output, desiredHash)
}

// progress renders engine events: a line per finished action on a
// terminal, or JSON lines with -o json.
type progress struct {
	mu   sync.Mutex
	g    *globals
	json bool
	w    io.Writer
}

func newProgress(g *globals) *progress { return &progress{g: g, json: g.json(), w: g.stdout} }

// jsonLine writes v as one line of apply's JSON stream.
func (p *progress) jsonLine(v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(p.w, "%s\n", b)
}

func (p *progress) event(e engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.jsonLine(e)
		return
	}
	switch e.Type {
	case engine.EventActionSucceeded:
		fmt.Fprintf(p.w, "  ok      %-12s %s %s (%dms)\n", e.Host, e.Op, e.Resource, e.Millis)
	case engine.EventActionFailed:
		fmt.Fprintf(p.w, "  FAILED  %-12s %s %s: %s\n", e.Host, e.Op, e.Resource, e.Message)
	case engine.EventActionInterrupted:
		fmt.Fprintf(p.w, "  INTERRUPTED %-8s %s %s: %s\n", e.Host, e.Op, e.Resource, e.Message)
	case engine.EventActionRetry:
		fmt.Fprintf(p.w, "  retry   %-12s %s %s: %s\n", e.Host, e.Op, e.Resource, e.Message)
	case engine.EventActionSkipped:
		fmt.Fprintf(p.w, "  skipped %-12s %s %s: %s\n", e.Host, e.Op, e.Resource, e.Message)
	case engine.EventGatePassed:
		fmt.Fprintf(p.w, "  gate    %-12s %s healthy\n", e.Host, e.Resource)
	case engine.EventGateFailed:
		fmt.Fprintf(p.w, "  GATE    %-12s %s not healthy: %s\n", e.Host, e.Resource, e.Message)
	case engine.EventHostSkipped:
		fmt.Fprintf(p.w, "  skipped %-12s the whole host: %s\n", e.Host, e.Message)
	}
}

// changeCount is the number of actions a plan's counts add up to.
func changeCount(c plan.Counts) int { return c.Create + c.Update + c.Delete + c.Run + c.Restart }

// newApplySummary is apply's JSON summary of a run of changes actions.
func newApplySummary(runID string, changes int, sum *engine.Summary, line string) applySummary {
	s := applySummary{Type: "summary", Run: runID, OK: sum.OK(), Cancelled: sum.Cancelled, Changes: changes,
		Error: sum.Error, Summary: line, Results: sum.Results, HostsSkipped: sum.HostsSkipped}
	if s.Results == nil {
		s.Results = []engine.Result{}
	}
	if s.HostsSkipped == nil {
		s.HostsSkipped = []string{}
	}
	return s
}

func (p *progress) summary(runID string, changes int, sum *engine.Summary, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.jsonLine(newApplySummary(runID, changes, sum, line))
		return
	}
	fmt.Fprintf(p.w, "\nApply %s: %s.\n", map[bool]string{true: "complete", false: "incomplete"}[sum.OK()], line)
	if sum.Error != "" {
		fmt.Fprintf(p.w, "  %s\n", sum.Error)
	}
	// What went wrong, again at the end: with many hosts the progress
	// lines have scrolled away.
	for _, r := range sum.Results {
		switch r.Status {
		case engine.StatusFailed, engine.StatusSkipped, engine.StatusCancelled, engine.StatusInterrupted:
			fmt.Fprintf(p.w, "  %-9s %-12s %s %s: %s\n", r.Status, r.Host, r.Op, r.Resource, r.Error)
		}
	}
	for _, h := range sum.HostsSkipped {
		fmt.Fprintf(p.w, "  %-9s %-12s the whole host: unreachable when planned\n", "not reached", h)
	}
	fmt.Fprintf(p.w, "Run %s; details: fundament logs %s\n", runID, runID)
}
