// Package engine applies a plan: a DAG of actions (one per resource that
// changes) executed with hosts in parallel, dependencies respected (on a
// host, across hosts, through rolling groups with health gates), and a
// durable record of every attempt; a failure to record stops the run.
// The graph is checked for cycles before anything runs. A failure skips
// what depends on it and nothing else.
//
// Each step runs under its own declared time limit (resource.StepTimeout)
// or, declaring none, Options.ActionTimeout. A step that fails without
// having run (its host unreachable) is retried. One whose outcome is
// unknown (its time ran out, the connection dropped: it may have partly
// run) is retried only when it is idempotent (resource.IsIdempotent) or
// its guard, run again, says it has not happened; a guard saying it has
// counts as success. Otherwise the host's run stops there, with a report
// of what ran, for how long, and what to check. A step that ran and
// failed is retried only when its error is one that passes (a dpkg lock)
// and it may run again.
//
// Cancelling the context ends every wait at once: no new action starts;
// actions in flight get Options.Grace to finish, then they are stopped
// (the SSH transport kills the step's processes on the host) and recorded
// interrupted. A process of the step that survives keeps holding the
// host's lock (resource.WithHostLock), so the next apply waits for it
// instead of running beside it.
package engine

import (
	"context"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/plan"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// Event is a progress report; the CLI renders them live on a terminal or
// as JSON lines with -o json.
type Event struct {
	Time     time.Time `json:"time"`
	Type     string    `json:"type"`
	Host     string    `json:"host,omitempty"`
	Resource string    `json:"resource,omitempty"`
	Op       string    `json:"op,omitempty"`
	Attempt  int       `json:"attempt,omitempty"`
	Millis   int64     `json:"duration_ms,omitempty"`
	Message  string    `json:"message,omitempty"`
}

// Event types.
const (
	EventActionStarted   = "action-started"
	EventActionSucceeded = "action-succeeded"
	EventActionFailed    = "action-failed"
	// EventActionInterrupted: the run was cancelled and the action, in
	// flight, did not end within the grace.
	EventActionInterrupted = "action-interrupted"
	EventActionRetry       = "action-retry"
	EventActionSkipped     = "action-skipped"
	EventGatePassed        = "gate-passed"
	EventGateFailed        = "gate-failed"
	EventHostSkipped       = "host-skipped"
)

// Recorder keeps the durable record of a run (package state). An error
// of any of its methods stops the run: what is not recorded must not
// happen.
type Recorder interface {
	// StartAction is durable before the action runs.
	StartAction(host, resource, op string, attempt int) (int64, error)
	FinishAction(id int64, status, output, errText string) error
	// FinishApplied records the action succeeded and the desired state it
	// applied, in one transaction.
	FinishApplied(id int64, output, desiredHash string) error
}

// Gate is a health gate of a rolling group. After a batch (GateAfter) it
// returns nil when the batch's hosts are healthy enough for the next batch
// to start. Before a batch that restarts a running service (GateBefore) it
// returns nil when the group's other hosts are healthy, so that taking
// this batch down cannot cost the cluster its quorum.
type Gate func(ctx context.Context, group string, hosts []string, phase GatePhase) error

// GatePhase says when a gate runs.
type GatePhase string

const (
	GateBefore GatePhase = "before"
	GateAfter  GatePhase = "after"
)

// Options control an apply.
type Options struct {
	// Parallel bounds the actions running at once; each host runs one
	// action at a time. Default 16.
	Parallel int
	// Retries of an action after a failure that may be retried (see the
	// package comment); 0 for none.
	Retries int
	// Backoff before the first retry; it doubles each time. Default 2s.
	Backoff time.Duration
	// ActionTimeout bounds one attempt of a step that declares no time
	// limit of its own, a wait for the host lock included; a declared one
	// (resource.StepTimeout) replaces it, longer or shorter, and counts
	// on the host from when the step holds the lock. Default 10 minutes.
	ActionTimeout time.Duration
	// Grace is how long actions in flight may go on once the run is
	// cancelled, before they are stopped and recorded interrupted.
	// Default 3 seconds.
	Grace    time.Duration
	Gate     Gate
	Recorder Recorder
	Events   func(Event)
	// Redact removes secret values from output before it is recorded or
	// shown.
	Redact func(string) string
	// LocalEnv is added to the environment of steps run on the manager
	// (resource.LocalRunner: Ansible), e.g. the SSH options that make
	// them reach the hosts the way the engine does.
	LocalEnv []string
}

func (o *Options) defaults() {
	if o.Parallel <= 0 {
		o.Parallel = 16
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.ActionTimeout <= 0 {
		o.ActionTimeout = 10 * time.Minute
	}
	if o.Grace <= 0 {
		o.Grace = 3 * time.Second
	}
	if o.Events == nil {
		o.Events = func(Event) {}
	}
	if o.Redact == nil {
		o.Redact = func(s string) string { return s }
	}
}

// Status of an action at the end of a run.
type Status string

const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusSkipped   Status = "skipped"   // a dependency failed or its host is down
	StatusCancelled Status = "cancelled" // never started: the run was cancelled
	// StatusInterrupted: in flight when the run was cancelled, stopped
	// after the grace; it may have partly run.
	StatusInterrupted Status = "interrupted"
)

// Result is what happened to one planned action.
type Result struct {
	Host     string        `json:"host"`
	Resource string        `json:"resource"`
	Op       string        `json:"op"`
	Status   Status        `json:"status"`
	Attempts int           `json:"attempts"`
	Duration time.Duration `json:"duration_ns"`
	Error    string        `json:"error,omitempty"`
}

// Summary is the outcome of a run.
type Summary struct {
	Results   []Result      `json:"results"`
	Duration  time.Duration `json:"duration_ns"`
	Cancelled bool          `json:"cancelled"`
	// HostsSkipped were unreachable when planned.
	HostsSkipped []string `json:"hosts_skipped,omitempty"`
	// Error is why the run as a whole failed: its graph has a cycle, or
	// the state database could not record it.
	Error string `json:"error,omitempty"`
}

// Count returns the number of results with status s.
func (s *Summary) Count(st Status) int {
	n := 0
	for _, r := range s.Results {
		if r.Status == st {
			n++
		}
	}
	return n
}

// OK reports whether every action succeeded and nothing was skipped.
func (s *Summary) OK() bool {
	return !s.Cancelled && s.Error == "" && len(s.HostsSkipped) == 0 && s.Count(StatusSucceeded) == len(s.Results)
}

// Apply executes the plan's changes using the catalog's resources.
// The caller has checked that the plan is fresh (plan.CheckFresh).
func Apply(ctx context.Context, cat *catalog.Catalog, p *plan.Plan, hosts map[string]transport.Transport, opts Options) *Summary {
	return applyGraph(ctx, buildGraph(cat, p), hosts, opts)
}

func applyGraph(ctx context.Context, g *graph, hosts map[string]transport.Transport, opts Options) *Summary {
	opts.defaults()
	start := time.Now()
	r := &runner{opts: opts, hosts: hosts, g: g, slots: make(chan struct{}, opts.Parallel)}
	if err := g.checkCycles(); err != nil {
		r.refuse(err)
	} else {
		r.run(ctx)
	}
	sum := &Summary{Duration: time.Since(start), Cancelled: ctx.Err() != nil, HostsSkipped: g.unreachable}
	if err := r.failure(); err != nil {
		sum.Error = err.Error()
	}
	for _, n := range g.actions {
		sum.Results = append(sum.Results, n.result)
	}
	for _, h := range g.unreachable {
		opts.Events(Event{Time: time.Now(), Type: EventHostSkipped, Host: h, Message: "unreachable when planned"})
	}
	return sum
}
