package keystone

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

// A declared service's user and catalog entries: one step on the first
// host after the service project, the declaration as its JSON, the
// passwords in its environment only.
func TestRegistersDeclaredServices(t *testing.T) {
	servicetest.Use(t, Service, servicetest.Demo)
	s := newFakeSecrets(t)
	s.add(t, servicetest.Demo.UserSecret())
	c := example.Load(t, "lab")
	cat := compile(t, c, s)
	reg := item(t, cat, "ctl-1", resource.Command{Name: "keystone/register-demo"}.ID())
	if !slices.Contains(reg.After, item(t, cat, "ctl-1", resource.Command{Name: "keystone/service-project"}.ID()).Ref()) {
		t.Errorf("registers before the service project exists: %v", reg.After)
	}
	if ref, err := RegistrationRef(c, servicetest.Demo); err != nil || ref != reg.Ref() {
		t.Errorf("RegistrationRef = %v, %v; want %v", ref, err, reg.Ref())
	}
	cmd := reg.Resource.(resource.Command)
	want := registration{Name: "demo", Roles: []string{"service"}, Type: "demo", Region: "RegionOne",
		Endpoints: map[string]string{"public": "https://10.199.100.10:9876/v1", "internal": "http://10.199.20.10:9876/v1"}}
	spec, _ := json.Marshal(want)
	if !strings.Contains(cmd.Guard, "'registered' '"+string(spec)+"'") || !strings.Contains(cmd.Script, "'register' 'http://10.199.20.11:5000/v3' '"+string(spec)+"'") {
		t.Errorf("guard %s\nscript %s\nwant the spec %s", cmd.Guard, cmd.Script, spec)
	}
	if cmd.Env["FM_SERVICE_PASSWORD"] != s.values["demo-keystone"] || cmd.Env["OS_PASSWORD"] != s.values[AdminSecret] {
		t.Errorf("env %v", cmd.Env)
	}
	for _, h := range []string{"ctl-2", "ctl-3"} {
		if _, ok := cat.Get(catalog.Ref{Host: h, ID: cmd.ID()}); ok {
			t.Errorf("%s registers too", h)
		}
	}
	// Keystone's own catalog entries are bootstrap's.
	if _, ok := cat.Get(catalog.Ref{Host: "ctl-1", ID: resource.Command{Name: "keystone/register-keystone"}.ID()}); ok {
		t.Error("Keystone registers itself")
	}
}

// The catalog check wants the declared service's endpoints too, in a
// result of their own that names no host: a missing entry of another
// service does not hold Keystone's rolling restart back (Keystone
// registers the services only after its first host's gate).
func TestCatalogCheckWantsDeclaredServices(t *testing.T) {
	servicetest.Use(t, Service, servicetest.Demo)
	tg := labTarget(t)
	demo := []catalogEntry{
		{Type: "demo", Interface: "public", Region: "RegionOne", URL: "https://10.199.100.10:9876/v1"},
		{Type: "demo", Interface: "internal", Region: "RegionOne", URL: "http://10.199.20.10:9876/v1"},
	}
	results := func(cat []catalogEntry) map[string]health.Result {
		v := func(backend string) hostView {
			return hostView{Results: map[string]urlResult{backend: ok(cat), vip: ok(cat)}}
		}
		out := map[string]health.Result{}
		for _, r := range tg.evaluate([]hostView{v(backend1), v(backend2), v(backend3)}) {
			out[r.Target] = r
		}
		return out
	}
	rs := results(goodCatalog)
	if c := rs["catalog"]; c.Status != health.OK || len(c.Hosts) != 3 {
		t.Errorf("identity catalog without demo's endpoints: %+v", c)
	}
	sc := rs["service-catalog"]
	if sc.Status != health.Degraded || len(sc.Hosts) != 0 ||
		!strings.Contains(sc.Reason, "no public demo endpoint in RegionOne (want https://10.199.100.10:9876/v1)") ||
		!strings.Contains(sc.Reason, "keystone/register-demo corrects them") {
		t.Errorf("service catalog without demo's endpoints: %+v", sc)
	}
	if got := health.About(tg.evaluate([]hostView{fine(backend1), fine(backend2), fine(backend3)}), []string{"ctl-1"}); health.Worst(got) != health.OK {
		t.Errorf("a gate about ctl-1 sees %+v", got)
	}
	sc = results(append(slices.Clone(goodCatalog), demo...))["service-catalog"]
	if sc.Status != health.OK || sc.Reason != "demo endpoints in RegionOne: public https://10.199.100.10:9876/v1, internal http://10.199.20.10:9876/v1" {
		t.Errorf("with them: %+v", sc)
	}
}
