package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/transport"
)

type runner struct {
	opts  Options
	hosts map[string]transport.Transport
	g     *graph
	slots chan struct{}
}

func (r *runner) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, h := range r.g.hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, n := range r.g.perHost[h] {
				r.runNode(ctx, n)
			}
		}()
	}
	for _, gate := range r.g.gates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runGate(ctx, gate)
		}()
	}
	wg.Wait()
}

// waitDeps blocks until every dependency is finished and says why the node
// cannot run, or "" when it can.
func waitDeps(n *node) string {
	for _, d := range n.deps {
		<-d.done
	}
	for _, d := range n.deps {
		if d.status == StatusSucceeded {
			continue
		}
		switch {
		case d.isGate:
			return fmt.Sprintf("health gate of rolling group %s %s %s did not pass", d.group, d.gatePhase, strings.Join(d.gateHosts, ", "))
		case d.reason != "" && d.status == StatusSkipped && d.result.Resource == "":
			return d.reason
		default:
			return fmt.Sprintf("dependency %s/%s %s", d.host, d.item.Resource.ID(), d.status)
		}
	}
	return ""
}

func (r *runner) runNode(ctx context.Context, n *node) {
	if why := waitDeps(n); why != "" {
		r.skip(n, StatusSkipped, why)
		return
	}
	if ctx.Err() != nil {
		r.skip(n, StatusCancelled, "the run was cancelled before it started")
		return
	}
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		r.skip(n, StatusCancelled, "the run was cancelled before it started")
		return
	}
	defer func() { <-r.slots }()
	r.execute(ctx, n)
}

func (r *runner) skip(n *node, st Status, why string) {
	n.reason = why
	n.result.Status, n.result.Error = st, why
	// The record shows what happened to every planned action, including
	// those that never ran (as "skipped", with the reason).
	if r.opts.Recorder != nil {
		if id, err := r.opts.Recorder.StartAction(n.host, n.result.Resource, n.result.Op, 1); err == nil {
			r.opts.Recorder.FinishAction(id, string(StatusSkipped), "", why)
		}
	}
	r.opts.Events(Event{Time: time.Now(), Type: EventActionSkipped, Host: n.host, Resource: n.result.Resource, Op: n.result.Op, Message: why})
	n.finish(st)
}

func (r *runner) runGate(ctx context.Context, gate *node) {
	if why := waitDeps(gate); why != "" {
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

// execute runs one action with retries. In-flight attempts do not see the
// run's cancellation (they finish and are recorded); retries stop.
func (r *runner) execute(ctx context.Context, n *node) {
	start := time.Now()
	backoff := r.opts.Backoff
	res := n.item.Resource
	id := res.ID().String()
	for attempt := 1; ; attempt++ {
		n.result.Attempts = attempt
		r.opts.Events(Event{Time: time.Now(), Type: EventActionStarted, Host: n.host, Resource: id, Op: string(n.change.Op), Attempt: attempt})
		var recID int64
		if r.opts.Recorder != nil {
			var err error
			if recID, err = r.opts.Recorder.StartAction(n.host, id, string(n.change.Op), attempt); err != nil {
				// Without a durable record the action must not run.
				r.fail(n, start, fmt.Errorf("recording the start of the action: %w", err))
				return
			}
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.ActionTimeout)
		attemptStart := time.Now()
		out, err := r.act(actx, n)
		cancel()
		out = r.opts.Redact(out)
		if err == nil {
			if r.opts.Recorder != nil {
				r.opts.Recorder.FinishAction(recID, string(StatusSucceeded), out, "")
				r.opts.Recorder.SetApplied(n.host, id, n.desiredSum)
			}
			n.result.Status, n.result.Duration = StatusSucceeded, time.Since(start)
			r.opts.Events(Event{Time: time.Now(), Type: EventActionSucceeded, Host: n.host, Resource: id, Op: string(n.change.Op), Attempt: attempt, Millis: time.Since(attemptStart).Milliseconds()})
			n.finish(StatusSucceeded)
			return
		}
		errText := r.opts.Redact(err.Error())
		if r.opts.Recorder != nil {
			r.opts.Recorder.FinishAction(recID, string(StatusFailed), out, errText)
		}
		if !transient(err) || attempt > r.opts.Retries || ctx.Err() != nil {
			r.fail(n, start, errors.New(errText))
			return
		}
		r.opts.Events(Event{Time: time.Now(), Type: EventActionRetry, Host: n.host, Resource: id, Op: string(n.change.Op), Attempt: attempt, Message: fmt.Sprintf("%s; retrying in %s", errText, backoff)})
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			r.fail(n, start, fmt.Errorf("%s (no retry: the run was cancelled)", errText))
			return
		}
		backoff *= 2
	}
}

func (r *runner) fail(n *node, start time.Time, err error) {
	n.result.Status, n.result.Error, n.result.Duration = StatusFailed, err.Error(), time.Since(start)
	r.opts.Events(Event{Time: time.Now(), Type: EventActionFailed, Host: n.host, Resource: n.result.Resource, Op: n.result.Op, Attempt: n.result.Attempts, Message: err.Error()})
	n.finish(StatusFailed)
}

// act performs the action on the host and returns its combined output.
func (r *runner) act(ctx context.Context, n *node) (string, error) {
	res := n.item.Resource
	if lr, ok := res.(resource.LocalRunner); ok {
		return runLocal(ctx, lr, r.opts.LocalEnv)
	}
	t := r.hosts[n.host]
	if t == nil {
		return "", fmt.Errorf("no transport for host %s", n.host)
	}
	var script string
	var stdin []byte
	if n.change.Op == resource.OpRestart {
		rs, ok := res.(resource.Restarter)
		if !ok {
			return "", fmt.Errorf("%s cannot be restarted", res.ID())
		}
		script = rs.RestartScript()
	} else {
		script, stdin = res.Apply(n.change)
	}
	// The host lock keeps this action from running beside one that an
	// interrupted run left behind on the host.
	out, err := t.Run(ctx, resource.WithHostLock(script, false), bytes.NewReader(stdin))
	combined := string(out.Stdout) + string(out.Stderr)
	if err != nil {
		return combined, &transientError{err}
	}
	if out.ExitCode != 0 {
		msg := fmt.Sprintf("exit status %d: %s", out.ExitCode, lastLines(string(out.Stderr), 3))
		if transientOutput(string(out.Stderr)) {
			return combined, &transientError{errors.New(msg)}
		}
		return combined, errors.New(msg)
	}
	return combined, nil
}

// transientError marks failures worth retrying: the connection, not the
// action, failed.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func transient(err error) bool {
	var te *transientError
	return errors.As(err, &te)
}

// transientOutput recognises failures that go away by themselves: another
// dpkg run holding the lock, a mirror that hiccups.
func transientOutput(stderr string) bool {
	for _, s := range []string{"Could not get lock", "Temporary failure resolving", "Connection timed out", "is locked by another process"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// runLocal runs a step on the manager (an Ansible playbook), in a private
// working directory that is removed afterwards (it may hold inventories
// with secrets).
func runLocal(ctx context.Context, lr resource.LocalRunner, env []string) (string, error) {
	dir, err := os.MkdirTemp("", "fundament-local-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	argv, files := lr.LocalCommand(dir)
	for p, data := range files {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return "", err
		}
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), nil
	case errors.As(err, &ee):
		return string(out), fmt.Errorf("%s: exit status %d: %s", argv[0], ee.ExitCode(), lastLines(string(out), 3))
	default:
		return string(out), fmt.Errorf("running %s: %w", argv[0], err)
	}
}
