package glance

import (
	"testing"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/testutil/corpus"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"github.com/fundament-cloud/fundament/internal/validate"
)

// Glance's validation rule: its case in testdata/invalid, its line in
// docs/config-reference.md.
func TestRules(t *testing.T) {
	corpus.ServiceRules(t, Service, func(dir string) *diag.List {
		_, d := validate.Check(dir)
		return d
	})
}

// TestFileStoreShared: one host, or hosts that share the directory, may
// use the file store; the rule speaks of the others only.
func TestFileStoreShared(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shared bool
		hosts  []string
		errors int
	}{
		{"three hosts", false, nil, 1},
		{"three hosts sharing it", true, nil, 0},
		{"one host", false, []string{"ctl-2"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := example.Load(t, "production")
			g := &c.Services.OpenStack.Glance
			g.Backend, g.FileStoreShared, g.Hosts.Hosts = storeFile, tc.shared, tc.hosts
			var d diag.List
			checkFileStoreShared(c, &d)
			if n := len(d.Items()); n != tc.errors {
				t.Errorf("%d diagnostics, want %d: %v", n, tc.errors, d.Items())
			}
		})
	}
}
