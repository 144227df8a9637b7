package labtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDisable: a service examples/lab enables is turned off in the copy,
// one it does not name is an error, not a silent no-op.
func TestDisable(t *testing.T) {
	dir := t.TempDir()
	if err := copyExample(dir, "10.199.", "lab"); err != nil {
		t.Fatal(err)
	}
	if err := disable(dir, []string{"glance"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "services", "openstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\n  glance:\n    enabled: false\n") || !strings.Contains(string(b), "\n  placement:\n    enabled: true\n") {
		t.Errorf("glance not turned off alone:\n%s", b)
	}
	if err := disable(dir, []string{"glance"}); err == nil {
		t.Error("turning off a service that is already off passed")
	}
	if err := disable(dir, []string{"nosuch"}); err == nil {
		t.Error("turning off a service examples/lab does not have passed")
	}
}
