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

// The catalog check wants the declared service's endpoints too.
func TestCatalogCheckWantsDeclaredServices(t *testing.T) {
	servicetest.Use(t, Service, servicetest.Demo)
	tg := labTarget(t)
	demo := []catalogEntry{
		{Type: "demo", Interface: "public", Region: "RegionOne", URL: "https://10.199.100.10:9876/v1"},
		{Type: "demo", Interface: "internal", Region: "RegionOne", URL: "http://10.199.20.10:9876/v1"},
	}
	status, reason := tg.checkCatalog(goodCatalog)
	if status != health.Degraded || !strings.Contains(reason, "no public demo endpoint in RegionOne (want https://10.199.100.10:9876/v1)") ||
		!strings.Contains(reason, "keystone/register-demo corrects them") {
		t.Errorf("without demo's endpoints: %s %s", status, reason)
	}
	status, reason = tg.checkCatalog(append(slices.Clone(goodCatalog), demo...))
	if status != health.OK || reason != "identity endpoints in RegionOne: public "+public+", internal "+vip+"; demo endpoints in RegionOne: public https://10.199.100.10:9876/v1, internal http://10.199.20.10:9876/v1" {
		t.Errorf("with them: %s %s", status, reason)
	}
}
