package resource

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/transport"
)

// An action still running from a dead manager holds the lock: the next
// action and observation wait for it instead of running beside it.
func TestHostLockWaitsForOrphans(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock (util-linux) is not installed")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the lock lives in /run/lock")
	}
	dir := t.TempDir()
	marker, locked := filepath.Join(dir, "orphan-done"), filepath.Join(dir, "orphan-locked")
	orphan := exec.Command("/bin/sh", "-c", WithHostLock("touch "+locked+"; sleep 0.5; touch "+marker, false))
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	defer orphan.Wait()
	// It holds the lock once it runs its script (a loaded machine may
	// take longer than any fixed pause to get there).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(locked); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the orphan did not take the lock in 30 s")
		}
	}

	l := &transport.Local{}
	res, err := l.Run(context.Background(), WithHostLock("test -e "+marker+" && echo after", true), nil)
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "after" {
		t.Fatalf("observation ran beside the orphan: %q %v", res.Stdout, err)
	}
	// Stdin, exit codes and daemons: the wrapped script behaves as itself,
	// and a background child does not keep the lock.
	res, err = l.Run(context.Background(), WithHostLock("(sleep 30 &) ; cat; exit 3", false), strings.NewReader("in"))
	if err != nil || string(res.Stdout) != "in" || res.ExitCode != 3 {
		t.Fatalf("got %q exit %d %v", res.Stdout, res.ExitCode, err)
	}
	start := time.Now()
	res, _ = l.Run(context.Background(), WithHostLock("echo next", false), nil)
	// A child that kept the lock would hold it for 30 s; a loaded machine
	// takes seconds to start the next script.
	if strings.TrimSpace(string(res.Stdout)) != "next" || time.Since(start) > 15*time.Second {
		t.Errorf("a background child kept the lock: waited %s", time.Since(start))
	}
	if out, err := exec.Command("/bin/sh", "-n", "-c", WithHostLock("echo x", true)).CombinedOutput(); err != nil {
		t.Errorf("syntax: %v %s", err, out)
	}
}
