package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// Options control how a plan is made.
type Options struct {
	Cloud string
	// Parallel bounds how many hosts are observed at once. Default 32.
	Parallel int
	// Applied returns, per resource id, the desired-state digest last
	// applied successfully on host (from the state database). Resources
	// that cannot be observed (commands without a guard, playbooks) are up
	// to date when that digest equals their desired one.
	Applied func(host string) (map[string]string, error)
	// Timeout bounds the observation of one host. Default 2 minutes.
	Timeout time.Duration
	// Redact removes secret values from the hosts' output that a plan
	// keeps (why a host could not be observed): the plan file must hold
	// none. Control characters are escaped after it.
	Redact func(string) string
}

// Observation is what was seen on one host: a state per item, in the
// order of catalog.HostItems.
type Observation struct {
	Host   string
	Items  []*catalog.Item
	States []resource.State
	Err    error
}

// Observe runs one batched observation per host: all of a host's observe
// fragments go in one script, one round trip.
func Observe(ctx context.Context, cat *catalog.Catalog, hosts map[string]transport.Transport, parallel int, timeout time.Duration) map[string]*Observation {
	if parallel <= 0 {
		parallel = 32
	}
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	out := make(map[string]*Observation)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for _, host := range cat.Hosts() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			o := observeHost(ctx, host, cat.HostItems(host), hosts[host], timeout)
			mu.Lock()
			out[host] = o
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func observeHost(ctx context.Context, host string, items []*catalog.Item, t transport.Transport, timeout time.Duration) *Observation {
	o := &Observation{Host: host, Items: items, States: make([]resource.State, len(items))}
	if t == nil {
		o.Err = fmt.Errorf("no transport for host %s", host)
		return o
	}
	rs := make([]resource.Resource, len(items))
	for i, it := range items {
		rs[i] = it.Resource
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// A shared hold on the host lock: an action still running from an
	// interrupted run is waited for, not observed half done.
	batch := resource.ObserveBatch(rs)
	res, err := t.Run(ctx, resource.WithHostLock(batch.Script, true), nil)
	if err != nil {
		o.Err = err
		return o
	}
	sections, err := batch.Split(string(res.Stdout))
	if err != nil {
		o.Err = fmt.Errorf("observing %s: %w (exit %d, stderr: %s)", host, err, res.ExitCode, firstLine(res.Stderr))
		return o
	}
	var errs []error
	for i, sec := range sections {
		st, err := rs[i].Parse(sec.Stdout, sec.ExitCode)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rs[i].ID(), err))
			continue
		}
		o.States[i] = st
	}
	o.Err = errors.Join(errs...)
	return o
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// Make observes every host of the catalog and plans the changes.
func Make(ctx context.Context, cat *catalog.Catalog, hosts map[string]transport.Transport, opts Options) (*Plan, error) {
	obs := Observe(ctx, cat, hosts, opts.Parallel, opts.Timeout)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	redact := opts.Redact
	if redact == nil {
		redact = func(s string) string { return s }
	}
	p := &Plan{FormatVersion: FormatVersion, Cloud: opts.Cloud, CreatedAt: time.Now().UTC(), DesiredHash: cat.Hash()}
	changed := map[catalog.Ref]bool{}
	byRef := map[catalog.Ref]*ItemPlan{}
	for _, host := range cat.Hosts() {
		o := obs[host]
		hp := &HostPlan{Host: host, Reachable: o.Err == nil}
		p.Hosts = append(p.Hosts, hp)
		if o.Err != nil {
			// The error may quote the host's output (its stderr).
			hp.Error = transport.Printable(redact(o.Err.Error()))
			var ue *transport.UnreachableError
			if !errors.As(o.Err, &ue) {
				// Reachable but unreadable: still a failure to plan the host.
				hp.Error = "observation failed: " + hp.Error
			}
			continue
		}
		var applied map[string]string
		if opts.Applied != nil {
			a, err := opts.Applied(host)
			if err != nil {
				return nil, fmt.Errorf("reading what was applied on %s: %w", host, err)
			}
			applied = a
		}
		ids := make([]string, len(o.Items))
		for i, it := range o.Items {
			r := it.Resource
			ids[i] = r.ID().String()
			desired := r.Desired().Hash()
			ch := r.Plan(o.States[i])
			// Steps that cannot observe their own completion (commands
			// without a guard, playbooks) are done when the state database
			// recorded them done with this very digest.
			if rec, ok := r.(resource.Recorded); ok && rec.Digest() != "" {
				desired = rec.Digest()
				if ch.Op == resource.OpRun && applied[ids[i]] == desired {
					ch = resource.Change{Op: resource.OpNone, Reason: "already ran with this desired state"}
				}
			}
			ip := &ItemPlan{Ref: it.Ref(), Component: it.Component, DesiredHash: desired, Change: ch, Group: it.Group}
			hp.Items = append(hp.Items, ip)
			byRef[ip.Ref] = ip
			if ch.Op != resource.OpNone {
				changed[ip.Ref] = true
			}
		}
		hp.ObservedHash = observedHash(ids, o.States)
	}
	// A resource subscribed to one that changes acts again: a service
	// restarts, a command runs. Catalog order puts subscriptions first.
	for _, it := range cat.Order() {
		ip := byRef[it.Ref()]
		if ip == nil {
			continue
		}
		var causes []string
		for _, s := range it.Subscribes {
			if changed[s] {
				causes = append(causes, s.ID.String())
			}
		}
		if len(causes) == 0 {
			continue
		}
		if ip.Change.Op != resource.OpNone {
			ip.Change.Restart = true
			if ip.Change.Reason == "" {
				ip.Change.Reason = "and restarts: " + strings.Join(causes, ", ") + " changes"
			}
			continue
		}
		op := resource.OpRun
		if _, ok := it.Resource.(resource.Restarter); ok {
			op = resource.OpRestart
		}
		ip.Change = resource.Change{Op: op, Reason: strings.Join(causes, ", ") + " changes"}
		changed[ip.Ref] = true
	}
	return p, nil
}

