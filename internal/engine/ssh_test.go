package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/testutil/sshd"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// Real commands over SSH (an sshd on this machine plays every host), each
// with its declared timeout enforced on the host, against a default of
// 1 s for the steps that declare none.
func TestSSHStepTimeouts(t *testing.T) {
	srv := sshd.Start(t)
	dir := t.TempDir()
	f := func(name string) string { return filepath.Join(dir, name) }
	count := func(name string) int {
		b, _ := os.ReadFile(f(name))
		return strings.Count(string(b), "\n")
	}
	items := []*catalog.Item{
		// Longer than the default: it finishes.
		{Host: "a", Resource: resource.Command{Name: "long", Script: "sleep 3; echo done >> " + f("long.count"), Timeout: "1m"}},
		// Cut short by its own timeout, neither idempotent nor guarded:
		// not run again, and nothing more on b.
		{Host: "b", Resource: resource.Command{Name: "migrate", Script: "echo run >> " + f("migrate.count") + "; echo migrating; sleep 60", Timeout: "2s"}},
		{Host: "b", Resource: resource.Command{Name: "next", Script: "touch " + f("next")}},
		// Idempotent: run again, and the second attempt is quick.
		{Host: "c", Resource: resource.Command{Name: "sync", Timeout: "2s", Idempotent: true,
			Script: "echo run >> " + f("sync.count") + "; [ $(wc -l < " + f("sync.count") + ") -ge 2 ] || sleep 60"}},
		// Guarded: its guard, asked again, says it happened.
		{Host: "d", Resource: resource.Command{Name: "guarded", Timeout: "2s", Guard: "test -e " + f("guarded.done"),
			Script: "echo run >> " + f("guarded.count") + "; touch " + f("guarded.done") + "; sleep 60"}},
	}
	for _, it := range items {
		it.Component = "test"
	}
	cat, p, hosts := setup(t, newWorld(), items, nil)
	for h := range hosts {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		tr, err := transport.DialSSH(ctx, transport.SSHConfig{Host: h, Address: "127.0.0.1", Port: srv.Port, User: "root",
			KeyFiles: []string{srv.ClientKeyFile}, HostKeys: transport.NewMemoryHostKeys(), TrustNewHostKeys: true})
		cancel()
		if err != nil {
			t.Fatalf("dialling: %v\n%s", err, srv.Log())
		}
		t.Cleanup(func() { tr.Close() })
		hosts[h] = tr
	}
	var rec fakeRecorder
	sum := Apply(context.Background(), cat, p, hosts, Options{ActionTimeout: time.Second, Retries: 2, Backoff: 10 * time.Millisecond, Recorder: &rec})
	res := map[string]Result{}
	for _, r := range sum.Results {
		res[r.Host+"/"+r.Resource] = r
		t.Logf("%s/%s: %s after %d attempt(s) in %v %s", r.Host, r.Resource, r.Status, r.Attempts, r.Duration.Round(time.Millisecond), r.Error)
	}
	if r := res["a/command:long"]; r.Status != StatusSucceeded || count("long.count") != 1 {
		t.Errorf("a step with a declared timeout of 1m, past the default of 1s: %+v", r)
	}
	r := res["b/command:migrate"]
	if r.Status != StatusFailed || r.Attempts != 1 || count("migrate.count") != 1 {
		t.Errorf("a step that timed out: %+v, ran %d times", r, count("migrate.count"))
	}
	wantIn(t, "the report", r.Error, "timed out after 2s (its declared timeout) (exit status 124 of timeout); the attempt took ",
		"it is not declared idempotent and has no guard", "Check on b what it did", "its last output: migrating")
	if r := res["b/command:next"]; r.Status != StatusSkipped {
		t.Errorf("the step after it: %+v", r)
	}
	if _, err := os.Stat(f("next")); err == nil {
		t.Error("the step after it ran")
	}
	if r := res["c/command:sync"]; r.Status != StatusSucceeded || r.Attempts != 2 || count("sync.count") != 2 {
		t.Errorf("an idempotent step that timed out once: %+v", r)
	}
	if r := res["d/command:guarded"]; r.Status != StatusSucceeded || r.Attempts != 1 || count("guarded.count") != 1 {
		t.Errorf("a guarded step whose guard says done: %+v", r)
	}
}
