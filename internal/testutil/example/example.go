// Package example loads the repositories under examples/ for the
// components' unit tests: the lab and production templates are the
// models those tests compile.
package example

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/validate"
)

// Load validates examples/<name> and returns its model, failing the test
// on any error.
func Load(t *testing.T, name string) *model.Cloud {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	c, diags := validate.Check(filepath.Join(filepath.Dir(self), "..", "..", "..", "examples", name))
	if diags.HasErrors() {
		t.Fatalf("examples/%s: %v", name, diags.Items())
	}
	return c
}
