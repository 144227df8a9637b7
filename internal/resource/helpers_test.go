package resource

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/transport"
)

// checkSyntax runs /bin/sh -n on a script.
func checkSyntax(t *testing.T, what, script string) {
	t.Helper()
	out, err := exec.Command("/bin/sh", "-n", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: sh -n: %v: %s\n--- script ---\n%s", what, err, out, script)
	}
}

// checkScripts syntax-checks a resource's observe, the apply script of
// its plan against a missing thing, and the apply scripts of every op.
func checkScripts(t *testing.T, r Resource) {
	t.Helper()
	id := r.ID().String()
	checkSyntax(t, id+" observe", r.Observe())
	script, _ := r.Apply(r.Plan(State{"present": "false"}))
	checkSyntax(t, id+" apply (planned)", script)
	for _, op := range []Op{OpCreate, OpUpdate, OpDelete, OpRun} {
		script, _ := r.Apply(Change{Op: op})
		checkSyntax(t, id+" apply "+string(op), script)
	}
	if rs, ok := r.(Restarter); ok {
		checkSyntax(t, id+" restart", rs.RestartScript())
	}
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the real tests change files, users and packages")
	}
}

func randName(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "fundament-test-" + hex.EncodeToString(b)
}

type host struct {
	t *testing.T
	l *transport.Local
}

func newHost(t *testing.T, env ...string) *host {
	return &host{t: t, l: &transport.Local{Env: env}}
}

func (h *host) run(script string, stdin []byte) transport.Result {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := h.l.Run(ctx, script, bytes.NewReader(stdin))
	if err != nil {
		h.t.Fatalf("run: %v", err)
	}
	return res
}

func (h *host) observe(r Resource) State {
	h.t.Helper()
	script := r.Observe()
	checkSyntax(h.t, r.ID().String()+" observe", script)
	res := h.run(script, nil)
	s, err := r.Parse(string(res.Stdout), res.ExitCode)
	if err != nil {
		h.t.Fatalf("%s: parse: %v (stderr %s)", r.ID(), err, res.Stderr)
	}
	return s
}

// apply runs the change's script and fails the test if it fails.
func (h *host) apply(r Resource, c Change) {
	h.t.Helper()
	if res := h.tryApply(r, c); res.ExitCode != 0 {
		h.t.Fatalf("%s: apply %s failed (%d): %s%s", r.ID(), c.Op, res.ExitCode, res.Stdout, res.Stderr)
	}
}

func (h *host) tryApply(r Resource, c Change) transport.Result {
	h.t.Helper()
	script, stdin := r.Apply(c)
	checkSyntax(h.t, r.ID().String()+" apply", script)
	return h.run(script, stdin)
}

// converge observes, plans, expects op, applies, and checks that a new
// observation plans nothing.
func (h *host) converge(r Resource, op Op) Change {
	h.t.Helper()
	c := r.Plan(h.observe(r))
	if c.Op != op {
		h.t.Fatalf("%s: plan %+v, want op %s", r.ID(), c, op)
	}
	if op == OpNone {
		return c
	}
	h.apply(r, c)
	if again := r.Plan(h.observe(r)); again.Op != OpNone {
		h.t.Fatalf("%s: after apply plan is %+v, want none", r.ID(), again)
	}
	return c
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s: %q not in\n%s", what, sub, s)
		}
	}
}