// CheckFresh refuses a saved plan when the desired state or what the hosts
// have changed since it was made (the Nomad -check-index idea).
func CheckFresh(saved *Plan, cat *catalog.Catalog, current *Plan) error {
	if saved.DesiredHash != cat.Hash() {
		return errors.New("the plan is stale: the configuration repository changed since the plan was made; run `fundament plan` again")
	}
	var stale []string
	for _, h := range saved.Hosts {
		cur := current.Host(h.Host)
		switch {
		case cur == nil:
			stale = append(stale, h.Host+" (no longer in the catalog)")
		case !h.Reachable:
			// Planned while down: its changes were never planned, so the
			// plan cannot apply them; it stays skipped.
		case !cur.Reachable:
			stale = append(stale, h.Host+" (unreachable now: "+cur.Error+")")
		case cur.ObservedHash != h.ObservedHash:
			stale = append(stale, h.Host)
		default:
			// The hosts look the same, but the plan made now may still
			// differ: a step without a trace on the host (a command
			// without a guard, a playbook) was recorded done by another
			// apply meanwhile, or the file was edited.
			if d := differs(h, cur); d != "" {
				stale = append(stale, h.Host+" ("+d+")")
			}
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("the plan is stale: %s changed since the plan was made; run `fundament plan` again", strings.Join(stale, ", "))
	}
	return nil
}

// differs compares the changes of a host's saved and current plans and
// describes the first difference ("" when there is none).
func differs(saved, cur *HostPlan) string {
	now := make(map[catalog.Ref]*ItemPlan, len(cur.Items))
	for _, it := range cur.Items {
		now[it.Ref] = it
	}
	if len(saved.Items) != len(cur.Items) {
		return fmt.Sprintf("%d resources when planned, %d now", len(saved.Items), len(cur.Items))
	}
	for _, it := range saved.Items {
		c := now[it.Ref]
		switch {
		case c == nil:
			return it.Ref.ID.String() + " is no longer planned"
		case c.Change.Op != it.Change.Op:
			return fmt.Sprintf("%s: %s when planned, %s now", it.Ref.ID, it.Change.Op, c.Change.Op)
		case c.DesiredHash != it.DesiredHash || !sameChange(c.Change, it.Change):
			return it.Ref.ID.String() + " changes otherwise now"
		}
	}
	return ""
}

func sameChange(a, b resource.Change) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}
