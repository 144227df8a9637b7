package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodeContract pins the exit codes scripts rely on, as numbers:
// 0 success, 1 an error (or the thing checked is not OK), 2 a usage
// error, 3 "there are changes". Each code means one thing.
func TestExitCodeContract(t *testing.T) {
	codes := map[int]string{}
	for name, code := range map[string]int{"ok": ExitOK, "not ok": ExitNotOK, "usage": ExitUsage, "changes": ExitChanges} {
		if other, dup := codes[code]; dup {
			t.Errorf("exit code %d means both %s and %s", code, other, name)
		}
		codes[code] = name
	}
	current := t.TempDir()
	if code, _, errs := run(t, "render", "sonic", "--repo", labRepo, "--out", current); code != 0 {
		t.Fatalf("render: exit %d: %s", code, errs)
	}
	drifted := filepath.Join(t.TempDir(), "leaf-1.json")
	data, err := os.ReadFile(filepath.Join(current, "leaf-1", "config_db.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(drifted, []byte(strings.Replace(string(data), `"admin_status": "up"`, `"admin_status": "down"`, 1)), 0o644)

	tests := []struct {
		name string
		args []string
		code int
	}{
		{"success", []string{"validate", "--repo", validRepo}, 0},
		{"not OK", []string{"validate", "--repo", invalidRepo(t)}, 1},
		{"an error", []string{"plan", "--repo", t.TempDir()}, 1},
		{"an unknown flag", []string{"plan", "--bogus"}, 2},
		{"an unknown command", []string{"deploy-everything"}, 2},
		{"a usage error the command finds", []string{"render", "sonic", "--repo", labRepo, "--diff"}, 2},
		{"a bad output format", []string{"version", "-o", "yaml"}, 2},
		{"no changes", []string{"render", "sonic", "--repo", labRepo, "--diff", "--current", current}, 0},
		{"changes", []string{"render", "sonic", "leaf-1", "--repo", labRepo, "--diff", "--current", drifted}, 3},
		{"changes, JSON", []string{"render", "sonic", "leaf-1", "--repo", labRepo, "--diff", "--current", drifted, "-o", "json"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, out, errs := run(t, tt.args...); code != tt.code {
				t.Errorf("fundament %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tt.args, " "), code, tt.code, out, errs)
			}
		})
	}
}
