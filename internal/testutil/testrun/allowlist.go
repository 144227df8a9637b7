package main

import (
	"fmt"
	"strings"
)

// allowlist holds the tests CI may see skipped, each with why it cannot
// run there, keyed "package test" (package relative to the module).
type allowlist map[string]string

// parseAllowlist reads the allowlist file: one entry a line,
//
//	PACKAGE TEST: REASON
//
// PACKAGE relative to the module ("." for its root), TEST the full name as
// go test prints it (a subtest with its parents, TestX/case_one), REASON
// why CI cannot run it. Blank lines and lines starting with # are
// comments. An entry without a reason, a name with spaces and a repeated
// entry are errors, named by file and line.
func parseAllowlist(file string, data []byte) (allowlist, error) {
	a := allowlist{}
	for i, line := range strings.Split(string(data), "\n") {
		at := fmt.Sprintf("%s:%d", file, i+1)
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names, reason, ok := strings.Cut(line, ":")
		reason = strings.TrimSpace(reason)
		fields := strings.Fields(names)
		switch {
		case !ok || reason == "":
			return nil, fmt.Errorf("%s: %q has no reason: write PACKAGE TEST: why CI cannot run it", at, line)
		case len(fields) != 2:
			return nil, fmt.Errorf("%s: %q: want PACKAGE TEST before the colon", at, names)
		case !strings.HasPrefix(fields[1], "Test"):
			return nil, fmt.Errorf("%s: %q is not a test name (Test...)", at, fields[1])
		}
		key := fields[0] + " " + fields[1]
		if _, dup := a[key]; dup {
			return nil, fmt.Errorf("%s: %s is listed twice", at, key)
		}
		a[key] = reason
	}
	return a, nil
}
