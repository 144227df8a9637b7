package validate

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

// The invalid-config corpus, in the style of Prometheus's *.bad.yml tests:
// each testdata/invalid/NAME.txtar overlays files on testdata/base (a valid
// production cloud) and its comment lists the exact diagnostics, one per
// line, that the result must produce: no more, no fewer. A file whose
// body is exactly "(delete)" removes that file from the base.
func TestInvalidCorpus(t *testing.T) {
	cases, _ := filepath.Glob("testdata/invalid/*.txtar")
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/invalid")
	}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := overlay(t, ar)
			got := render(checkDir(dir))
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

// Every rule must be shown by at least one case of the corpus.
func TestEveryRuleHasACase(t *testing.T) {
	cases, _ := filepath.Glob("testdata/invalid/*.txtar")
	var all strings.Builder
	for _, file := range cases {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(ar.Comment)
	}
	for _, r := range Rules() {
		if !strings.Contains(all.String(), "["+r.ID+"]") {
			t.Errorf("rule %s has no case in testdata/invalid", r.ID)
		}
	}
}

func TestBaseIsValid(t *testing.T) {
	if got := render(checkDir("testdata/base")); got != "" {
		t.Errorf("testdata/base must produce no diagnostics, got:\n%s", got)
	}
}

func checkDir(dir string) *diag.List {
	_, d := Check(dir)
	return d
}

func render(l *diag.List) string {
	var lines []string
	for _, d := range l.Items() {
		lines = append(lines, d.String())
	}
	return strings.Join(lines, "\n")
}

// overlay copies testdata/base into a temporary directory and applies the
// archive's files to it.
func overlay(t *testing.T, ar *txtar.Archive) string {
	t.Helper()
	dir := t.TempDir()
	var files []string
	err := filepath.WalkDir("testdata/base", func(p string, d os.DirEntry, err error) error {
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
		rel, _ := filepath.Rel("testdata/base", p)
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

// docs/config-reference.md documents every rule; a rule added without
// its documentation fails here.
func TestEveryRuleIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/config-reference.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		if !strings.Contains(string(doc), "`"+r.ID+"`") {
			t.Errorf("rule %s is not in docs/config-reference.md", r.ID)
		}
	}
}
