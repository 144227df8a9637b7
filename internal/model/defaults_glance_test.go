package model

import "testing"

// TestGlanceBackendDefault: Glance's store follows Ceph unless the model
// names one.
func TestGlanceBackendDefault(t *testing.T) {
	off, on := false, true
	for _, tc := range []struct {
		name    string
		ceph    *bool
		backend StorageBackend
		want    StorageBackend
	}{
		{"ceph by default", nil, "", "rbd"},
		{"ceph enabled", &on, "", "rbd"},
		{"ceph disabled", &off, "", "file"},
		{"named", &on, "file", "file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Cloud{}
			c.Services.Ceph.Enabled = tc.ceph
			c.Services.OpenStack.Glance.Backend = tc.backend
			applyDefaults(c)
			if got := c.Services.OpenStack.Glance.Backend; got != tc.want {
				t.Errorf("backend %s, want %s", got, tc.want)
			}
		})
	}
}
