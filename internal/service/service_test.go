package service

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
)

// cloud has a control and a compute host; sections are the test's own.
func cloud() *model.Cloud {
	c := &model.Cloud{}
	c.Hosts = []*model.Host{
		{Name: "ctl-1", Roles: []model.Role{model.RoleControl}},
		{Name: "cmp-1", Roles: []model.Role{model.RoleCompute}},
	}
	return c
}

func declared(name string, enabled *bool, hosts *model.Placement) *Service {
	return &Service{
		Name: name, Key: "openstack." + name,
		Section:      func(*model.Cloud) Section { return Section{Enabled: enabled, Hosts: hosts} },
		DefaultRoles: []model.Role{model.RoleControl},
	}
}

func TestPlacement(t *testing.T) {
	c := cloud()
	off := false
	for _, tc := range []struct {
		name string
		s    *Service
		want []string
	}{
		{"default roles", declared("a", nil, &model.Placement{}), []string{"ctl-1"}},
		{"roles of the section", declared("a", nil, &model.Placement{Roles: []model.Role{model.RoleCompute}}), []string{"cmp-1"}},
		{"hosts of the section", declared("a", nil, &model.Placement{Hosts: []string{"cmp-1", "ctl-1"}}), []string{"cmp-1", "ctl-1"}},
		{"disabled", declared("a", &off, &model.Placement{}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, h := range tc.s.Hosts(c) {
				got = append(got, h.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("hosts %v, want %v", got, tc.want)
			}
			m := tc.s.Model(c)
			if m.Name != "a" || m.Key != "openstack.a.hosts" || m.Enabled != (tc.want != nil) || len(m.Hosts) != len(tc.want) {
				t.Errorf("model %+v", m)
			}
		})
	}
	// The section's placement is left as it was.
	p := &model.Placement{}
	declared("a", nil, p).Hosts(c)
	if len(p.Roles) != 0 {
		t.Errorf("the default changed the section: %+v", p)
	}
}

func TestSecretsAreDerivedFromTheName(t *testing.T) {
	s := declared("svc", nil, &model.Placement{})
	if len(s.AllSecrets()) != 0 {
		t.Errorf("a service without database, queue or user has secrets: %v", s.AllSecrets())
	}
	s.Databases, s.Queue, s.User = []string{"svc", "svc_api"}, true, &User{Roles: []string{"service"}}
	s.Secrets = []Secret{{Name: "svc-key", Kind: "fernet-key"}}
	var names []string
	for _, x := range s.AllSecrets() {
		names = append(names, x.Name)
	}
	if got := strings.Join(names, " "); got != "svc-db svc-rabbitmq svc-keystone svc-key" {
		t.Errorf("secrets %s", got)
	}
}

func TestRegisterRefusesWhatReadersCannotUse(t *testing.T) {
	defer Replace()()
	a := declared("a", nil, &model.Placement{})
	a.API = &API{Type: "x", Port: 9000}
	a.Rules = []Rule{{ID: "a-rule", Check: func(*model.Cloud, *diag.List) {}}}
	Register(a)
	Register(a) // the same declaration again: nothing
	if len(All()) != 1 {
		t.Fatalf("registered %d", len(All()))
	}
	samePort := declared("b", nil, &model.Placement{})
	samePort.API = &API{Type: "y", Port: 9000}
	sameRule := declared("c", nil, &model.Placement{})
	sameRule.Rules = []Rule{{ID: "a-rule", Check: func(*model.Cloud, *diag.List) {}}}
	noPort := declared("d", nil, &model.Placement{})
	noPort.API = &API{Type: "z"}
	for _, tc := range []struct {
		s    *Service
		want string
	}{
		{declared("a", nil, &model.Placement{}), "a is registered twice"},
		{samePort, "a and b both serve on port 9000"},
		{sameRule, "rule a-rule of c is a's"},
		{noPort, "an API needs a catalog type and a port"},
		{&Service{Name: "e"}, "service e: no model section"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), tc.want) {
					t.Errorf("Register(%s): %v, want a panic with %q", tc.s.Name, r, tc.want)
				}
			}()
			Register(tc.s)
		}()
	}
}

func TestReplaceAndPlaced(t *testing.T) {
	a, b := declared("a", nil, &model.Placement{}), declared("b", nil, &model.Placement{})
	restore := Replace(a)
	Register(b)
	if got := All(); len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("All() = %v", got)
	}
	if s, ok := Lookup("b"); !ok || s != b {
		t.Error("Lookup(b)")
	}
	c := cloud()
	c.Network.VirtualIPs = []*model.VirtualIP{{Name: "public", Address: netip.MustParseAddr("192.0.2.1")}}
	placed := Placed(c)
	if n := len(placed); n < 2 || placed[n-2].Name != "a" || placed[n-1].Name != "b" || placed[0].Name != "loadbalancer" {
		t.Errorf("Placed: the model's services, then the declared ones: %v", placed)
	}
	restore()
	if _, ok := Lookup("a"); ok {
		t.Error("Replace was not undone")
	}
}
