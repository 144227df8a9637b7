package loadbalancer

import (
	"context"
	"sync"
	"time"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
)

// layer is the health layer of the load balancer's checks.
const layer = "loadbalancer"

// backendsComponent owns the check of HAProxy's backends: a part of the
// component (status --component loadbalancer shows it), but not its own,
// so that the rolling group's gate does not wait for the APIs behind
// HAProxy, which later components deploy.
const backendsComponent = name + "/backends"

// probeReuse is how long a probe's findings serve further checks.
const probeReuse = time.Second

// HealthChecks are the checks of the load balancer: who holds each
// virtual IP, HAProxy and keepalived on each member, and the backends as
// HAProxy sees them. A model the component cannot compile has one check
// that says why.
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	t, err := newTopology(c)
	if err != nil {
		return health.Unavailable(layer, name, err)
	}
	if t == nil {
		return nil
	}
	// One probe of every member serves the four checks of a run, which
	// start together; the next run (status --wait, a gate's next try)
	// probes again.
	var mu sync.Mutex
	var cached []memberView
	var cachedFor *health.Env
	var cachedAt time.Time
	views := func(ctx context.Context, env *health.Env) []memberView {
		mu.Lock()
		defer mu.Unlock()
		if cachedFor != env || time.Since(cachedAt) > probeReuse {
			cached, cachedFor = probeMembers(ctx, env, t), env
			cachedAt = time.Now()
		}
		return cached
	}
	return []health.Check{
		{Layer: layer, Name: "vip", Component: name, Run: func(ctx context.Context, env *health.Env) []health.Result {
			vs := views(ctx, env)
			var out []health.Result
			for _, v := range t.VIPs {
				out = append(out, evaluateVIP(v, vs))
			}
			return out
		}},
		{Layer: layer, Name: "haproxy", Component: name, Run: func(ctx context.Context, env *health.Env) []health.Result {
			var out []health.Result
			for _, v := range views(ctx, env) {
				out = append(out, evaluateHAProxy(t, v))
			}
			return out
		}},
		{Layer: layer, Name: "keepalived", Component: name, Run: func(ctx context.Context, env *health.Env) []health.Result {
			var out []health.Result
			for _, v := range views(ctx, env) {
				out = append(out, evaluateKeepalived(t, v))
			}
			return out
		}},
		{Layer: layer, Name: "haproxy-backends", Component: backendsComponent, Run: func(ctx context.Context, env *health.Env) []health.Result {
			return evaluateBackends(t, views(ctx, env))
		}},
	}
}

// probeMembers runs the probe on every member in parallel.
func probeMembers(ctx context.Context, env *health.Env, t *topology) []memberView {
	hosts := make([]string, len(t.Members))
	for i, m := range t.Members {
		hosts[i] = m.Host
	}
	out := make([]memberView, len(t.Members))
	for i, a := range env.RunEach(ctx, hosts, func(int) string { return probeScript }) {
		if a.Err != nil {
			out[i] = memberView{Host: a.Host, Err: a.Err}
			continue
		}
		out[i] = parseProbe(a.Host, a.Out)
	}
	return out
}
