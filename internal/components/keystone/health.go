package keystone

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/service"
)

// layer is the health layer of Keystone's checks.
const layer = "keystone"

// HealthChecks is one check, keystone-api, run on every Keystone host: a
// token issued and validated by the host's own Keystone (past HAProxy,
// so that a dead member is named) and through the internal virtual IP,
// with the admin's clouds.yaml there; and the catalog that token came
// with, whose identity endpoints, and those of every service Keystone
// registers, must be the URLs of internal/endpoint. Its results:
//
//   - one per host (the host): OK when its Keystone answered, DOWN
//     otherwise;
//   - internal-vip: OK when every host that answered got a token through
//     the virtual IP, DEGRADED when some did not, DOWN when none did;
//   - catalog: OK when the identity endpoints are as desired, DEGRADED
//     when they differ, DOWN when no token came back to read it;
//   - service-catalog (when Keystone registers other services): the same
//     for their endpoints.
//
// The virtual IP's and the catalog's results name every Keystone host: a
// rolling restart goes on only while clients get tokens. The other
// services' entries name no host, so no gate waits for them: Keystone
// registers them once it serves, after its first host's gate, and a
// missing entry is the next apply's to repair, not a reason to stop
// restarting Keystone.
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	hosts := Hosts(c)
	if len(hosts) == 0 {
		return nil
	}
	t, err := newTarget(c, hosts)
	if err != nil {
		return health.Unavailable(layer, "keystone", err)
	}
	return []health.Check{{Layer: layer, Name: "keystone-api", Component: "keystone",
		Run: func(ctx context.Context, env *health.Env) []health.Result {
			return t.evaluate(t.ask(ctx, env))
		}}}
}

// target is what the check asks and expects.
type target struct {
	cloud    string
	hosts    []string
	backends []string // each host's own Keystone
	vip      string   // the internal endpoint
	region   string
	want     map[string]string // interface -> identity URL
	others   []wanted          // the registered services' entries
}

func newTarget(c *model.Cloud, hosts []*model.Host) (*target, error) {
	api := Service.Endpoint()
	t := &target{cloud: c.Spec.Name, region: Region(c), want: map[string]string{}}
	for _, iface := range []endpoint.Interface{endpoint.Public, endpoint.Internal} {
		u, ok := endpoint.URL(c, iface, api)
		if !ok {
			return nil, fmt.Errorf("the cloud has no %s virtual IP for Keystone's endpoint", iface)
		}
		t.want[string(iface)] = u
	}
	t.vip = t.want[string(endpoint.Internal)]
	for _, s := range registered(c) {
		if s.API == nil {
			continue
		}
		w := wanted{typ: s.API.Type, urls: map[string]string{}, fixer: registerCommandName(s)}
		for _, iface := range service.Interfaces {
			if u, ok := endpoint.URL(c, iface, s.Endpoint()); ok {
				w.urls[string(iface)] = u
			}
		}
		t.others = append(t.others, w)
	}
	backends, err := endpoint.Backends(c, hosts, "Keystone listens there")
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
	OK      bool           `json:"ok"`
	Error   string         `json:"error"`
	Seconds float64        `json:"seconds"`
	Catalog []catalogEntry `json:"catalog"`
}

type catalogEntry struct {
	Type      string `json:"type"`
	Interface string `json:"interface"`
	Region    string `json:"region"`
	URL       string `json:"url"`
}

// hostView is what one host answered, or why it did not.
type hostView struct {
	Err     error
	Results map[string]urlResult
}

func (t *target) script(backend string) string {
	return "if [ ! -e " + helperPath + " ]; then echo 'Keystone is not deployed here (no " + helperPath + ")' >&2; exit 1; fi\n" +
		helperCmd("health", hostCloudsPath, t.cloud, backend, t.vip) + "\n"
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
	// The catalog to check: the first that came through the virtual IP
	// (what clients see), else the first of a host's own Keystone.
	var catalog []catalogEntry
	haveCatalog, fromVIP := false, false
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
			r.Status, r.Reason = health.Down, fmt.Sprintf("Keystone at %s: %s", t.backends[i], res.Error)
		default:
			r.Status, r.Reason = health.OK, fmt.Sprintf("token issued and validated at %s in %.2f s", t.backends[i], res.Seconds)
			if !haveCatalog {
				catalog, haveCatalog = res.Catalog, true
			}
		}
		out = append(out, r)
		if v.Err != nil {
			continue
		}
		if vr, ok := v.Results[t.vip]; ok && vr.OK {
			vipOK = append(vipOK, h)
			if !fromVIP {
				catalog, haveCatalog, fromVIP = vr.Catalog, true, true
			}
		} else {
			reason := "no answer"
			if ok {
				reason = vr.Error
			}
			vipFailed = append(vipFailed, h+": "+reason)
		}
	}
	out = append(out, health.ThroughVIP(t.vip, t.hosts, vipOK, vipFailed, "Keystone", "tokens issued and validated", "no token"))
	identity := []wanted{{typ: "identity", urls: t.want, fixer: "bootstrap"}}
	out = append(out, t.catalogResult(health.Result{Target: "catalog", Hosts: t.hosts}, identity, catalog, haveCatalog))
	if len(t.others) > 0 {
		out = append(out, t.catalogResult(health.Result{Target: "service-catalog"}, t.others, catalog, haveCatalog))
	}
	return out
}

// catalogResult judges the catalog's entries of the types wanted.
func (t *target) catalogResult(r health.Result, ws []wanted, entries []catalogEntry, have bool) health.Result {
	if !have {
		r.Status, r.Reason = health.Down, "no token, so no catalog to check"
	} else {
		r.Status, r.Reason = t.checkCatalog(entries, ws)
	}
	return r
}

// checkCatalog compares the catalog's endpoints in the first region with
// the URLs desired: the identity endpoints (bootstrap's), or those of the
// services Keystone registers (register.go).
func (t *target) checkCatalog(entries []catalogEntry, ws []wanted) (health.Status, string) {
	var problems, found []string
	for _, w := range ws {
		p, f := t.checkType(entries, w)
		if len(p) > 0 {
			problems = append(problems, strings.Join(p, "; ")+" (the next apply's "+w.fixer+" corrects them)")
		} else {
			found = append(found, w.typ+" endpoints in "+t.region+": "+strings.Join(f, ", "))
		}
	}
	if len(problems) > 0 {
		return health.Degraded, strings.Join(problems, "; ")
	}
	return health.OK, strings.Join(found, "; ")
}

// wanted are a catalog type's desired URLs, and the step that makes them.
type wanted struct {
	typ   string
	urls  map[string]string // interface -> URL
	fixer string
}

func (t *target) checkType(entries []catalogEntry, w wanted) (problems, found []string) {
	for _, iface := range service.Interfaces {
		want := w.urls[string(iface)]
		var have []string
		for _, e := range entries {
			if e.Type == w.typ && e.Interface == string(iface) && e.Region == t.region {
				have = append(have, e.URL)
			}
		}
		sort.Strings(have)
		switch {
		case len(have) == 0:
			problems = append(problems, fmt.Sprintf("no %s %s endpoint in %s (want %s)", iface, w.typ, t.region, want))
		case len(have) > 1 || have[0] != want:
			problems = append(problems, fmt.Sprintf("%s %s endpoint in %s is %s, want %s", iface, w.typ, t.region, strings.Join(have, " and "), want))
		default:
			found = append(found, string(iface)+" "+want)
		}
	}
	return problems, found
}
