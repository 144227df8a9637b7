// Package engine applies a plan: a DAG of actions (one per resource that
// changes) executed with hosts in parallel, dependencies respected (on a
// host, across hosts, through rolling groups with health gates), retries
// with backoff for transient failures, per-action timeouts, and a durable
// record of every attempt. A failure skips what depends on it and nothing
// else. Cancelling the context stops new actions; actions in flight finish
// and are recorded.
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
	EventActionRetry     = "action-retry"
	EventActionSkipped   = "action-skipped"
	EventGatePassed      = "gate-passed"
	EventGateFailed      = "gate-failed"
	EventHostSkipped     = "host-skipped"
)

// Recorder keeps the durable record of a run (package state).
type Recorder interface {
	// StartAction is durable before the action runs.
	StartAction(host, resource, op string, attempt int) (int64, error)
	FinishAction(id int64, status, output, errText string) error
	// SetApplied records the desired state applied successfully.
	SetApplied(host, resource, desiredHash string) error
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
	// Retries of an action after a transient failure. Default 2.
	Retries int
	// Backoff before the first retry; it doubles each time. Default 2s.
	Backoff time.Duration
	// ActionTimeout bounds one attempt. Default 10 minutes.
	ActionTimeout time.Duration
	Gate          Gate
	Recorder      Recorder
	Events        func(Event)
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
	return !s.Cancelled && len(s.HostsSkipped) == 0 && s.Count(StatusSucceeded) == len(s.Results)
}

// Apply executes the plan's changes using the catalog's resources.
// The caller has checked that the plan is fresh (plan.CheckFresh).
func Apply(ctx context.Context, cat *catalog.Catalog, p *plan.Plan, hosts map[string]transport.Transport, opts Options) *Summary {
	opts.defaults()
	start := time.Now()
	g := buildGraph(cat, p)
	r := &runner{opts: opts, hosts: hosts, g: g, slots: make(chan struct{}, opts.Parallel)}
	r.run(ctx)
	sum := &Summary{Duration: time.Since(start), Cancelled: ctx.Err() != nil, HostsSkipped: g.unreachable}
	for _, n := range g.actions {
		sum.Results = append(sum.Results, n.result)
	}
	for _, h := range g.unreachable {
		opts.Events(Event{Time: time.Now(), Type: EventHostSkipped, Host: h, Message: "unreachable when planned"})
	}
	return sum
}
