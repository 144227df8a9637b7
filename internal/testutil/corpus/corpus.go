// Package corpus runs invalid-configuration cases, in the style of
// Prometheus's *.bad.yml tests: each NAME.txtar overlays files on a valid
// base repository (internal/validate/testdata/base, a production cloud)
// and its comment lists the exact diagnostics, one per line, that the
// result must produce: no more, no fewer. A file whose body is exactly
// "(delete)" removes that file from the base. Validation's own rules
// have their cases in internal/validate/testdata/invalid; a service's
// rules (internal/service) in its package's testdata/invalid.
package corpus

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/service"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

// Check validates a repository directory (validate.Check, passed in:
// validate's own tests cannot import a package that imports it).
type Check func(dir string) *diag.List

// Base is the valid repository the cases overlay.
func Base() string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "..", "..", "validate", "testdata", "base")
}

// Run checks every case of the glob (go test -update rewrites their
// expected diagnostics).
func Run(t *testing.T, glob string, check Check) {
	t.Helper()
	cases, _ := filepath.Glob(glob)
	if len(cases) == 0 {
		t.Fatalf("no cases in %s", glob)
	}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := Render(check(Overlay(t, ar)))
			want := strings.TrimSpace(string(ar.Comment))
			if *golden.Update {
				ar.Comment = []byte(got + "\n")
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("diagnostics differ (go test -update rewrites them):\n%s", golden.Diff("want", "got", want+"\n", got+"\n"))
			}
			if !strings.Contains(got, "error: ") {
				t.Errorf("case produces no error; an invalid config must be invalid")
			}
		})
	}
}

// Covered fails for every rule id that no case of the glob shows.
func Covered(t *testing.T, glob string, ids []string) {
	t.Helper()
	cases, _ := filepath.Glob(glob)
	var all strings.Builder
	for _, file := range cases {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(ar.Comment)
	}
	for _, id := range ids {
		if !strings.Contains(all.String(), "["+id+"]") {
			t.Errorf("rule %s has no case in %s", id, glob)
		}
	}
}

// ServiceRules checks a service's validation rules, in its package's
// test: the cases of testdata/invalid/*.txtar produce exactly the
// diagnostics they list (check is validate.Check; the service must be
// registered), each rule has a case, and docs/config-reference.md
// documents each rule.
func ServiceRules(t *testing.T, s *service.Service, check Check) {
	t.Helper()
	const glob = "testdata/invalid/*.txtar"
	var ids []string
	for _, r := range s.Rules {
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		return
	}
	Run(t, glob, check)
	Covered(t, glob, ids)
	_, self, _, _ := runtime.Caller(0)
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "..", "..", "docs", "config-reference.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !strings.Contains(string(doc), "`"+id+"`") {
			t.Errorf("rule %s of %s is not in docs/config-reference.md", id, s.Name)
		}
	}
}

// Render prints diagnostics one per line.
func Render(l *diag.List) string {
	var lines []string
	for _, d := range l.Items() {
		lines = append(lines, d.String())
	}
	return strings.Join(lines, "\n")
}

// Overlay copies the base into a temporary directory and applies the
// archive's files to it.
func Overlay(t *testing.T, ar *txtar.Archive) string {
	t.Helper()
	dir, base := t.TempDir(), Base()
	var files []string
	err := filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, p := range files {
		rel, _ := filepath.Rel(base, p)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, rel), data)
	}
	for _, f := range ar.Files {
		target := filepath.Join(dir, filepath.FromSlash(f.Name))
		if strings.TrimSpace(string(f.Data)) == "(delete)" {
			os.Remove(target)
			continue
		}
		write(t, target, f.Data)
	}
	return dir
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
