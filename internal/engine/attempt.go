package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// outcome is what is known of a failed attempt.
type outcome int

const (
	failed      outcome = iota // it ran and failed by itself (or could not be run at all)
	notRun                     // nothing ran: the host could not be reached
	unknown                    // cut short (its time ran out, the connection dropped): it may have partly run
	interrupted                // in flight when the run was cancelled, stopped after the grace
)

// failure is why an attempt failed. msg is redacted and printable.
type failure struct {
	msg     string
	outcome outcome
	// passing: it ran and failed with an error that passes by itself
	// (another dpkg run holds the lock, a mirror hiccups).
	passing bool
}

var (
	errTimedOut    = errors.New("the step's time limit passed")
	errInterrupted = errors.New("the run was cancelled")
)

// A step with a declared timeout enforces it on the host, from when it
// holds the host lock (timeout(1): TERM, KILL 10 s later, exit status 124
// or 137). The manager waits for that exit status as long as the host
// lock may keep the step waiting (resource.WithHostLock gives up after an
// hour) and declaredMargin more, before it gives up on the connection.
const (
	hostLockWait   = time.Hour
	declaredMargin = 30 * time.Second
)

// recheckTimeout bounds running a guard again after an attempt of
// unknown outcome (resource.GuardTimeout, and the wait for the host lock
// that a process of the step may still hold).
const recheckTimeout = 5 * time.Minute

// limit is a step's time limit.
type limit struct {
	d        time.Duration
	declared bool
}

func stepLimit(res resource.Resource, def time.Duration) limit {
	if d := resource.StepTimeout(res); d > 0 {
		return limit{d, true}
	}
	return limit{def, false}
}

func (l limit) String() string {
	if l.declared {
		return l.d.String() + " (its declared timeout)"
	}
	return l.d.String() + " (the time limit of steps that declare none)"
}

// stepResult is what running a step gave.
type stepResult struct {
	out    string // stdout and stderr
	stderr string
	exit   int
	err    error // it could not run, or was cut short
	// definite: err says it failed for good (it could not be run at all,
	// or a step on the manager exited non-zero).
	definite bool
	cause    error // why the attempt's context ended; nil when it had not
}

// attempt runs one attempt under its own context: that ends when the
// step's time limit passes, or a grace after the run's context ends (not
// at once: a step about to finish is recorded finished).
func (r *runner) attempt(ctx context.Context, n *node, l limit) stepResult {
	wait := l.d
	if l.declared {
		wait += hostLockWait + declaredMargin
	}
	base, interrupt := context.WithCancelCause(context.WithoutCancel(ctx))
	defer interrupt(nil)
	actx, cancel := context.WithTimeoutCause(base, wait, errTimedOut)
	defer cancel()
	unwatch := context.AfterFunc(ctx, func() {
		time.AfterFunc(r.opts.Grace, func() { interrupt(errInterrupted) })
	})
	defer unwatch()
	res := r.act(actx, n)
	res.cause = context.Cause(actx)
	return res
}

// act performs the action on the host.
func (r *runner) act(ctx context.Context, n *node) stepResult {
	res := n.item.Resource
	if lr, ok := res.(resource.LocalRunner); ok {
		out, err := runLocal(ctx, lr, r.opts.LocalEnv)
		return stepResult{out: out, stderr: out, err: err, definite: err != nil}
	}
	t := r.hosts[n.host]
	if t == nil {
		return stepResult{err: fmt.Errorf("no transport for host %s", n.host), definite: true}
	}
	var script string
	var stdin []byte
	if n.change.Op == resource.OpRestart {
		rs, ok := res.(resource.Restarter)
		if !ok {
			return stepResult{err: fmt.Errorf("%s cannot be restarted", res.ID()), definite: true}
		}
		script = rs.RestartScript()
	} else {
		script, stdin = res.Apply(n.change)
	}
	// The host lock keeps this action from running beside one that an
	// interrupted run left behind on the host.
	out, err := t.Run(ctx, resource.WithHostLock(script, false), bytes.NewReader(stdin))
	var auth *transport.AuthError
	var key *transport.HostKeyMismatchError
	return stepResult{out: string(out.Stdout) + string(out.Stderr), stderr: string(out.Stderr), exit: out.ExitCode,
		err: err, definite: errors.As(err, &auth) || errors.As(err, &key)}
}

