// Command testrun runs the test suite for `make test` and CI: go test
// -json over the packages, read as it comes. It prints each package's
// line and the output of every failed test as go test would, a line when
// a lab test starts and ends, then every package's time, every lab
// test's time (TestLab*) and the other slow tests, and every skipped test
// with its reason. Its exit status is go test's: a failing test, a build
// error or a timeout fails it. With -strict (the default when CI=true) a
// skip that .ci/skip-allowlist does not list, with its reason, fails it
// too: a test that CI could run but skipped proves nothing.
//
//	go run ./internal/testutil/testrun [flags] [packages] [-- go test flags]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout))
}

type options struct {
	allowlist string
	strict    bool
	verbose   bool
	timeout   time.Duration
	threshold time.Duration
	packages  []string
	goFlags   []string // after --
}

func run(args []string, out io.Writer) int {
	var o options
	fs := flag.NewFlagSet("testrun", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.allowlist, "allowlist", ".ci/skip-allowlist", "`FILE` of the tests that may skip, each with its reason")
	fs.BoolVar(&o.strict, "strict", os.Getenv("CI") == "true", "fail when a test skipped that is not on the allowlist (default: CI=true)")
	fs.BoolVar(&o.verbose, "v", false, "print every test's output as it comes")
	// A package's lab tests run one after another in its test binary:
	// rabbitmq holds two of 10-25 minutes each on a loaded machine.
	fs.DurationVar(&o.timeout, "timeout", 60*time.Minute, "go test -timeout (of each package's test binary)")
	fs.DurationVar(&o.threshold, "show", 5*time.Second, "list the tests other than lab tests that took at least this long")
	if i := slices.Index(args, "--"); i >= 0 {
		args, o.goFlags = args[:i], args[i+1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.packages = fs.Args()
	if len(o.packages) == 0 {
		o.packages = []string{"./..."}
	}
	allow, err := loadAllowlist(o.allowlist, o.strict)
	if err != nil {
		fmt.Fprintln(out, err)
		return 2
	}
	mod, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		fmt.Fprintf(out, "go list -m: %v\n", err)
		return 2
	}
	args = append([]string{"test", "-json", "-count=1", "-timeout", o.timeout.String()}, o.goFlags...)
	cmd := exec.Command("go", append(args, o.packages...)...)
	cmd.Stderr = out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(out, "go test: %v\n", err)
		return 2
	}
	// Ctrl-C reaches go test too (same process group): it ends, and the
	// summary still comes. A SIGTERM to this process alone is passed on.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	fmt.Fprintf(out, "== go %s\n", strings.Join(cmd.Args[1:], " "))
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(out, "go test: %v\n", err)
		return 2
	}
	go func() {
		for s := range sigs {
			if s == syscall.SIGTERM {
				cmd.Process.Signal(s)
			}
		}
	}()
	return summarize(stdout, cmd.Wait, o, allow, strings.TrimSpace(string(mod)), out)
}

// loadAllowlist reads the allowlist; without -strict a missing file is
// an empty list.
func loadAllowlist(file string, strict bool) (allowlist, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) && !strict {
		return allowlist{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the skip allowlist: %w", err)
	}
	return parseAllowlist(file, b)
}

// summarize reads go test's events, waits for it to end and prints the
// times and the skips; its result is the exit status of the run.
func summarize(stream io.Reader, wait func() error, o options, allow allowlist, module string, out io.Writer) int {
	c := newCollector(module, out, o.verbose)
	readErr := c.consume(stream)
	waitErr := wait()
	printTimes(out, c.results, o.threshold)
	unlisted := printSkips(out, c.results, allow, o.strict, o.allowlist)
	switch {
	case c.failed:
		fmt.Fprintln(out, "\nFAIL: tests failed (their output is above)")
		return 1
	case waitErr != nil:
		// No test failed, yet go test did: a bad flag, a package that
		// does not exist.
		fmt.Fprintf(out, "\nFAIL: go test: %v\n", waitErr)
		return 1
	case readErr != nil:
		fmt.Fprintf(out, "\nFAIL: reading go test's output: %v\n", readErr)
		return 1
	case o.strict && len(unlisted) > 0:
		fmt.Fprintf(out, "\nFAIL: %d test(s) skipped that %s does not list: %s.\n"+
			"Under CI=true a skip fails the run, since a test that could run but skipped proves nothing.\n"+
			"Make it run on CI (a package in .ci/apt-deps, root), or add \"PACKAGE TEST: REASON\" to %s\n"+
			"saying why no CI machine can run it.\n",
			len(unlisted), o.allowlist, strings.Join(unlisted, ", "), o.allowlist)
		return 1
	}
	fmt.Fprintln(out, "\nPASS")
	return 0
}
