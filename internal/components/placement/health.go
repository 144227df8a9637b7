package placement

import (
	"context"
	"fmt"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
)

// layer is the health layer of Placement's checks.
const layer = "placement"

// HealthChecks is one check, placement-api, run on every Placement host:
// the host's own Placement (past HAProxy, so that a dead member is
// named) and Placement through the internal virtual IP each answer the
// version document, and refuse resource providers to a request without
// a token (Keystone's middleware is in place). Its results:
//
//   - one per host (the host): OK when its Placement answered as it
//     should, DOWN otherwise;
//   - internal-vip: OK when every host that could ask reached Placement
//     through the virtual IP, DEGRADED when some could not, DOWN when
//     none could. It names every Placement host: a rolling restart goes
//     on only while clients reach Placement.
//
// An authenticated call (a token, the resource providers) is the lab
// test's, with Debian's openstack client: the check runs at every gate
// and needs no password on the host beyond placement.conf's.
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	hosts := Hosts(c)
	if len(hosts) == 0 {
		return nil
	}
	t, err := newTarget(c, hosts)
	if err != nil {
		return health.Unavailable(layer, "placement", err)
	}
	return []health.Check{{Layer: layer, Name: "placement-api", Component: "placement",
		Run: func(ctx context.Context, env *health.Env) []health.Result {
			return t.evaluate(t.ask(ctx, env))
		}}}
}

// target is what the check asks.
type target struct {
	hosts    []string
	backends []string // each host's own Placement
	vip      string   // the internal endpoint
}

func newTarget(c *model.Cloud, hosts []*model.Host) (*target, error) {
	vip, ok := endpoint.URL(c, endpoint.Internal, Service.Endpoint())
	if !ok {
		return nil, fmt.Errorf("the cloud has no internal virtual IP for Placement's endpoint")
	}
	t := &target{vip: vip}
	backends, err := endpoint.Backends(c, hosts, "Placement listens there")
	if err != nil {
		return nil, err
	}
	for _, b := range backends {
		t.hosts = append(t.hosts, b.Host)
		t.backends = append(t.backends, backendURL(b.Addr))
	}
	return t, nil
}

// urlResult is what helper.py's health command says about one URL.
type urlResult struct {
	OK      bool    `json:"ok"`
	Error   string  `json:"error"`
	Version string  `json:"version"`
	Seconds float64 `json:"seconds"`
}

// hostView is what one host answered, or why it did not.
type hostView struct {
	Err     error
	Results map[string]urlResult
}

func (t *target) script(backend string) string {
	return "if [ ! -e " + helperPath + " ]; then echo 'Placement is not deployed here (no " + helperPath + ")' >&2; exit 1; fi\n" +
		helperCmd("health", backend, t.vip) + "\n"
}

// ask runs the health command on every host in parallel.
func (t *target) ask(ctx context.Context, env *health.Env) []hostView {
	views := make([]hostView, len(t.hosts))
	for i, a := range env.RunEach(ctx, t.hosts, func(i int) string { return t.script(t.backends[i]) }) {
		views[i].Results, views[i].Err = health.JSON[map[string]urlResult](a)
	}
	return views
}

// evaluate judges the hosts' answers (views in the order of t.hosts).
func (t *target) evaluate(views []hostView) []health.Result {
	var out []health.Result
	var vipOK, vipFailed []string
	for i, h := range t.hosts {
		v := views[i]
		r := health.Result{Target: h, Hosts: []string{h}}
		res, answered := v.Results[t.backends[i]]
		switch {
		case v.Err != nil:
			r.Status, r.Reason = health.Down, fmt.Sprintf("%s: %v", h, v.Err)
		case !answered:
			r.Status, r.Reason = health.Down, "no answer about "+t.backends[i]
		case !res.OK:
			r.Status, r.Reason = health.Down, fmt.Sprintf("Placement at %s: %s", t.backends[i], res.Error)
		default:
			r.Status, r.Reason = health.OK, fmt.Sprintf("Placement %s answers at %s in %.2f s, and asks for a token", res.Version, t.backends[i], res.Seconds)
		}
		out = append(out, r)
		if v.Err != nil {
			continue
		}
		if vr, ok := v.Results[t.vip]; ok && vr.OK {
			vipOK = append(vipOK, h)
		} else {
			reason := "no answer"
			if ok {
				reason = vr.Error
			}
			vipFailed = append(vipFailed, h+": "+reason)
		}
	}
	return append(out, health.ThroughVIP(t.vip, t.hosts, vipOK, vipFailed, "Placement", "Placement answers", "Placement does not answer"))
}
