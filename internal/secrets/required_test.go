package secrets

import (
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
)

func TestRequiredFollowsEnabledServices(t *testing.T) {
	off := false
	on := true
	tests := []struct {
		name        string
		edit        func(c *model.Cloud)
		want, avoid []string
	}{
		{"defaults", func(*model.Cloud) {}, []string{"keystone-admin", "nova-db", "nova-rabbitmq", "glance-keystone", "ceph-fsid", "neutron-metadata-secret"}, []string{"kubernetes-encryption-key", "glance-rabbitmq"}},
		{"no cinder, no ceph", func(c *model.Cloud) {
			c.Services.OpenStack.Cinder.Enabled = &off
			c.Services.Ceph.Enabled = &off
		}, []string{"nova-db"}, []string{"cinder-db", "cinder-keystone", "ceph-fsid"}},
		{"kubernetes", func(c *model.Cloud) { c.Services.Kubernetes.Enabled = &on }, []string{"kubernetes-encryption-key"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &model.Cloud{}
			tt.edit(c)
			got := map[string]bool{}
			for _, s := range Required(c) {
				if err := ValidateName(s.Name); err != nil {
					t.Errorf("invalid name %q: %v", s.Name, err)
				}
				if got[s.Name] {
					t.Errorf("%s listed twice", s.Name)
				}
				if _, err := s.normalize(); err != nil {
					t.Errorf("%s: %v", s.Name, err)
				}
				got[s.Name] = true
			}
			for _, w := range tt.want {
				if !got[w] {
					t.Errorf("missing %s", w)
				}
			}
			for _, a := range tt.avoid {
				if got[a] {
					t.Errorf("unexpected %s", a)
				}
			}
		})
	}
}
