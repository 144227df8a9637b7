package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noControl fails when text holds a control character other than newline
// and tab: one a terminal would act on.
func noControl(t *testing.T, what, text string) {
	t.Helper()
	for i, r := range text {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u202e' {
			t.Errorf("%s holds %U at %d: %q", what, r, i, text[max(i-20, 0):min(i+20, len(text))])
			return
		}
	}
}

// Names and values with control characters reach the terminal escaped:
// in diagnostics, and in the errors of any command.
func TestValidateEscapesControlCharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	if code := Execute([]string{"init", "--template", "lab", dir}, io.Discard, io.Discard); code != ExitOK {
		t.Fatalf("init: exit %d", code)
	}
	// YAML's double-quoted escapes make control characters without any
	// raw one in the file.
	evil := `hosts:
  - name: "cmp\e]0;pwned\a-9"
    roles: [compute]
    rack: r1
    interfaces: [{name: eth0}]
    networks:
      mgmt: {interface: "nope\r\u202e", address: 10.199.0.99}
`
	if err := os.WriteFile(filepath.Join(dir, "inventory/evil.yaml"), []byte(evil), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Execute([]string{"validate", "--repo", dir}, &out, &errb); code != ExitNotOK {
		t.Fatalf("validate: exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	noControl(t, "validate's output", out.String()+errb.String())
	contains(t, "validate's output", out.String(),
		`inventory/evil.yaml:2:11: error: host name "cmp\x1b]0;pwned\a-9"`,
		`error: host cmp\x1b]0;pwned\x07-9 has no interface "nope\r\u202e" to carry network mgmt`)

	// JSON keeps the values (JSON escapes them itself).
	out.Reset()
	Execute([]string{"validate", "--repo", dir, "-o", "json"}, &out, io.Discard)
	var report struct{ Diagnostics []struct{ Message string } }
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("validate -o json: %v\n%s", err, out.String())
	}
	found := false
	for _, d := range report.Diagnostics {
		found = found || strings.Contains(d.Message, "cmp\x1b]0;pwned\a-9")
	}
	if !found {
		t.Errorf("the JSON report lost the name: %s", out.String())
	}
	noControl(t, "validate -o json", out.String())

	// An error of another command, with a name from the command line.
	errb.Reset()
	Execute([]string{"hostkeys", "forget", "--repo", filepath.Join(dir, "no\x1b[2Jsuch")}, io.Discard, &errb)
	Execute([]string{"secrets", "show", "x\x1b[2J", "--repo", dir}, io.Discard, &errb)
	if !strings.Contains(errb.String(), `x\x1b[2J`) {
		t.Errorf("the error does not name the secret, escaped:\n%s", errb.String())
	}
	noControl(t, "errors", errb.String())
}

func TestTerminalWriter(t *testing.T) {
	var b bytes.Buffer
	w := &terminalWriter{w: &b}
	// A character cut between two writes is kept whole.
	for _, chunk := range []string{"ok \xe2\x80", "\xae \x1b[0m", " 東", "京\n"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	w.Write([]byte("cut \xe6"))
	w.flush()
	if got, want := b.String(), `ok \u202e \x1b[0m 東京`+"\n"+`cut \xe6`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// JSON passes as it is.
	b.Reset()
	json := true
	w = &terminalWriter{w: &b, json: func() bool { return json }}
	w.Write([]byte("{\"a\": \"\\u001b\"}\n"))
	if b.String() != "{\"a\": \"\\u001b\"}\n" {
		t.Errorf("JSON changed: %q", b.String())
	}
}

// What a host prints reaches the terminal escaped: in apply's progress and
// in logs.
func TestE2EHostOutputEscaped(t *testing.T) {
	e := newE2E(t)
	e.custom(oneFilePerHost + `  - name: cmds
    hosts: {hosts: [h2]}
    commands:
      - {name: loud, script: "printf 'out\\033[2J\\033]0;pwned\\007\\n'; printf 'err\\r\\033[31mred\\n' >&2; exit 3"}
`)
	code, out, errs := e.run("apply", "--auto-approve")
	if code != ExitNotOK {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	noControl(t, "apply", out+errs)
	contains(t, "apply", out, `run command:cmds/loud: exit status 3: err\r\x1b[31mred`)
	run := e.runs()[0]
	out, _ = e.must(ExitOK, "logs", run.ID)
	noControl(t, "logs", out)
	contains(t, "logs", out, `| out\x1b[2J\x1b]0;pwned\x07`, `| err\r\x1b[31mred`)
	// The run's record keeps the output (JSON escapes what it must).
	found := false
	for _, a := range e.logs(run.ID) {
		found = found || strings.Contains(a.Output, "pwned")
	}
	if !found {
		t.Error("logs -o json lost the output")
	}
}
