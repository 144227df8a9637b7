package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The streams in testdata are `go test -json -count=1 -timeout 2s` over
// small packages of a module "m", recorded: pass (a lab test among
// them), fail (a failing subtest), skip (a test, a lab test and a subtest
// skipped), buildfail (a test file that does not compile), panic (a test
// that panics), timeout (a lab test still running when the package timed
// out), nothing (a package without tests, then pass).
func TestSummarize(t *testing.T) {
	const allSkips = "skip TestNeedsRoot: a reason\nskip TestLabGalera: a reason\nskip TestTable/no_sh: a reason\n"
	exit1 := errors.New("exit status 1")
	tests := []struct {
		name      string
		stream    string
		allow     string
		strict    bool
		goTestErr error
		code      int
		want      []string // regular expressions the output matches
		dont      []string
	}{
		{name: "pass", stream: "pass", strict: true, code: 0, want: []string{
			`--- lab test pass TestLabCluster: started`,
			`--- lab test pass TestLabCluster: ok \(1\.2s\)`,
			`ok  \tm/pass\t`,
			`package +pass +ok +1\.2s`,
			`lab test +pass TestLabCluster +ok +1\.2s`,
			`== skipped: 0 \(CI=true: each must be on f\)`,
			`\nPASS\n$`,
		}, dont: []string{`TestQuick`, `cluster up`}},
		{name: "a failing test", stream: "fail", goTestErr: exit1, code: 1, want: []string{
			`fail_test.go:5: got 1, want 2`,
			`--- FAIL: TestTable \(`,
			"FAIL\tm/fail\t",
			`package +fail +FAIL`,
			`FAIL: tests failed`,
		}, dont: []string{`\nPASS\n`}},
		{name: "skips allowlisted", stream: "skip", allow: allSkips, strict: true, code: 0, want: []string{
			`== skipped: 3 \(CI=true`,
			`skip TestNeedsRoot: needs root: files are created with owner root\n +allowlisted: a reason`,
			`skip TestLabGalera: the lab needs debootstrap \(make deps installs it\)\n +allowlisted: a reason`,
			`skip TestTable/no_sh: no sh\n`,
			`lab test +skip TestLabGalera +skip`,
			`\nPASS\n$`,
		}},
		{name: "a skip not allowlisted, CI", stream: "skip", allow: "skip TestNeedsRoot: a reason\nskip TestTable/no_sh: a reason\n", strict: true, code: 1, want: []string{
			`skip TestLabGalera: the lab needs debootstrap \(make deps installs it\)\n +NOT ALLOWLISTED: fails CI`,
			`skip TestNeedsRoot: .*\n +allowlisted: a reason`,
			`FAIL: 1 test\(s\) skipped that f does not list: skip TestLabGalera\.`,
		}, dont: []string{`\nPASS\n`}},
		{name: "a skip not allowlisted, no CI", stream: "skip", code: 0, want: []string{
			`== skipped: 3 \(CI is not true: not checked against f\)`,
			`skip TestLabGalera: .*\n +not allowlisted\n`,
			`\nPASS\n$`,
		}},
		{name: "a package that does not build", stream: "buildfail", goTestErr: exit1, code: 1, want: []string{
			`buildfail/b_test.go:3:28: undefined: undefinedThing`,
			"FAIL\tm/buildfail \\[build failed\\]",
			`package +buildfail +FAIL`,
			`FAIL: tests failed`,
		}},
		{name: "a panic", stream: "panic", goTestErr: exit1, code: 1, want: []string{
			`panic: runtime error: index out of range`,
			`about to index`,
			`package +panic +FAIL`,
			`FAIL: tests failed`,
		}},
		{name: "a timeout", stream: "timeout", goTestErr: exit1, code: 1, want: []string{
			`t_test.go:3: waiting for the cluster`,
			`panic: test timed out after 2s`,
			`lab test +timeout TestLabHang +FAIL \(unfinished\) +2s`,
			`\(unfinished: still running when its package timed out or crashed`,
			`package +timeout +FAIL +2s`,
			`FAIL: tests failed`,
		}},
		{name: "go test failed, no test did", stream: "nothing", goTestErr: exit1, code: 1, want: []string{
			`FAIL: go test: exit status 1`,
		}},
		{name: "an entry that did not skip", stream: "nothing", allow: "pass TestQuick: a reason\nother TestY: a reason\n", strict: true, code: 0, want: []string{
			`\(allowlisted, did not skip here: pass TestQuick\)`,
		}, dont: []string{`other TestY`, `package +nothing`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream, err := os.Open(filepath.Join("testdata", tt.stream+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			allow, err := parseAllowlist("f", []byte(tt.allow))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			o := options{allowlist: "f", strict: tt.strict, threshold: time.Second}
			code := summarize(stream, func() error { return tt.goTestErr }, o, allow, "m", &out)
			if code != tt.code {
				t.Errorf("exit status %d, want %d", code, tt.code)
			}
			for _, re := range tt.want {
				if !regexp.MustCompile(re).MatchString(out.String()) {
					t.Errorf("the output does not match %s", re)
				}
			}
			for _, re := range tt.dont {
				if regexp.MustCompile(re).MatchString(out.String()) {
					t.Errorf("the output matches %s", re)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out.String())
			}
		})
	}
}

// With -v every test's output is printed as it comes, a failed test's once.
func TestVerbose(t *testing.T) {
	stream, err := os.ReadFile("testdata/fail.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	summarize(bytes.NewReader(stream), func() error { return nil }, options{verbose: true}, allowlist{}, "m", &out)
	if !strings.Contains(out.String(), "--- PASS: TestGood") || strings.Count(out.String(), "got 1, want 2") != 1 {
		t.Errorf("verbose output, each line once:\n%s", out.String())
	}
}

func TestSkipReason(t *testing.T) {
	tests := []struct {
		lines []string
		want  string
	}{
		{[]string{"=== RUN   TestX\n", "    x_test.go:9: yanglint is not installed\n", "--- SKIP: TestX (0.00s)\n"}, "yanglint is not installed"},
		{[]string{"    labtest.go:75: the lab needs root\n", "    x_test.go:3: second: line\n"}, "the lab needs root; second: line"},
		{[]string{"    a reason: without a file\n"}, "a reason: without a file"},
		{[]string{"--- SKIP: TestX (0.00s)\n"}, "(no reason given)"},
	}
	for _, tt := range tests {
		if got := skipReason(tt.lines); got != tt.want {
			t.Errorf("skipReason(%q) = %q, want %q", tt.lines, got, tt.want)
		}
	}
}

func TestParseAllowlist(t *testing.T) {
	tests := []struct {
		name, in, err string
		want          map[string]string
	}{
		{"entries and comments", "# c\n\ninternal/a TestX: why\n  internal/b TestY/sub_case : because: of this  \n", "",
			map[string]string{"internal/a TestX": "why", "internal/b TestY/sub_case": "because: of this"}},
		{"no reason", "internal/a TestX\n", "f:1: \"internal/a TestX\" has no reason", nil},
		{"empty reason", "# c\ninternal/a TestX:   \n", "f:2: \"internal/a TestX:\" has no reason", nil},
		{"no package", "TestX: why\n", "f:1: \"TestX\": want PACKAGE TEST", nil},
		{"not a test", "internal/a BenchmarkX: why\n", "f:1: \"BenchmarkX\" is not a test name", nil},
		{"twice", "internal/a TestX: why\ninternal/a TestX: again\n", "f:2: internal/a TestX is listed twice", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseAllowlist("f", []byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || len(a) != len(tt.want) {
				t.Fatalf("%v %v", a, err)
			}
			for k, v := range tt.want {
				if a[k] != v {
					t.Errorf("%s: %q, want %q", k, a[k], v)
				}
			}
		})
	}
}

// A missing allowlist is an empty one for a developer, an error for CI.
func TestLoadAllowlist(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	if a, err := loadAllowlist(missing, false); err != nil || len(a) != 0 {
		t.Errorf("not strict: %v %v", a, err)
	}
	if _, err := loadAllowlist(missing, true); err == nil {
		t.Error("strict: a missing allowlist is no error")
	}
}

// The repository's allowlist parses, every entry says why and names a
// test that exists.
func TestRepositoryAllowlist(t *testing.T) {
	a, err := loadAllowlist("../../../.ci/skip-allowlist", true)
	if err != nil {
		t.Fatal(err)
	}
	for k, why := range a {
		if len(why) < 20 {
			t.Errorf("%s: %q says too little about why CI cannot run it", k, why)
		}
		pkg, test, _ := strings.Cut(k, " ")
		test, _, _ = strings.Cut(test, "/")
		files, _ := filepath.Glob(filepath.Join("../../..", pkg, "*_test.go"))
		found := false
		for _, f := range files {
			b, _ := os.ReadFile(f)
			found = found || bytes.Contains(b, []byte("func "+test+"("))
		}
		if !found {
			t.Errorf("%s: no test %s in %s", k, test, pkg)
		}
	}
}

func FuzzParseAllowlist(f *testing.F) {
	f.Add([]byte("internal/a TestX: why\n# c\n"))
	f.Add([]byte("internal/a TestX\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseAllowlist("f", b)
		if err != nil {
			return
		}
		for k, why := range a {
			if why == "" || len(strings.Fields(k)) != 2 {
				t.Errorf("entry %q: %q", k, why)
			}
		}
	})
}

func FuzzCollector(f *testing.F) {
	for _, name := range []string{"skip", "timeout"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".jsonl"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Action":"skip","Package":"m/x","Test":"T/a/b"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := newCollector("m", &bytes.Buffer{}, false)
		c.consume(bytes.NewReader(b))
		for _, r := range c.results {
			if r.Action == "skip" && r.Reason == "" {
				t.Errorf("a skip without a reason: %+v", r)
			}
		}
	})
}
