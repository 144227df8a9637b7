// Package docs holds the documentation; its test keeps architecture.md's
// package table true.
package docs

import (
	"bufio"
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// row is one line of the package table: a package (or "dir/*", every
// package below dir) and the packages it depends on, as written.
type row struct {
	line    int
	pattern string   // internal/cli, internal/components/*
	deps    []string // internal/model, internal/components/*
}

func (r row) matches(pkg string) bool {
	if dir, ok := strings.CutSuffix(r.pattern, "/*"); ok {
		return strings.HasPrefix(pkg, dir+"/")
	}
	return pkg == r.pattern
}

// covers says whether a depends-on entry names pkg.
func covers(entry, pkg string) bool {
	return row{pattern: entry}.matches(pkg)
}

var parenthesized = regexp.MustCompile(`\([^()]*\)`)

// parseTable reads the table under "## Packages": | package | job |
// depends on |. A dependency is a package under internal/ named without
// the prefix ("model", "render/fabric", "components/*"), or a path from
// the module's root ("cmd/..."); parentheses are comments; "—" is none.
func parseTable(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []row
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## Packages"
			continue
		case !in || !strings.HasPrefix(line, "| `"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		if len(cells) != 3 {
			return nil, fmt.Errorf("%s:%d: want 3 cells (package, job, depends on), got %d", path, n, len(cells))
		}
		name := strings.TrimSpace(cells[0])
		if strings.Count(name, "`") != 2 || !strings.HasPrefix(name, "`") || !strings.HasSuffix(name, "`") {
			return nil, fmt.Errorf("%s:%d: the package cell %s names more than one package: one row each", path, n, name)
		}
		r := row{line: n, pattern: strings.Trim(name, "`")}
		deps := strings.TrimSpace(parenthesized.ReplaceAllString(cells[2], ""))
		if deps != "—" && deps != "-" && deps != "" {
			for _, d := range strings.Split(deps, ",") {
				d = strings.Trim(strings.TrimSpace(d), "`")
				if !strings.HasPrefix(d, "cmd/") {
					d = "internal/" + d
				}
				r.deps = append(r.deps, d)
			}
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no package table under \"## Packages\"", path)
	}
	return rows, nil
}

// imports lists every package of the module below root (cmd/ and
// internal/) with the module's packages it imports (test files aside),
// by path from the module's root.
func imports(root, module string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			pkg, err := build.ImportDir(p, 0)
			var none *build.NoGoError
			if errors.As(err, &none) {
				return nil
			}
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			deps := []string{}
			for _, imp := range pkg.Imports {
				if dep, ok := strings.CutPrefix(imp, module+"/"); ok {
					deps = append(deps, dep)
				}
			}
			out[rel] = deps
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// repoImports is the import graph of this repository (imports).
func repoImports(t *testing.T) map[string][]string {
	t.Helper()
	module, err := modulePath("..")
	if err != nil {
		t.Fatal(err)
	}
	graph, err := imports("..", module)
	if err != nil {
		t.Fatal(err)
	}
	return graph
}

func modulePath(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if m, ok := strings.CutPrefix(line, "module "); ok {
			return strings.TrimSpace(m), nil
		}
	}
	return "", errors.New("go.mod names no module")
}

// TestPackageTable compares architecture.md's "depends on" column with
// the imports: every package of cmd/ and internal/ has a row (exactly one:
// its own, or else a "dir/*" row), a row lists exactly the packages its
// packages import (for "dir/*" all of theirs together), and no row names
// a package that does not exist.
func TestPackageTable(t *testing.T) {
	graph := repoImports(t)
	rows, err := parseTable("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range compare(rows, graph) {
		t.Error(msg)
	}
}

// compare returns what the table gets wrong about graph.
func compare(rows []row, graph map[string][]string) []string {
	var msgs []string
	members := map[int][]string{}
	for _, pkg := range slices.Sorted(maps.Keys(graph)) {
		i := owner(rows, pkg)
		if i < 0 {
			msgs = append(msgs, fmt.Sprintf("package %s has no row in architecture.md's package table", pkg))
			continue
		}
		members[i] = append(members[i], pkg)
	}
	for i, r := range rows {
		if len(members[i]) == 0 {
			msgs = append(msgs, fmt.Sprintf("architecture.md:%d: %s: no such package", r.line, r.pattern))
			continue
		}
		imported := map[string][]string{} // dependency -> the row's packages importing it
		for _, pkg := range members[i] {
			for _, d := range graph[pkg] {
				imported[d] = append(imported[d], pkg)
			}
		}
		for _, d := range slices.Sorted(maps.Keys(imported)) {
			if !slices.ContainsFunc(r.deps, func(e string) bool { return covers(e, d) }) {
				msgs = append(msgs, fmt.Sprintf("architecture.md:%d: %s depends on %s (imported by %s), which its \"depends on\" column does not name",
					r.line, r.pattern, strings.TrimPrefix(d, "internal/"), strings.Join(imported[d], ", ")))
			}
		}
		for _, e := range r.deps {
			used := false
			for d := range imported {
				used = used || covers(e, d)
			}
			if !used {
				msgs = append(msgs, fmt.Sprintf("architecture.md:%d: %s does not depend on %s, which its \"depends on\" column names",
					r.line, r.pattern, strings.TrimPrefix(e, "internal/")))
			}
		}
	}
	return msgs
}

// owner is the row of pkg: its own, or else the "dir/*" row of the
// nearest dir above it; -1 for none.
func owner(rows []row, pkg string) int {
	best, depth := -1, -1
	for i, r := range rows {
		if !r.matches(pkg) {
			continue
		}
		d := strings.Count(r.pattern, "/")
		if r.pattern == pkg {
			d = 1 << 30
		}
		if d > depth {
			best, depth = i, d
		}
	}
	return best
}

func TestCompare(t *testing.T) {
	rows := []row{
		{line: 1, pattern: "cmd/x", deps: []string{"internal/cli"}},
		{line: 2, pattern: "internal/cli", deps: []string{"internal/model", "internal/components/*"}},
		{line: 3, pattern: "internal/components/*", deps: []string{"internal/model"}},
		{line: 4, pattern: "internal/gone", deps: nil},
	}
	graph := map[string][]string{
		"cmd/x":                 {"internal/cli"},
		"internal/cli":          {"internal/model", "internal/diag"},
		"internal/components/a": {"internal/model"},
		"internal/components/b": {"internal/components/a"},
		"internal/model":        {},
	}
	want := []string{
		"package internal/model has no row in architecture.md's package table",
		"architecture.md:2: internal/cli depends on diag (imported by internal/cli), which its \"depends on\" column does not name",
		"architecture.md:2: internal/cli does not depend on components/*, which its \"depends on\" column names",
		"architecture.md:3: internal/components/* depends on components/a (imported by internal/components/b), which its \"depends on\" column does not name",
		"architecture.md:4: internal/gone: no such package",
	}
	got := compare(rows, graph)
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("missing %q", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d messages, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}

// TestLayers keeps the layering rules the table alone would not catch,
// over all dependencies, direct or not.
func TestLayers(t *testing.T) {
	graph := repoImports(t)
	rules := []struct {
		from, never, why string
	}{
		{"internal/render/*", "internal/validate", "a renderer takes a model that validated; what it needs of the rules (ASNs) is the model's"},
		{"internal/render/*", "internal/secrets", "renderers are pure: model in, bytes out (secrets pull in age)"},
		{"internal/components/fabric", "internal/components/hostnet", "components share libraries (ovs, render/*), not each other's packages"},
		{"internal/engine", "internal/cli", "the policy of gates is the engine's, the command line only wires it"},
		{"internal/lab", "internal/state", "the lab waits for SSH with the host keys its caller trusts; where they are recorded is not the lab's business"},
	}
	for _, r := range rules {
		for _, pkg := range slices.Sorted(maps.Keys(graph)) {
			if !(row{pattern: r.from}).matches(pkg) {
				continue
			}
			if path := depPath(graph, pkg, r.never); path != nil {
				t.Errorf("%s must not depend on %s (%s): %s", pkg, r.never, r.why, strings.Join(path, " -> "))
			}
		}
	}
}

// depPath is a chain of imports from pkg to dep, nil when there is none.
func depPath(graph map[string][]string, pkg, dep string) []string {
	seen := map[string]bool{}
	var walk func(p string) []string
	walk = func(p string) []string {
		if p == dep {
			return []string{p}
		}
		if seen[p] {
			return nil
		}
		seen[p] = true
		for _, d := range graph[p] {
			if rest := walk(d); rest != nil {
				return append([]string{p}, rest...)
			}
		}
		return nil
	}
	return walk(pkg)
}
