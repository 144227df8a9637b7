package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Time       time.Time
	Action     string
	Package    string
	ImportPath string // build-output, build-fail
	Test       string
	Elapsed    float64
	Output     string
}

// result is how a test or a package ended.
type result struct {
	Package string // relative to the module
	Test    string // "" for the package itself
	Action  string // pass, fail, skip, or unfinished (its package timed out or crashed)
	Elapsed time.Duration
	Reason  string // a skip's reason: what the test printed
}

// labTest says whether a test is a lab test: a top-level test whose name
// starts with TestLab (the lab tests' convention).
func labTest(test string) bool {
	return strings.HasPrefix(test, "TestLab") && !strings.Contains(test, "/")
}

// collector reads a `go test -json` stream: it prints what a developer
// needs as it comes (each package's line, build errors, the output of
// every failed test, a line when a lab test starts and ends, and with
// verbose every test's output) and keeps every test's and package's
// result.
type collector struct {
	module  string // import path prefix left out of package names
	out     io.Writer
	verbose bool

	own        map[string][]string  // output lines of each test (package + name)
	transcript map[string][]string  // of each top-level test with its subtests
	running    map[string]time.Time // top-level tests started and not ended
	results    []result
	failed     bool
}

func newCollector(module string, out io.Writer, verbose bool) *collector {
	return &collector{module: module, out: out, verbose: verbose,
		own: map[string][]string{}, transcript: map[string][]string{}, running: map[string]time.Time{}}
}

// consume reads the stream to its end; lines that are not events (what
// go test printed that test2json did not wrap) are printed as they are.
func (c *collector) consume(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Action == "" {
			fmt.Fprintf(c.out, "%s\n", line)
			continue
		}
		c.event(e)
	}
	return sc.Err()
}

func (c *collector) rel(pkg string) string {
	if pkg == c.module {
		return "."
	}
	return strings.TrimPrefix(pkg, c.module+"/")
}

func (c *collector) event(e event) {
	top, _, _ := strings.Cut(e.Test, "/")
	tkey, okey := e.Package+" "+top, e.Package+" "+e.Test
	switch e.Action {
	case "build-output":
		fmt.Fprint(c.out, e.Output)
	case "build-fail":
		c.failed = true
	case "run":
		if e.Test != "" && top == e.Test {
			c.running[tkey] = e.Time
			if labTest(e.Test) {
				fmt.Fprintf(c.out, "--- lab test %s %s: started\n", c.rel(e.Package), e.Test)
			}
		}
	case "output":
		if e.Test == "" {
			// The package's own lines: "ok  pkg 1.2s", "FAIL pkg", a
			// panic outside a test.
			if e.Output != "PASS\n" {
				fmt.Fprint(c.out, e.Output)
			}
			return
		}
		if c.verbose {
			fmt.Fprint(c.out, e.Output)
		}
		c.own[okey] = append(c.own[okey], e.Output)
		c.transcript[tkey] = append(c.transcript[tkey], e.Output)
	case "pass", "fail", "skip":
		c.end(e, top, tkey, okey)
	}
}

// end records a test's or a package's end.
func (c *collector) end(e event, top, tkey, okey string) {
	if e.Test == "" && e.Action == "skip" {
		return // a package without tests
	}
	r := result{Package: c.rel(e.Package), Test: e.Test, Action: e.Action,
		Elapsed: time.Duration(e.Elapsed * float64(time.Second))}
	if e.Action == "skip" {
		r.Reason = skipReason(c.own[okey])
	}
	if e.Action == "fail" {
		c.failed = true
	}
	switch {
	case e.Test == "":
		// A package that timed out or crashed leaves tests that never
		// ended: their output says where they were.
		for _, k := range slices.Sorted(maps.Keys(c.running)) {
			pkg, test, _ := strings.Cut(k, " ")
			if pkg != e.Package {
				continue
			}
			started := c.running[k]
			if !c.verbose {
				fmt.Fprint(c.out, strings.Join(c.transcript[k], ""))
			}
			u := result{Package: r.Package, Test: test, Action: "unfinished"}
			if !started.IsZero() && !e.Time.IsZero() {
				u.Elapsed = e.Time.Sub(started)
			}
			c.results = append(c.results, u)
			delete(c.running, k)
			delete(c.transcript, k)
		}
	case e.Test == top:
		if e.Action == "fail" && !c.verbose {
			fmt.Fprint(c.out, strings.Join(c.transcript[tkey], ""))
		}
		if labTest(e.Test) {
			fmt.Fprintf(c.out, "--- lab test %s %s: %s (%s)\n", r.Package, e.Test, word(e.Action), round(r.Elapsed))
		}
		delete(c.running, tkey)
		delete(c.transcript, tkey)
	}
	c.results = append(c.results, r)
	delete(c.own, okey)
}

// skipReason is what a skipped test printed, without the lines the
// testing package adds and without file:line prefixes.
func skipReason(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		if i := strings.Index(t, ": "); i > 0 && strings.Contains(t[:i], ".go:") && !strings.Contains(t[:i], " ") {
			t = t[i+2:]
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, "; ")
}
