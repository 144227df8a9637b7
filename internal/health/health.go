// Package health holds the checks of the cloud's layers (fabric, OVN,
// databases, ...): what `fundament status` reports and what apply's
// health gates wait for. Components contribute checks; a check runs
// commands on hosts through their transports and says OK, DEGRADED or
// DOWN with a reason.
package health

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// Status is a check's verdict; a higher one is worse.
type Status int

const (
	OK Status = iota
	Degraded
	Down
)

func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Degraded:
		return "DEGRADED"
	}
	return "DOWN"
}

func (s Status) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

func (s *Status) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	for _, x := range []Status{OK, Degraded, Down} {
		if x.String() == v {
			*s = x
			return nil
		}
	}
	return fmt.Errorf("health status %q: want OK, DEGRADED or DOWN", v)
}

// Result is what one check found about one target.
type Result struct {
	Layer  string `json:"layer"`  // fabric, ovn, ...
	Check  string `json:"check"`  // bgp-sessions, ovn-nb-cluster, ...
	Target string `json:"target"` // a switch, a host, a cluster
	Status Status `json:"status"`
	Reason string `json:"reason"`
	// Hosts are the hosts and switches the result is about: a gate waits
	// for the results that name a host of its batch.
	Hosts []string `json:"hosts,omitempty"`
	// PendingRestart marks a finding that the hosts serve, but with an
	// older configuration than the one applied (a size, a password): a
	// rolling restart is what repairs it. A gate before restarting one
	// member must not wait for the others to be repaired too, or the
	// roll could never start; the gate after a member's restart counts
	// it.
	PendingRestart bool `json:"pending_restart,omitempty"`
}

// Env is what checks work with: the model and a transport per host and
// switch (one that fails on use where a node could not be reached).
type Env struct {
	Cloud   *model.Cloud
	Targets map[string]transport.Transport
}

// Run runs a script on a target; a target without a transport, or one the
// script fails on, is an error that says which.
func (e *Env) Run(ctx context.Context, target, script string) (string, error) {
	t := e.Targets[target]
	if t == nil {
		return "", fmt.Errorf("%s is not reachable (no connection)", target)
	}
	res, err := t.Run(ctx, script, nil)
	if err != nil {
		return string(res.Stdout), err
	}
	if res.ExitCode != 0 {
		msg := strings.TrimSpace(string(res.Stderr))
		if msg == "" {
			msg = strings.TrimSpace(string(res.Stdout))
		}
		return string(res.Stdout), fmt.Errorf("exit status %d: %s", res.ExitCode, FirstLine(msg))
	}
	return string(res.Stdout), nil
}

// Check is one kind of check, run over the whole cloud.
type Check struct {
	Layer, Name string
	// Component owns the check; its rolling groups gate on it.
	Component string
	Run       func(ctx context.Context, env *Env) []Result
}

// Provider is a component with checks.
type Provider interface {
	HealthChecks(c *model.Cloud) []Check
}

// RunAll runs the checks concurrently and returns their results, sorted
// by layer, check and target.
func RunAll(ctx context.Context, env *Env, checks []Check) []Result {
	var mu sync.Mutex
	var out []Result
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs := c.Run(ctx, env)
			for i := range rs {
				rs[i].Layer, rs[i].Check = c.Layer, c.Name
			}
			mu.Lock()
			out = append(out, rs...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Layer != b.Layer {
			return a.Layer < b.Layer
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.Target < b.Target
	})
	return out
}

// Worst is the worst status of the results (OK when there are none).
func Worst(rs []Result) Status {
	w := OK
	for _, r := range rs {
		w = max(w, r.Status)
	}
	return w
}

// About returns the results that name one of hosts.
func About(rs []Result, hosts []string) []Result {
	want := map[string]bool{}
	for _, h := range hosts {
		want[h] = true
	}
	var out []Result
	for _, r := range rs {
		for _, h := range r.Hosts {
			if want[h] {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// Serving drops the findings a restart repairs (PendingRestart): what is
// left says whether the hosts serve.
func Serving(rs []Result) []Result {
	var out []Result
	for _, r := range rs {
		if !r.PendingRestart {
			out = append(out, r)
		}
	}
	return out
}

// FirstLine is the first line of a tool's output for a check's detail,
// cut at 200 bytes.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	return line
}

// Unavailable is the one check of a component whose part of the model it
// cannot read (a host without the address its service listens on, say):
// named <component>-model, DOWN on target component with the reason, so
// that status says why instead of checking nothing.
func Unavailable(layer, component string, err error) []Check {
	return []Check{{Layer: layer, Name: component + "-model", Component: component,
		Run: func(context.Context, *Env) []Result {
			return []Result{{Target: component, Status: Down, Reason: err.Error()}}
		}}}
}

// Answer is what a script printed on one host, or why it did not run
// there.
type Answer struct {
	Host string
	Out  string
	Err  error
}

// JSON is an answer's output decoded as a T: the helpers on the hosts
// that print what they found as JSON. The error is the answer's own, or
// why its output is not the JSON expected.
func JSON[T any](a Answer) (T, error) {
	var v T
	if a.Err != nil {
		return v, a.Err
	}
	if err := json.Unmarshal([]byte(a.Out), &v); err != nil {
		return v, fmt.Errorf("unreadable answer of the health command: %w", err)
	}
	return v, nil
}

// RunEach runs script(i) on hosts[i], on every host at once, and returns
// the answers in the hosts' order.
func (e *Env) RunEach(ctx context.Context, hosts []string, script func(i int) string) []Answer {
	out := make([]Answer, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stdout, err := e.Run(ctx, h, script(i))
			out[i] = Answer{Host: h, Out: stdout, Err: err}
		}()
	}
	wg.Wait()
	return out
}