// classify says what is known of a finished attempt; nil when it
// succeeded.
func (r *runner) classify(s stepResult, l limit, took time.Duration) *failure {
	took = took.Round(100 * time.Millisecond)
	switch {
	case s.err == nil && s.exit == 0:
		return nil
	case errors.Is(s.cause, errInterrupted):
		return &failure{outcome: interrupted, msg: fmt.Sprintf("interrupted: the run was cancelled and the step did not end within the grace of %s; "+
			"stopped after %s, it may have partly run (a process of it that survives holds %s on the host, and the next apply waits for it)",
			r.opts.Grace, took, resource.HostLockPath)}
	case errors.Is(s.cause, errTimedOut) && l.declared:
		return &failure{outcome: unknown, msg: fmt.Sprintf("no answer from the host after %s (its declared timeout is %s; a wait for the host lock included)", took, l.d)}
	case errors.Is(s.cause, errTimedOut):
		return &failure{outcome: unknown, msg: fmt.Sprintf("timed out after %s; the attempt took %s (a wait for the host lock included)", l, took)}
	case s.err != nil && s.definite:
		return &failure{outcome: failed, msg: r.clean(s.err.Error())}
	case s.err != nil:
		var ue *transport.UnreachableError
		if errors.As(s.err, &ue) {
			return &failure{outcome: notRun, msg: r.clean(s.err.Error())}
		}
		return &failure{outcome: unknown, msg: fmt.Sprintf("%s; the attempt took %s (a wait for the host lock included)", r.clean(s.err.Error()), took)}
	case l.declared && (s.exit == 124 || s.exit == 137) && took >= l.d:
		return &failure{outcome: unknown, msg: fmt.Sprintf("timed out after %s (exit status %d of timeout); the attempt took %s, a wait for the host lock included", l, s.exit, took)}
	}
	return &failure{outcome: failed, passing: transientOutput(s.stderr),
		msg: fmt.Sprintf("exit status %d: %s", s.exit, lastLines(r.clean(s.stderr), 3))}
}

// decide what follows a failed attempt: retry (why, "" for no), done (the
// step's guard, run again, says it happened: a success) or stop (the
// host's run stops here, and why). It may add to f.msg why there is no
// retry.
func (r *runner) decide(ctx context.Context, n *node, f *failure, attempt int) (retry string, done bool, stop string) {
	left := attempt <= r.opts.Retries && ctx.Err() == nil
	res := n.item.Resource
	idempotent := resource.IsIdempotent(res)
	switch f.outcome {
	case notRun:
		if left {
			return "it did not start", false, ""
		}
	case failed:
		if !f.passing || !left {
			return "", false, ""
		}
		if idempotent {
			return "the error passes, and the step is idempotent", false, ""
		}
		if !guarded(res) {
			f.msg += "; not retried: it is not declared idempotent"
			return "", false, ""
		}
		isDone, err := r.recheck(ctx, n)
		switch {
		case err != nil:
			f.msg += "; not retried: its guard could not tell whether it happened: " + r.clean(err.Error())
		case isDone:
			return "", true, ""
		default:
			return "the error passes, and its guard says the step has not happened", false, ""
		}
	case unknown:
		if idempotent {
			if left {
				return "it is idempotent", false, ""
			}
			return "", false, ""
		}
		if !guarded(res) {
			return "", false, "it may have partly run, and it is not run again: it is not declared idempotent and has no guard to tell whether it happened"
		}
		isDone, err := r.recheck(ctx, n)
		switch {
		case err != nil:
			return "", false, "it may have partly run, and it is not run again: it is not declared idempotent, and its guard could not tell whether it happened (" +
				r.clean(err.Error()) + ")"
		case isDone:
			return "", true, ""
		case left:
			return "its guard says the step has not happened", false, ""
		}
		f.msg += "; its guard says the step has not happened"
	}
	return "", false, ""
}

// guarded: the resource can tell whether its step happened (a command's
// guard); steps on the manager cannot.
func guarded(res resource.Resource) bool {
	if _, local := res.(resource.LocalRunner); local {
		return false
	}
	return res.Observe() != ""
}

// recheck observes the resource again, as the plan did: whether its step
// is done now.
func (r *runner) recheck(ctx context.Context, n *node) (bool, error) {
	t := r.hosts[n.host]
	if t == nil {
		return false, fmt.Errorf("no transport for host %s", n.host)
	}
	res := n.item.Resource
	ctx, cancel := context.WithTimeout(ctx, recheckTimeout)
	defer cancel()
	b := resource.ObserveBatch([]resource.Resource{res})
	// A shared hold on the host lock, as the plan's observation: a
	// process of the step that still runs is waited for, not observed
	// half done.
	out, err := t.Run(ctx, resource.WithHostLock(b.Script, true), nil)
	if err != nil {
		return false, err
	}
	secs, err := b.Split(string(out.Stdout))
	if err != nil {
		return false, fmt.Errorf("%w (exit status %d)", err, out.ExitCode)
	}
	st, err := res.Parse(secs[0].Stdout, secs[0].ExitCode)
	if err != nil {
		return false, err
	}
	if e := st["guard_exit"]; e == "124" || e == "137" {
		return false, fmt.Errorf("the guard timed out after %s", resource.GuardTimeout)
	}
	return res.Plan(st).Op == resource.OpNone, nil
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
