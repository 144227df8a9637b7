package secrets

import (
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

func init() { servicetest.Register() }

// The secrets of a declared service: its passwords, derived from what it
// declares, and its own; none while it is disabled.
func TestRequiredFollowsEnabledServices(t *testing.T) {
	off := false
	tests := []struct {
		name        string
		enabled     *bool
		want, avoid []string
	}{
		{"enabled", nil, []string{"galera-mariabackup", "rabbitmq-erlang-cookie", "demo-db", "demo-rabbitmq", "demo-keystone", "demo-token"}, nil},
		{"disabled", &off, []string{"galera-mariabackup"}, []string{"demo-db", "demo-rabbitmq", "demo-keystone", "demo-token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			servicetest.Enabled = tt.enabled
			defer func() { servicetest.Enabled = nil }()
			got := map[string]Spec{}
			for _, s := range Required(&model.Cloud{}) {
				if err := ValidateName(s.Name); err != nil {
					t.Errorf("invalid name %q: %v", s.Name, err)
				}
				if _, dup := got[s.Name]; dup {
					t.Errorf("%s listed twice", s.Name)
				}
				if _, err := s.normalize(); err != nil {
					t.Errorf("%s: %v", s.Name, err)
				}
				got[s.Name] = s
			}
			for _, w := range tt.want {
				if _, ok := got[w]; !ok {
					t.Errorf("missing %s", w)
				}
			}
			for _, a := range tt.avoid {
				if _, ok := got[a]; ok {
					t.Errorf("unexpected %s", a)
				}
			}
			if k, ok := got["demo-token"]; ok && k.Kind != Token {
				t.Errorf("the declared secret: %+v", k)
			}
			if p, ok := got["demo-db"]; ok && p.Kind != Password {
				t.Errorf("a derived password: %+v", p)
			}
		})
	}
}

// Ceph's fsid is the one identifier among the secrets: every key stays
// a credential.
func TestIdentifiers(t *testing.T) {
	got := Identifiers(&model.Cloud{})
	if len(got) != 1 || !got[CephFSID] {
		t.Errorf("identifiers %v, want only %s", got, CephFSID)
	}
	off := false
	c := &model.Cloud{}
	c.Services.Ceph.Enabled = &off
	if got := Identifiers(c); len(got) != 0 {
		t.Errorf("identifiers without Ceph: %v", got)
	}
}
