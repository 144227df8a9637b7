package scaffold

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/golden"
	"github.com/fundament-cloud/fundament/internal/validate"
)

func TestTemplates(t *testing.T) {
	if got, want := Templates(), []string{"lab", "production"}; !slices.Equal(got, want) {
		t.Fatalf("Templates() = %v, want %v", got, want)
	}
}

// Every template must be a valid repository as written: no errors and no
// warnings.
func TestTemplatesValidate(t *testing.T) {
	for _, name := range Templates() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			files, err := Write(dir, name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(files, "cloud.yaml") || !slices.Contains(files, "network.yaml") {
				t.Errorf("Write returned %v; want cloud.yaml and network.yaml among them", files)
			}
			if !sort.StringsAreSorted(files) {
				t.Errorf("Write returned unsorted files %v", files)
			}
			c, d := validate.Check(dir)
			for _, x := range d.Items() {
				t.Errorf("%s", x)
			}
			if len(c.Hosts) == 0 {
				t.Errorf("template %s has no hosts", name)
			}
		})
	}
}

func TestWriteGitignore(t *testing.T) {
	dir := t.TempDir()
	files, err := Write(dir, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(files, ".gitignore") {
		t.Errorf("Write did not report .gitignore: %v", files)
	}
	data, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(data), "\n"), ".fundament/") {
		t.Errorf(".gitignore does not list .fundament/:\n%s", data)
	}
}

func TestWriteAppendsToExistingGitignore(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("*.swp"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, "lab"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	lines := strings.Split(string(data), "\n")
	if lines[0] != "*.swp" || !slices.Contains(lines, ".fundament/") {
		t.Errorf(".gitignore should keep *.swp and add .fundament/, got:\n%s", data)
	}
}

func TestWriteCreatesDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "cloud")
	if _, err := Write(dir, "production"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cloud.yaml")); err != nil {
		t.Error(err)
	}
}

func TestWriteRefusesRepository(t *testing.T) {
	for _, existing := range []string{"cloud.yaml", "network.yaml", "inventory", "services"} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, existing)
			var err error
			if strings.HasSuffix(existing, ".yaml") {
				err = os.WriteFile(p, []byte("name: mine\n"), 0o644)
			} else {
				err = os.Mkdir(p, 0o755)
			}
			if err != nil {
				t.Fatal(err)
			}
			files, err := Write(dir, "lab")
			if err == nil {
				t.Fatalf("Write into a directory with %s succeeded, wrote %v", existing, files)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name %s", err, p)
			}
			if len(files) != 0 {
				t.Errorf("Write wrote %v before refusing", files)
			}
			if existing == "cloud.yaml" {
				if data, _ := os.ReadFile(p); string(data) != "name: mine\n" {
					t.Errorf("cloud.yaml was changed to %q", data)
				}
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries after a refusal, want 1", len(entries))
			}
		})
	}
}

func TestWriteUnknownTemplate(t *testing.T) {
	dir := t.TempDir()
	_, err := Write(dir, "tiny")
	if err == nil || !strings.Contains(err.Error(), "lab, production") {
		t.Fatalf("Write(tiny) = %v, want an error listing the templates", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Write(tiny) left %d entries", len(entries))
	}
}

// Every template file starts with a comment saying what it is, and keeps to
// spaces (YAML forbids tabs for indentation).
func TestTemplateFilesAreCommented(t *testing.T) {
	for _, name := range Templates() {
		files, err := Files(name)
		if err != nil {
			t.Fatal(err)
		}
		for p, data := range files {
			if !bytes.HasPrefix(data, []byte("# ")) {
				t.Errorf("%s/%s: does not start with a header comment", name, p)
			}
			if bytes.Contains(data, []byte("\t")) {
				t.Errorf("%s/%s: contains a tab", name, p)
			}
			if !bytes.HasSuffix(data, []byte("\n")) {
				t.Errorf("%s/%s: does not end with a newline", name, p)
			}
		}
	}
}

// examples/<template> holds exact copies of the templates, for readers of
// the source tree. go test ./internal/scaffold -update rewrites them.
func TestExamplesMatchTemplates(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	for _, name := range Templates() {
		files, err := Files(name)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, name)
		seen := map[string]bool{}
		err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil && p == dir && os.IsNotExist(err) {
				return filepath.SkipAll
			}
			if err == nil && d.IsDir() && filepath.Dir(p) == dir && (d.Name() == ".fundament" || d.Name() == "secrets") {
				// Local state and secrets (git-ignored), e.g. of make lab.
				return filepath.SkipDir
			}
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			rel = filepath.ToSlash(rel)
			seen[rel] = true
			want, ok := files[rel]
			switch {
			case !ok && *golden.Update:
				return os.Remove(p)
			case !ok:
				t.Errorf("examples/%s/%s is not in the template; run go test ./internal/scaffold -update", name, rel)
				return nil
			}
			got, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, want) && !*golden.Update {
				t.Errorf("examples/%s/%s differs from the template; run go test ./internal/scaffold -update\n%s",
					name, rel, golden.Diff("template", "example", string(want), string(got)))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if *golden.Update {
			for p, data := range files {
				target := filepath.Join(dir, filepath.FromSlash(p))
				if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(target, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		for p := range files {
			if !seen[p] {
				t.Errorf("examples/%s/%s is missing; run go test ./internal/scaffold -update", name, p)
			}
		}
	}
}
