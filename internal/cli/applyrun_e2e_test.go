package cli

// apply's function (runApply) called as a program would, without cobra:
// the question before a plan is applied, saved plans and the JSON summary
// (see engine_e2e_test.go for the harness).

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// applyWith runs runApply with output format output ("text" or "json")
// and the request's plan, question and answer.
func (e *e2e) applyWith(output string, req applyRequest) (stdout, stderr string, err error) {
	e.t.Helper()
	var out, errb bytes.Buffer
	g := &globals{repo: e.repo, output: output, stdout: &out, stderr: &errb, args: []string{"apply"}}
	f := &engineFlags{parallel: 16, sshKeys: strings.Split(e.keys, ","), components: []string{"custom"}}
	if req.retries == 0 {
		req.retries = 2
	}
	if req.timeout == 0 {
		req.timeout = time.Minute
	}
	err = runApply(context.Background(), g, f, req)
	e.t.Logf("runApply -o %s: %v\nstdout:\n%s\nstderr:\n%s", output, err, out.String(), errb.String())
	e.outs = append(e.outs, out.String(), errb.String())
	return out.String(), errb.String(), err
}

// TestE2EApplyRun: an apply that has changes shows its plan and asks;
// nobody to ask (no terminal), -o json or any answer but "yes" refuses it
// and nothing runs; "yes" applies. Then nothing is left to change: -o json
// prints the one summary shape with no run; a saved plan is applied as
// saved, once.
func TestE2EApplyRun(t *testing.T) {
	e := newE2E(t)
	e.custom(oneFilePerHost)
	const refused = "refusing to apply a plan nobody reviewed: pass --auto-approve, or save a plan with 'fundament plan -out FILE' and apply that"
	const question = "Apply these changes? Only 'yes' will be accepted: "
	nothingApplied := func(what string) {
		t.Helper()
		if e.exists("h1", "f") || e.applyRuns() != 0 {
			t.Fatalf("%s: applied (h1/f exists: %v, %d apply runs)", what, e.exists("h1", "f"), e.applyRuns())
		}
	}

	refusals := []struct {
		name, output string
		answer       string // "": nobody to ask
		err          string
		plan         bool // the plan is shown
		asked        bool
	}{
		{name: "no terminal", output: "text", err: refused, plan: true},
		{name: "the answer is not yes", output: "text", answer: "y\n", err: "apply cancelled", plan: true, asked: true},
		{name: "no answer at all", output: "text", answer: "\x00", err: "apply cancelled", plan: true, asked: true},
		{name: "-o json shows no plan and asks nothing", output: "json", answer: "yes\n", err: refused},
	}
	for _, r := range refusals {
		req := applyRequest{}
		if r.answer != "" {
			req.answer = strings.NewReader(strings.TrimSuffix(r.answer, "\x00"))
		}
		out, _, err := e.applyWith(r.output, req)
		if err == nil || err.Error() != r.err {
			t.Fatalf("%s: %v, want %q", r.name, err, r.err)
		}
		if got := strings.Contains(out, "Plan: 3 to create"); got != r.plan {
			t.Errorf("%s: the plan shown %v, want %v:\n%s", r.name, got, r.plan, out)
		}
		if got := strings.Contains(out, question); got != r.asked {
			t.Errorf("%s: asked %v, want %v:\n%s", r.name, got, r.asked, out)
		}
		nothingApplied(r.name)
	}

	out, _, err := e.applyWith("text", applyRequest{answer: strings.NewReader("yes\n")})
	if err != nil {
		t.Fatalf("answered yes: %v", err)
	}
	contains(t, "the apply answered yes", out, question, "Apply complete: 3 succeeded")
	if e.read("h1", "f") != "one\n" || e.applyRuns() != 1 {
		t.Fatalf("answered yes: h1/f %q, %d apply runs", e.read("h1", "f"), e.applyRuns())
	}

	// Nothing to change: no question, no run; JSON's summary says so.
	out, _, err = e.applyWith("json", applyRequest{})
	if err != nil {
		t.Fatalf("-o json without changes: %v", err)
	}
	var sum applySummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("-o json without changes printed not one JSON line (%v):\n%s", err, out)
	}
	if sum.Type != "summary" || !sum.OK || sum.Changes != 0 || sum.Run != "" || sum.Results == nil || sum.HostsSkipped == nil {
		t.Errorf("-o json without changes: %+v", sum)
	}

	// A saved plan is applied without a question, as saved, and only once.
	e.custom(strings.Replace(oneFilePerHost, `"one\n"`, `"uno\n"`, 1))
	planFile := filepath.Join(t.TempDir(), "cloud.plan")
	e.must(ExitOK, "plan", "-out", planFile)
	out, _, err = e.applyWith("text", applyRequest{planFile: planFile})
	if err != nil {
		t.Fatalf("the saved plan: %v", err)
	}
	contains(t, "the saved plan's apply", out, "Apply complete: 1 succeeded")
	if strings.Contains(out, question) || e.read("h1", "f") != "uno\n" {
		t.Errorf("the saved plan: h1/f %q, asked:\n%s", e.read("h1", "f"), out)
	}
	if _, _, err = e.applyWith("text", applyRequest{planFile: planFile}); err == nil || !strings.Contains(err.Error(), "the plan is stale: h1") {
		t.Errorf("the saved plan again: %v, want it stale", err)
	}
}
