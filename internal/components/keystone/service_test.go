package keystone

import (
	"testing"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/testutil/corpus"
	"github.com/fundament-cloud/fundament/internal/validate"
)

// Keystone's validation rule: its case in testdata/invalid, its line in
// docs/config-reference.md.
func TestRules(t *testing.T) {
	corpus.ServiceRules(t, Service, func(dir string) *diag.List {
		_, d := validate.Check(dir)
		return d
	})
}
