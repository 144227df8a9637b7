package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// printTimes lists every package's time, every lab test's, and the other
// top-level tests that took at least threshold.
func printTimes(out io.Writer, results []result, threshold time.Duration) {
	fmt.Fprintf(out, "\n== times: every package, every lab test (TestLab*), the other tests of %s or more\n", threshold)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	var labs, slow []result
	for _, x := range results {
		switch {
		case x.Test == "":
			fmt.Fprintf(w, "  package\t%s\t%s\t%s\n", x.Package, word(x.Action), round(x.Elapsed))
		case labTest(x.Test):
			labs = append(labs, x)
		case !strings.Contains(x.Test, "/") && x.Elapsed >= threshold:
			slow = append(slow, x)
		}
	}
	for _, group := range []struct {
		kind string
		rs   []result
	}{{"lab test", labs}, {"test", slow}} {
		for _, x := range group.rs {
			fmt.Fprintf(w, "  %s\t%s %s\t%s\t%s\n", group.kind, x.Package, x.Test, word(x.Action), round(x.Elapsed))
		}
	}
	w.Flush()
	for _, x := range results {
		if x.Action == "unfinished" {
			fmt.Fprintln(out, "  (unfinished: still running when its package timed out or crashed; its output is above)")
			break
		}
	}
}

// printSkips lists every skipped test with its reason and whether the
// allowlist has it, then the entries of packages that ran whose test did
// not skip here. It reports the skips that are not allowlisted.
func printSkips(out io.Writer, results []result, allow allowlist, strict bool, file string) (unlisted []string) {
	var skips []result
	ran := map[string]bool{}
	for _, x := range results {
		ran[x.Package] = true
		if x.Action == "skip" {
			skips = append(skips, x)
		}
	}
	rule := "CI is not true: not checked against " + file
	if strict {
		rule = "CI=true: each must be on " + file
	}
	fmt.Fprintf(out, "\n== skipped: %d (%s)\n", len(skips), rule)
	seen := map[string]bool{}
	for _, x := range skips {
		key := x.Package + " " + x.Test
		seen[key] = true
		verdict := "allowlisted: " + allow[key]
		if _, listed := allow[key]; !listed {
			unlisted = append(unlisted, key)
			verdict = "not allowlisted"
			if strict {
				verdict = "NOT ALLOWLISTED: fails CI"
			}
		}
		fmt.Fprintf(out, "  %s: %s\n      %s\n", key, x.Reason, verdict)
	}
	var unused []string
	for key := range allow {
		pkg, _, _ := strings.Cut(key, " ")
		if !seen[key] && ran[pkg] {
			unused = append(unused, key)
		}
	}
	slices.Sort(unused)
	for _, key := range unused {
		fmt.Fprintf(out, "  (allowlisted, did not skip here: %s)\n", key)
	}
	return unlisted
}

// word is how an end is shown.
func word(action string) string {
	switch action {
	case "pass":
		return "ok"
	case "fail":
		return "FAIL"
	case "unfinished":
		return "FAIL (unfinished)"
	}
	return action
}

func round(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
