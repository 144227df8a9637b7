package yang

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Yanglint finds libyang's yanglint (Debian libyang2-tools) on PATH.
func Yanglint() (string, error) {
	return exec.LookPath("yanglint")
}

// Lint validates a converted document with yanglint as a configuration
// datastore. It names every module of the data's import closure on the
// command line, imports first, so that all are implemented: must and when
// conditions reaching into another module (VLAN_MEMBER's "not a LAG
// member", PORT's lanes on device_metadata) are checked, not skipped with
// a warning. (yanglint's -i would do the same, but libyang 2.1.30 crashes
// compiling sonic-vlan with it.) The error carries yanglint's messages.
func (s *Schema) Lint(ctx context.Context, yanglint string, r *Result) error {
	tmp, err := os.MkdirTemp("", "fundament-yang-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	data := filepath.Join(tmp, "config.json")
	if err := os.WriteFile(data, r.JSON, 0o600); err != nil {
		return err
	}
	if len(r.Modules) == 0 {
		return nil // nothing any module defines
	}
	args := []string{"-p", s.Dir, "-t", "config"}
	args = append(args, s.Closure(r.Modules)...)
	args = append(args, data)
	cmd := exec.CommandContext(ctx, yanglint, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("yanglint rejects the data (%v):\n%s", err, errorLines(out.String()))
	}
	if strings.Contains(out.String(), "check skipped") {
		// A must or when that was not evaluated is no pass.
		return fmt.Errorf("yanglint skipped checks:\n%s", out.String())
	}
	return nil
}

// errorLines keeps yanglint's errors and drops its warnings (each may span
// several lines), which are about checks skipped in modules the data does
// not use.
func errorLines(out string) string {
	var keep []string
	warning := false
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		switch {
		case strings.HasPrefix(l, "libyang warn"):
			warning = true
		case strings.HasPrefix(l, "libyang ") || strings.HasPrefix(l, "YANGLINT"):
			warning = false
		}
		if !warning && strings.TrimSpace(l) != "" {
			keep = append(keep, l)
		}
	}
	if len(keep) == 0 {
		return out
	}
	return strings.Join(keep, "\n")
}

// Closure returns the files of the modules and of everything they import,
// transitively, each after the modules it imports (ties by name). Imports
// that are not in the directory (ietf-inet-types, ietf-yang-types) are
// libyang's built-ins and left out.
func (s *Schema) Closure(modules []string) []string {
	var files []string
	done := map[string]bool{}
	var visit func(name string, depth int)
	visit = func(name string, depth int) {
		m := s.modules[name]
		if m == nil || done[name] || depth > 64 {
			return
		}
		done[name] = true
		for _, imp := range s.Imports(name) {
			visit(imp, depth+1)
		}
		files = append(files, m.file)
	}
	for _, name := range slices.Sorted(slices.Values(modules)) {
		visit(name, 0)
	}
	return files
}
