package fabric

import (
	"context"
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
	rfabric "github.com/fundament-cloud/fundament/internal/render/fabric"
	"github.com/fundament-cloud/fundament/internal/resource"
)

const layer = "fabric"

// HealthChecks: the BGP sessions of every switch (established against the
// switch-to-switch cables of the model), and every loopback reachable
// from every switch, sourced from its own loopback (what the fabric
// routes, not the management network).
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	if len(c.Network.Switches) == 0 {
		return nil
	}
	return []health.Check{
		{Layer: layer, Name: "bgp-sessions", Component: name, Run: checkSessions},
		{Layer: layer, Name: "loopbacks", Component: name, Run: checkLoopbacks},
	}
}

func checkSessions(ctx context.Context, env *health.Env) []health.Result {
	view, err := rfabric.Of(env.Cloud)
	if err != nil {
		return []health.Result{{Target: "fabric", Status: health.Down, Reason: err.Error()}}
	}
	var out []health.Result
	for _, s := range env.Cloud.Network.Switches {
		sw := view[s.Name]
		r := health.Result{Target: s.Name, Hosts: []string{s.Name}}
		var expected []string
		for _, u := range sw.Uplinks {
			expected = append(expected, u.Port)
		}
		stdout, err := env.Run(ctx, s.Name, "vtysh -c 'show bgp summary json'")
		var peers map[string]bgpPeer
		if err == nil {
			peers, err = parseBGPSummary(stdout)
		}
		up, down := sessionVerdict(expected, peers)
		switch {
		case err != nil:
			r.Status, r.Reason = health.Down, err.Error()
		case len(down) == 0:
			r.Status, r.Reason = health.OK, fmt.Sprintf("%d/%d sessions established", up, len(expected))
		case up > 0:
			r.Status, r.Reason = health.Degraded, fmt.Sprintf("%d/%d sessions established; down: %s", up, len(expected), strings.Join(down, ", "))
		default:
			r.Status, r.Reason = health.Down, fmt.Sprintf("no session established; down: %s", strings.Join(down, ", "))
		}
		out = append(out, r)
	}
	return out
}

func checkLoopbacks(ctx context.Context, env *health.Env) []health.Result {
	var out []health.Result
	for _, s := range env.Cloud.Network.Switches {
		r := health.Result{Target: s.Name, Hosts: []string{s.Name}}
		var others []string
		for _, o := range env.Cloud.Network.Switches {
			if o.Name != s.Name && o.Loopback.IsValid() {
				others = append(others, o.Loopback.String())
			}
		}
		script := fmt.Sprintf("for a in %s; do ping -n -q -c 1 -W 1 -I %s \"$a\" >/dev/null 2>&1 || echo \"unreachable $a\" & done; wait",
			strings.Join(others, " "), resource.Quote(s.Loopback.String()))
		stdout, err := env.Run(ctx, s.Name, script)
		bad := parseUnreachable(stdout)
		switch {
		case err != nil:
			r.Status, r.Reason = health.Down, err.Error()
		case len(bad) == 0:
			r.Status, r.Reason = health.OK, fmt.Sprintf("%d/%d loopbacks reachable", len(others), len(others))
		case len(bad) < len(others):
			r.Status, r.Reason = health.Degraded, fmt.Sprintf("%d/%d loopbacks reachable; unreachable: %s", len(others)-len(bad), len(others), strings.Join(bad, ", "))
		default:
			r.Status, r.Reason = health.Down, "no other loopback reachable: "+strings.Join(bad, ", ")
		}
		out = append(out, r)
	}
	return out
}
