package apiservice

import (
	"context"
	"fmt"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/service"
)

// Checks is the service's one check, <service>-api, run on every host
// of the service with the helper at helperPath; title names the service
// in the results (Placement). Its results:
//
//   - one per host (the host): OK when its API answered as it should,
//     DOWN otherwise;
//   - internal-vip: OK when every host that could ask reached the API
//     through the virtual IP, DEGRADED when some could not, DOWN when
//     none could. It names every host of the service: a rolling restart
//     goes on only while clients reach the API.
//
// An authenticated call is the lab tests', with Debian's openstack
// client: the check runs at every gate and needs no password on the
// host beyond the service's configuration.
func Checks(c *model.Cloud, s *service.Service, title, helperPath string) []health.Check {
	hosts := s.Hosts(c)
	if len(hosts) == 0 {
		return nil
	}
	t, err := NewTarget(c, s, hosts, title, helperPath)
	if err != nil {
		return health.Unavailable(s.Name, s.Name, err)
	}
	return []health.Check{{Layer: s.Name, Name: s.Name + "-api", Component: s.Name,
		Run: func(ctx context.Context, env *health.Env) []health.Result {
			return t.Evaluate(t.ask(ctx, env))
		}}}
}

// Target is what the check asks.
type Target struct {
	title, helper string
	Hosts         []string
	Backends      []string // each host's own API
	VIP           string   // the internal endpoint
}

// NewTarget is the check's target for the service's hosts.
func NewTarget(c *model.Cloud, s *service.Service, hosts []*model.Host, title, helperPath string) (*Target, error) {
	vip, ok := endpoint.URL(c, endpoint.Internal, s.Endpoint())
	if !ok {
		return nil, fmt.Errorf("the cloud has no internal virtual IP for %s's endpoint", title)
	}
	t := &Target{title: title, helper: helperPath, VIP: vip}
	backends, err := endpoint.Backends(c, hosts, title+" listens there")
	if err != nil {
		return nil, err
	}
	for _, b := range backends {
		t.Hosts = append(t.Hosts, b.Host)
		t.Backends = append(t.Backends, BackendURL(s, b.Addr))
	}
	return t, nil
}

// URLResult is what the helper's health command says about one URL.
type URLResult struct {
	OK      bool    `json:"ok"`
	Error   string  `json:"error"`
	Version string  `json:"version"`
	Seconds float64 `json:"seconds"`
}

// View is what one host answered, or why it did not.
type View struct {
	Err     error
	Results map[string]URLResult
}

func (t *Target) script(backend string) string {
	return "if [ ! -e " + t.helper + " ]; then echo '" + t.title + " is not deployed here (no " + t.helper + ")' >&2; exit 1; fi\n" +
		Command(t.helper, "health", backend, t.VIP) + "\n"
}

// ask runs the health command on every host in parallel.
func (t *Target) ask(ctx context.Context, env *health.Env) []View {
	views := make([]View, len(t.Hosts))
	for i, a := range env.RunEach(ctx, t.Hosts, func(i int) string { return t.script(t.Backends[i]) }) {
		views[i].Results, views[i].Err = health.JSON[map[string]URLResult](a)
	}
	return views
}

// Evaluate judges the hosts' answers (views in the order of t.Hosts).
func (t *Target) Evaluate(views []View) []health.Result {
	var out []health.Result
	var vipOK, vipFailed []string
	for i, h := range t.Hosts {
		v := views[i]
		r := health.Result{Target: h, Hosts: []string{h}}
		res, answered := v.Results[t.Backends[i]]
		switch {
		case v.Err != nil:
			r.Status, r.Reason = health.Down, fmt.Sprintf("%s: %v", h, v.Err)
		case !answered:
			r.Status, r.Reason = health.Down, "no answer about "+t.Backends[i]
		case !res.OK:
			r.Status, r.Reason = health.Down, fmt.Sprintf("%s at %s: %s", t.title, t.Backends[i], res.Error)
		default:
			r.Status, r.Reason = health.OK, fmt.Sprintf("%s %s answers at %s in %.2f s, and asks for a token", t.title, res.Version, t.Backends[i], res.Seconds)
		}
		out = append(out, r)
		if v.Err != nil {
			continue
		}
		if vr, ok := v.Results[t.VIP]; ok && vr.OK {
			vipOK = append(vipOK, h)
		} else {
			reason := "no answer"
			if ok {
				reason = vr.Error
			}
			vipFailed = append(vipFailed, h+": "+reason)
		}
	}
	return append(out, health.ThroughVIP(t.VIP, t.Hosts, vipOK, vipFailed, t.title, t.title+" answers", t.title+" does not answer"))
}
