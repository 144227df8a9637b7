package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/transport"
)

type runner struct {
	opts  Options
	hosts map[string]transport.Transport
	g     *graph
	slots chan struct{}

	// stop ends the run early: a record could not be written.
	stop context.CancelCauseFunc
	mu   sync.Mutex
	err  error // why the run as a whole failed
	// unrecorded: the state database failed once; nothing more is
	// written (each write could wait for its busy timeout).
	unrecorded atomic.Bool
}

func (r *runner) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// abort fails the run: no new action starts, those in flight end as on a
// cancellation.
func (r *runner) abort(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	if r.stop != nil {
		r.stop(err)
	}
}

// recordFailed aborts the run because the state database could not
// record something.
func (r *runner) recordFailed(what string, err error) {
	r.unrecorded.Store(true)
	r.abort(fmt.Errorf("the run stopped: the state database could not record %s: %w", what, err))
}

// refuse fails a run that cannot start; every action is skipped.
func (r *runner) refuse(err error) {
	r.abort(err)
	for _, n := range r.g.actions {
		r.skip(n, StatusSkipped, "not run: the run was refused before it started (see its error)")
	}
	for _, gate := range r.g.gates {
		gate.finish(StatusSkipped)
	}
}

func (r *runner) run(ctx context.Context) {
	ctx, r.stop = context.WithCancelCause(ctx)
	defer r.stop(nil)
	var wg sync.WaitGroup
	for _, h := range r.g.hosts {
		wg.Go(func() {
			// A step whose outcome is unknown stops its host: the steps
			// after it would build on what nobody knows.
			stopped := ""
			for _, n := range r.g.perHost[h] {
				if stopped != "" {
					r.skip(n, StatusSkipped, stopped)
					continue
				}
				stopped = r.runNode(ctx, n)
			}
		})
	}
	for _, gate := range r.g.gates {
		wg.Go(func() { r.runGate(ctx, gate) })
	}
	wg.Wait()
}

// waitDeps blocks until every dependency is finished or the run ends. It
// says why the node cannot run ("" when it can), and whether the run
// ended first.
func waitDeps(ctx context.Context, n *node) (why string, cancelled bool) {
	for _, d := range n.deps {
		select {
		case <-d.done:
		case <-ctx.Done():
			return "", true
		}
	}
	if ctx.Err() != nil {
		return "", true
	}
	for _, d := range n.deps {
		if d.status == StatusSucceeded {
			continue
		}
		switch {
		case d.isGate:
			return fmt.Sprintf("health gate of rolling group %s %s %s did not pass", d.group, d.gatePhase, strings.Join(d.gateHosts, ", ")), false
		case d.reason != "" && d.status == StatusSkipped && d.result.Resource == "":
			return d.reason, false
		default:
			return fmt.Sprintf("dependency %s/%s %s", d.host, d.item.Resource.ID(), d.status), false
		}
	}
	return "", false
}

// notStarted says why a node did not start once the run ended.
func (r *runner) notStarted() string {
	if err := r.failure(); err != nil {
		return "not started: " + err.Error()
	}
	return "the run was cancelled before it started"
}

// runNode runs an action when its dependencies allow; a non-empty result
// stops its host (the reason for the host's other actions).
func (r *runner) runNode(ctx context.Context, n *node) (stopHost string) {
	why, cancelled := waitDeps(ctx, n)
	switch {
	case cancelled:
		r.skip(n, StatusCancelled, r.notStarted())
		return ""
	case why != "":
		r.skip(n, StatusSkipped, why)
		return ""
	}
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		r.skip(n, StatusCancelled, r.notStarted())
		return ""
	}
	defer func() { <-r.slots }()
	if ctx.Err() != nil {
		r.skip(n, StatusCancelled, r.notStarted())
		return ""
	}
	return r.execute(ctx, n)
}

func (r *runner) skip(n *node, st Status, why string) {
	n.reason = why
	n.result.Status, n.result.Error = st, why
	// The record shows what happened to every planned action, including
	// those that never ran (as "skipped", with the reason).
	if rec := r.opts.Recorder; rec != nil && !r.unrecorded.Load() {
		id, err := rec.StartAction(n.host, n.result.Resource, n.result.Op, 1)
		if err == nil {
			err = rec.FinishAction(id, string(StatusSkipped), "", why)
		}
		if err != nil {
			r.recordFailed(n.String()+" as skipped", err)
		}
	}
	r.opts.Events(Event{Time: time.Now(), Type: EventActionSkipped, Host: n.host, Resource: n.result.Resource, Op: n.result.Op, Message: why})
	n.finish(st)
}

func (r *runner) runGate(ctx context.Context, gate *node) {
	why, cancelled := waitDeps(ctx, gate)
	switch {
	case cancelled:
		gate.reason = r.notStarted()
		gate.finish(StatusCancelled)
		return
	case why != "":
		gate.reason = why
		gate.finish(StatusSkipped)
		return
	}
	if r.opts.Gate == nil {
		gate.finish(StatusSucceeded)
		return
	}
	start := time.Now()
	err := r.opts.Gate(ctx, gate.group, gate.gateHosts, gate.gatePhase)
	ev := Event{Time: time.Now(), Type: EventGatePassed, Host: strings.Join(gate.gateHosts, ","), Resource: "group:" + gate.group, Op: string(gate.gatePhase), Millis: time.Since(start).Milliseconds()}
	if err != nil {
		ev.Type, ev.Message = EventGateFailed, err.Error()
		r.opts.Events(ev)
		gate.finish(StatusFailed)
		return
	}
	r.opts.Events(ev)
	gate.finish(StatusSucceeded)
}

