package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fundament-cloud/fundament/internal/engine"
	"github.com/fundament-cloud/fundament/internal/lease"
	"github.com/fundament-cloud/fundament/internal/plan"
	"github.com/fundament-cloud/fundament/internal/proc"
	"github.com/fundament-cloud/fundament/internal/state"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// applyRequest is one apply, as its command line asks for it.
type applyRequest struct {
	// planFile is a saved plan to apply exactly ("": plan now, show the
	// plan and ask, unless autoApprove).
	planFile    string
	autoApprove bool
	retries     int
	timeout     time.Duration
	// answer is where the operator answers the question whether to apply
	// the plan shown (nil: nobody can be asked; the apply is refused).
	answer io.Reader
}

// Where hosts keep their apply leases, and how long a lease lives without
// renewal: variables for the end-to-end tests, whose "hosts" share this
// machine's /run.
var (
	leaseDir func(host string) string // nil: lease.DefaultDir
	leaseTTL = lease.DefaultTTL
)

// runApply is `fundament apply`. Its order is the point: first the
// repository's lock (state.db), then the lease of every host of the
// inventory, and only then the catalog (whose components may probe
// hosts), the plan and the engine. An apply refused by another has
// compiled, probed and observed nothing.
func runApply(ctx context.Context, g *globals, f *engineFlags, req applyRequest) error {
	var saved *plan.Plan
	if req.planFile != "" {
		var err error
		if saved, err = readPlanFile(req.planFile); err != nil {
			return err
		}
	}
	s, err := openChecks(g, f)
	if err != nil {
		return err
	}
	defer s.close()
	runID := state.NewRunID()
	unlock, err := s.db.Lock(state.LockInfo{RunID: runID, Command: g.commandLine()})
	if err != nil {
		return lockError(err)
	}
	defer unlock()

	// A lease lost to another run (this one's renewals did not get through
	// in time) stops the run: no new action starts.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	leases, err := s.takeLeases(ctx, f, runID, func(*lease.LostError) {
		fmt.Fprintln(g.stderr, "Stopping: no new action starts; the actions in flight get a few seconds to finish, then they are stopped and recorded interrupted.")
		cancel()
	})
	if leases != nil {
		defer leases.Release()
	}
	if err != nil {
		return err
	}

	if err := s.compile(ctx, f); err != nil {
		return err
	}
	// Hosts of the catalog beyond the inventory (the lab's switches):
	// leased before they are observed.
	if err := s.leaseHosts(ctx, f, s.cat.Hosts()); err != nil {
		return err
	}

	current, err := s.makePlan(ctx, f.parallel)
	if err != nil {
		return err
	}
	p := current
	if saved != nil {
		if err := plan.CheckFresh(saved, s.cat, current); err != nil {
			return err
		}
		p = saved
	} else if !g.json() {
		plan.Render(g.stdout, p)
	}
	if !p.HasChanges() {
		if c := p.Counts(); c.Unreachable > 0 {
			return fmt.Errorf("%d host(s) could not be observed: %s", c.Unreachable, strings.Join(unreachable(p), "; "))
		}
		if g.json() {
			newProgress(g).jsonLine(newApplySummary("", 0, &engine.Summary{}, "no changes: every host has its desired state"))
			return nil
		}
		if saved != nil {
			fmt.Fprintln(g.stdout, "No changes. Every host has its desired state.")
		}
		return nil
	}
	if saved == nil && !req.autoApprove {
		if err := confirm(g, req.answer); err != nil {
			return err
		}
	}
	run, err := s.db.StartRunID(runID, state.KindApply, g.commandLine(), p.Hash())
	if err != nil {
		return err
	}
	localEnv, cleanup, err := s.localEnv()
	if err != nil {
		s.db.FinishRun(run.ID, state.RunFailed, err.Error())
		return err
	}
	defer cleanup()
	view := newProgress(g)
	sum := engine.Apply(ctx, s.cat, p, s.hosts, engine.Options{
		Parallel: f.parallel, Retries: req.retries, ActionTimeout: req.timeout,
		Recorder: &recorder{db: s.db, runID: run.ID},
		Events:   view.event,
		Redact:   s.redact,
		LocalEnv: localEnv,
		Gate:     s.healthGate(f),
	})
	status := state.RunSucceeded
	switch {
	case sum.Error != "":
		status = state.RunFailed
	case sum.Cancelled:
		status = state.RunCancelled
	case !sum.OK():
		status = state.RunFailed
	}
	line := summaryLine(sum)
	finishErr := s.db.FinishRun(run.ID, status, line)
	view.summary(run.ID, changeCount(p.Counts()), sum, line)
	switch {
	case finishErr != nil:
		// The record of the run is not what happened: that fails it.
		return finishErr
	case !sum.OK(): // sum.Error, if any, is in the summary
		return notOK()
	}
	return nil
}

// takeLeases fences the session: from now on every host it reaches is
// leased to run runID first, and the leases of all the inventory's hosts
// are taken now, renewed in the background until Release. A host leased
// to another live run refuses the apply, naming the holder. lost hears of
// a lease another run took over later.
func (s *session) takeLeases(ctx context.Context, f *engineFlags, runID string, lost func(*lease.LostError)) (*lease.Set, error) {
	checkout, err := filepath.Abs(s.g.repo)
	if err != nil {
		checkout = s.g.repo
	}
	s.fence = lease.NewSet(lease.Config{
		Holder: lease.Holder{Run: runID, Process: proc.Self(), User: currentUser(), Checkout: checkout},
		TTL:    leaseTTL,
		Dir:    leaseDir,
		Note:   func(msg string) { fmt.Fprintln(s.g.stderr, "note: "+msg) },
		Lost:   lost,
	})
	names := make([]string, 0, len(s.cloud.Hosts))
	for _, h := range s.cloud.Hosts {
		names = append(names, h.Name)
	}
	if err := s.leaseHosts(ctx, f, names); err != nil {
		return s.fence, err
	}
	s.fence.Keep(ctx)
	return s.fence, nil
}

// leaseHosts connects the hosts named and takes the leases the run does
// not hold yet. A host that cannot be reached is left to the plan (it
// shows it unreachable; the fence tries its lease again before anything
// runs there).
func (s *session) leaseHosts(ctx context.Context, f *engineFlags, names []string) error {
	var ts []transport.Transport
	for _, t := range s.connect(ctx, f, names) {
		if !s.fence.Holds(t.Host()) {
			ts = append(ts, t)
		}
	}
	refused, _ := s.fence.AcquireAll(ctx, ts, f.parallel)
	if len(refused) == 0 {
		return nil
	}
	msgs := make([]string, len(refused))
	for i, he := range refused {
		msgs[i] = he.Error()
	}
	sort.Strings(msgs)
	if len(msgs) == 1 {
		return errors.New(msgs[0])
	}
	return fmt.Errorf("%d hosts are leased to other applies:\n  %s", len(msgs), strings.Join(msgs, "\n  "))
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}
