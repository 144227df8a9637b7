// Package scaffold writes the starting configuration repositories of
// `fundament init`: complete, commented templates that validate as they
// are and teach the format by example.
//
// The templates live under templates/<name>/ and are embedded into the
// binary; examples/<name>/ at the root of the source tree holds identical
// copies for readers of the source (TestExamplesMatchTemplates keeps them
// in step).
package scaffold

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed templates
var templatesFS embed.FS

// GitignoreEntry is the line of .gitignore that keeps Fundament's local
// state (plan files, run records) out of the repository.
const GitignoreEntry = ".fundament/"

const gitignoreHeader = "# Fundament's local state (saved plans, run records, caches): machine-local,\n# never part of the configuration repository.\n"

// repositoryEntries are the top-level names whose presence means dir is
// already a configuration repository, which Write never touches.
var repositoryEntries = []string{"cloud.yaml", "network.yaml", "inventory", "services"}

// Templates lists the names of the templates, sorted.
func Templates() []string {
	entries, err := templatesFS.ReadDir("templates")
	if err != nil {
		panic("scaffold: embedded templates: " + err.Error())
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// Files returns the files of a template, by slash-separated path relative
// to the repository root.
func Files(template string) (map[string][]byte, error) {
	root, err := templateRoot(template)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	err = fs.WalkDir(templatesFS, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := templatesFS.ReadFile(p)
		if err != nil {
			return err
		}
		files[strings.TrimPrefix(p, root+"/")] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scaffold: reading template %s: %w", template, err)
	}
	return files, nil
}

func templateRoot(template string) (string, error) {
	for _, t := range Templates() {
		if t == template {
			return path.Join("templates", template), nil
		}
	}
	return "", fmt.Errorf("unknown template %q: choose one of %s", template, strings.Join(Templates(), ", "))
}

// Write writes template into dir (created if missing). It refuses, with an
// error naming the file, when dir already holds a cloud.yaml, network.yaml,
// inventory/ or services/: it never overwrites an operator's repository.
// It also writes a .gitignore listing .fundament/ (local state), or adds
// that line to an existing .gitignore. It returns the files written, as
// slash-separated paths relative to dir, sorted.
func Write(dir, template string) ([]string, error) {
	files, err := Files(template)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	for _, name := range repositoryEntries {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%s already exists: %s already holds a configuration repository, and fundament init never overwrites one (choose an empty directory)", p, dir)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("checking %s: %w", p, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}

	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var written []string
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return written, err
		}
		if err := writeNew(p, files[name]); err != nil {
			return written, err
		}
		written = append(written, name)
	}
	changed, err := ensureGitignore(filepath.Join(dir, ".gitignore"))
	if err != nil {
		return written, err
	}
	if changed {
		written = append(written, ".gitignore")
	}
	sort.Strings(written)
	return written, nil
}

// writeNew creates p with data; it fails rather than replace a file that
// appeared since the checks of Write.
func writeNew(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; fundament init never overwrites a file", p)
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}

// ensureGitignore makes the .gitignore at p list .fundament/, creating the
// file or appending to it. It reports whether it changed the file.
func ensureGitignore(p string) (bool, error) {
	old, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return true, writeNew(p, []byte(gitignoreHeader+GitignoreEntry+"\n"))
	}
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(old), "\n") {
		l := strings.TrimSpace(line)
		if l == GitignoreEntry || l == "/"+GitignoreEntry || l == strings.TrimSuffix(GitignoreEntry, "/") || l == "/"+strings.TrimSuffix(GitignoreEntry, "/") {
			return false, nil
		}
	}
	add := gitignoreHeader + GitignoreEntry + "\n"
	if len(old) > 0 && !strings.HasSuffix(string(old), "\n") {
		add = "\n" + add
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return false, err
	}
	if _, err := f.WriteString(add); err != nil {
		f.Close()
		return false, fmt.Errorf("writing %s: %w", p, err)
	}
	return true, f.Close()
}
