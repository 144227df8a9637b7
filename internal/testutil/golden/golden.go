// Package golden compares test output with files under testdata/, and
// rewrites them with `go test -update`. A difference is shown as a
// unified diff of the golden file against what the code renders now, so
// that a failing test says what changed, not only that something did.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// Update is the -update flag of every test binary that imports golden.
var Update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Check compares got with testdata/name, or writes it there with -update.
func Check(t *testing.T, name, got string) {
	t.Helper()
	CheckFile(t, filepath.Join("testdata", name), got)
}

// CheckFile compares got with the file at path (relative to the test's
// package), or writes it there with -update.
func CheckFile(t *testing.T, path, got string) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from what the code renders now (go test -update rewrites it; review with git diff):\n%s",
			path, Diff(path, "got", string(want), got))
	}
}
