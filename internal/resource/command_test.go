package resource

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/testutil/procscan"
	"github.com/fundament-cloud/fundament/internal/transport"
)

var lookPath = exec.LookPath

func TestCommandPlan(t *testing.T) {
	g := Command{Name: "db-sync", Script: "nova-manage db sync", Guard: "test -e /var/lib/nova/.synced"}
	if c := g.Plan(State{"done": "true", "guard_exit": "0"}); c.Op != OpNone {
		t.Fatalf("%+v", c)
	}
	c := g.Plan(State{"done": "false", "guard_exit": "1"})
	if c.Op != OpRun || c.Reason != "guard exited 1: not done" || c.Fields[0].New != "nova-manage db sync" {
		t.Fatalf("%+v", c)
	}
	if c := g.Plan(State{"done": "false", "guard_exit": "124"}); !strings.Contains(c.Reason, "timed out") {
		t.Fatalf("%+v", c)
	}
	if _, err := g.Parse("", 0); err == nil {
		t.Fatal("a guarded command's output must say done")
	}
	if g.Digest() != "" {
		t.Fatal("a guarded command needs no record")
	}

	n := Command{Name: "once", Script: "echo hi"}
	if n.Observe() != "" || len(n.Desired()) != 0 {
		t.Fatal("a guard-less command observes nothing")
	}
	st, err := n.Parse("", 0)
	if err != nil {
		t.Fatal(err)
	}
	if c := n.Plan(st); c.Op != OpRun || c.Reason != "no guard: runs on every apply unless recorded done" {
		t.Fatalf("%+v", c)
	}
	d := n.Digest()
	if !strings.HasPrefix(d, "sha256:") || d != (Command{Name: "other name", Script: "echo hi"}).Digest() {
		t.Fatal("digest depends on what runs, not on the name")
	}
	if d == (Command{Name: "once", Script: "echo ho"}).Digest() || d == (Command{Name: "once", Script: "echo hi", Env: map[string]string{"A": "1"}}).Digest() {
		t.Fatal("digest must change with script and env")
	}

	// Secret hides the script; the env is never shown.
	s := Command{Name: "pw", Script: "set-password hunter2", Env: map[string]string{"PW": "hunter3"}, Secret: true}
	b, _ := json.Marshal(s.Plan(State{}))
	if strings.Contains(string(b), "hunter") {
		t.Fatalf("change shows the secret: %s", b)
	}
}

func TestCommandScripts(t *testing.T) {
	for _, c := range []Command{
		{Name: "a", Script: "echo 'it''s'\ncat <<EOF\nx\nEOF", Guard: "test -e '/x y'", Env: map[string]string{"A": "it's", "B_2": "x\ny"}, Timeout: "1m30s"},
		{Name: "b", Script: "# only a comment"},
	} {
		checkScripts(t, c)
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []Command{{Name: "x"}, {Script: "x"}, {Name: "x", Script: "x", Env: map[string]string{"A-B": ""}}, {Name: "x", Script: "x", Timeout: "soon"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestCommandReal(t *testing.T) {
	h := newHost(t)
	dir := t.TempDir()
	marker, log := filepath.Join(dir, "done"), filepath.Join(dir, "log")
	c := Command{
		Name:   "init",
		Script: `echo "ran $GREETING" >>"$LOG"; touch "$MARKER"`,
		Guard:  `test -e "$MARKER"`,
		Env:    map[string]string{"GREETING": "it's me", "LOG": log, "MARKER": marker},
	}
	h.converge(c, OpRun)
	h.converge(c, OpNone)
	if b, _ := os.ReadFile(log); string(b) != "ran it's me\n" {
		t.Fatalf("log %q", b)
	}
	// A guard that writes is wrong, but at least it reads no stdin and
	// its output does not reach the observation.
	noisy := Command{Name: "noisy", Script: ":", Guard: "echo present=false; cat; exit 3"}
	s := h.observe(noisy)
	if s["done"] != "false" || s["guard_exit"] != "3" || s["present"] != "" {
		t.Fatalf("%v", s)
	}

	// Timeout kills a script that hangs.
	slow := Command{Name: "slow", Script: "sleep 30", Timeout: "1s"}
	res := h.tryApply(slow, slow.Plan(State{}))
	if res.ExitCode != 124 {
		t.Fatalf("exit %d", res.ExitCode)
	}
}

// A command's guard and its script under a timeout run in a shell of
// their own (timeout's child): their text reaches it on a here-document,
// so neither they nor a secret in them is on a command line.
func TestCommandSecretsOnNoCommandLine(t *testing.T) {
	h := newHost(t)
	dir := t.TempDir()
	envSecret, bodySecret := "env-"+randName(t), "body-"+randName(t)
	running, stop := filepath.Join(dir, "running"), filepath.Join(dir, "stop")
	// Touches running once it saw both secrets, then waits for stop.
	body := `[ "$PW" = '` + envSecret + `' ] && [ "$(cat)" = '' ] && b='` + bodySecret + `' && touch ` + running + `
while [ ! -e ` + stop + ` ]; do sleep 0.05; done
echo "after ${#b}"`
	c := Command{Name: "secret", Script: body, Guard: body + "\nexit 1", Env: map[string]string{"PW": envSecret}, Timeout: "1m"}
	batch := ObserveBatch([]Resource{c})
	apply, _ := c.Apply(c.Plan(State{}))
	for _, step := range []struct{ what, script string }{{"guard", batch.Script}, {"timed script", apply}} {
		os.Remove(running)
		os.Remove(stop)
		done := make(chan transport.Result, 1)
		go func() { done <- h.run(step.script, nil) }()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(running); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not start (or did not see its secrets)", step.what)
			}
		}
		if hits := procscan.Scan([]string{envSecret, bodySecret}); len(hits) > 0 {
			t.Errorf("%s: a secret is on a command line:\n%v", step.what, hits)
		}
		os.WriteFile(stop, nil, 0o644)
		res := <-done
		if step.what == "timed script" && (res.ExitCode != 0 || string(res.Stdout) != fmt.Sprintf("after %d\n", len(bodySecret))) {
			t.Errorf("%s: exit %d stdout %q stderr %q", step.what, res.ExitCode, res.Stdout, res.Stderr)
		}
	}
}
