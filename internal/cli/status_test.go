package cli

import (
	"strings"
	"testing"
)

// status compiles no catalog: it needs none of the components' secrets,
// and a selection without checks connects to nothing.
func TestStatusNeedsNoCatalog(t *testing.T) {
	repo := t.TempDir()
	copyTree(t, validRepo, repo) // no secrets/ at all
	code, out, errs := run(t, "--repo", repo, "status", "--component", "custom", "-o", "json")
	if code != 0 || !strings.Contains(out, `"status": "OK"`) {
		t.Errorf("status of a component without checks: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = run(t, "--repo", repo, "status", "--component", "nosuch")
	if code == 0 || !strings.Contains(errs, `there is no component "nosuch"; the components are fabric, hostnet, ovn, ceph, galera`) {
		t.Errorf("an unknown component: exit %d: %s", code, errs)
	}
}
