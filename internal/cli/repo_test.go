package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A change that links repository files to a file outside the repository
// (the operator's age identity, in CI) is refused by validate, naming the
// links; nothing of the file it points to is printed, in text or JSON.
func TestValidateRefusesLinksOutOfRepository(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	if code := Execute([]string{"init", "--template", "lab", dir}, io.Discard, io.Discard); code != ExitOK {
		t.Fatalf("init: exit %d", code)
	}
	const secret = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"
	// Shaped so that any reader would quote it: a string where a list
	// belongs, a known_hosts line that is not an entry.
	outside := filepath.Join(t.TempDir(), "identity.yaml")
	if err := os.WriteFile(outside, []byte("hosts: "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := func(target, name string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("cannot create symbolic links here: %v", err)
		}
	}
	link(outside, "inventory/evil.yaml")
	rel, err := filepath.Rel(filepath.Join(dir, "ops"), outside)
	if err != nil {
		t.Fatal(err)
	}
	link(rel, "ops/known_hosts")
	cloud, err := os.ReadFile(filepath.Join(dir, "cloud.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cloud.yaml"), append(cloud, "ssh_known_hosts: ops/known_hosts\n"...), 0o644); err != nil {
		t.Fatal(err)
	}

	var out, errb bytes.Buffer
	if code := Execute([]string{"validate", "--repo", dir}, &out, &errb); code != ExitNotOK {
		t.Fatalf("validate: exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	text := out.String() + errb.String()
	t.Logf("validate:\n%s", text)
	contains(t, "validate", text,
		"inventory/evil.yaml: error: cannot read: it leads out of the repository",
		"ssh_known_hosts: cannot read ops/known_hosts: it leads out of the repository")
	out.Reset()
	Execute([]string{"validate", "--repo", dir, "-o", "json"}, &out, &errb)
	for what, s := range map[string]string{"validate": text, "validate -o json": out.String() + errb.String()} {
		if strings.Contains(s, "AGE-SECRET") {
			t.Errorf("%s quotes the file outside the repository:\n%s", what, s)
		}
	}
}