// execute runs one action, retrying as the package comment says. A
// non-empty result stops the action's host.
func (r *runner) execute(ctx context.Context, n *node) (stopHost string) {
	start := time.Now()
	res := n.item.Resource
	id, op := res.ID().String(), string(n.change.Op)
	limit := stepLimit(res, r.opts.ActionTimeout)
	backoff := r.opts.Backoff
	for attempt := 1; ; attempt++ {
		n.result.Attempts = attempt
		r.opts.Events(Event{Time: time.Now(), Type: EventActionStarted, Host: n.host, Resource: id, Op: op, Attempt: attempt})
		var recID int64
		if rec := r.opts.Recorder; rec != nil {
			var err error
			if recID, err = rec.StartAction(n.host, id, op, attempt); err != nil {
				// Without a durable record the action must not run.
				r.recordFailed("the start of "+n.String(), err)
				r.fail(n, start, fmt.Errorf("not started: %w", r.failure()))
				return ""
			}
		}
		attemptStart := time.Now()
		raw := r.attempt(ctx, n, limit)
		took := time.Since(attemptStart)
		out := r.clean(raw.out)
		f := r.classify(raw, limit, took)
		if f == nil {
			if !r.finish(n, start, recID, StatusSucceeded, out, "") {
				return ""
			}
			r.succeed(n, start, attempt, took, "")
			return ""
		}

		retry, done, stop := r.decide(ctx, n, f, attempt)
		if done {
			// The guard says the step happened: its goal is reached.
			note := f.msg + "; its guard, run again, says the step is done"
			if !r.finish(n, start, recID, StatusSucceeded, out+"\n[fundament: "+note+"]\n", "") {
				return ""
			}
			r.succeed(n, start, attempt, took, note)
			return ""
		}
		status := StatusFailed
		if f.outcome == interrupted {
			status = StatusInterrupted
		}
		if !r.finish(n, start, recID, status, out, f.msg) {
			return ""
		}
		switch {
		case f.outcome == interrupted:
			n.result.Status, n.result.Error, n.result.Duration = StatusInterrupted, f.msg, time.Since(start)
			r.opts.Events(Event{Time: time.Now(), Type: EventActionInterrupted, Host: n.host, Resource: id, Op: op, Attempt: attempt, Message: f.msg})
			n.finish(StatusInterrupted)
			return ""
		case stop != "":
			msg := f.msg + "; " + stop + r.check(n, out)
			r.fail(n, start, fmt.Errorf("%s", msg))
			return fmt.Sprintf("not run: %s stopped after %s %s, whose outcome is unknown (see its error)", n.host, op, id)
		case retry == "":
			r.fail(n, start, fmt.Errorf("%s", f.msg))
			return ""
		}
		r.opts.Events(Event{Time: time.Now(), Type: EventActionRetry, Host: n.host, Resource: id, Op: op, Attempt: attempt,
			Message: fmt.Sprintf("%s; retrying in %s (%s)", f.msg, backoff, retry)})
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			r.fail(n, start, fmt.Errorf("%s (no retry: %s)", f.msg, strings.TrimPrefix(r.notStarted(), "not started: ")))
			return ""
		}
		backoff *= 2
	}
}

// finish records the end of an attempt; false when it could not be
// recorded (the run is aborted and the node failed).
func (r *runner) finish(n *node, start time.Time, recID int64, st Status, out, errText string) bool {
	rec := r.opts.Recorder
	if rec == nil {
		return true
	}
	var err error
	if st == StatusSucceeded {
		err = rec.FinishApplied(recID, out, n.desiredSum)
	} else {
		err = rec.FinishAction(recID, string(st), out, errText)
	}
	if err == nil {
		return true
	}
	r.recordFailed("the end of "+n.String(), err)
	what := "it " + string(st)
	if errText != "" {
		what += " (" + errText + ")"
	}
	r.fail(n, start, fmt.Errorf("%s, but %w", what, r.failure()))
	return false
}

func (r *runner) succeed(n *node, start time.Time, attempt int, took time.Duration, note string) {
	n.result.Status, n.result.Duration = StatusSucceeded, time.Since(start)
	r.opts.Events(Event{Time: time.Now(), Type: EventActionSucceeded, Host: n.host, Resource: n.result.Resource, Op: n.result.Op, Attempt: attempt, Millis: took.Milliseconds(), Message: note})
	n.finish(StatusSucceeded)
}

func (r *runner) fail(n *node, start time.Time, err error) {
	n.result.Status, n.result.Error, n.result.Duration = StatusFailed, err.Error(), time.Since(start)
	r.opts.Events(Event{Time: time.Now(), Type: EventActionFailed, Host: n.host, Resource: n.result.Resource, Op: n.result.Op, Attempt: n.result.Attempts, Message: err.Error()})
	n.finish(StatusFailed)
}

// clean makes output fit to record and show: secrets redacted, control
// characters escaped.
func (r *runner) clean(s string) string { return transport.Printable(r.opts.Redact(s)) }

// check is the end of the report of a host stopped by a step of unknown
// outcome: what to look at before applying again.
func (r *runner) check(n *node, out string) string {
	s := fmt.Sprintf(". Check on %s what it did before applying again (its output: fundament logs); "+
		"a process of it still running there holds %s, and the next apply waits for it. "+
		"The rest of %s's steps are not run in this apply", n.host, resource.HostLockPath, n.host)
	if last := lastLines(out, 2); strings.TrimSpace(last) != "" {
		s += "; its last output: " + last
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
