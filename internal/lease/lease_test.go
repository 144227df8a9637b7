package lease

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/proc"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// host is a "host" on this machine: its lease lives in its own directory.
type host struct {
	t   *transport.Local
	dir string
}

func newHost(t *testing.T) host {
	t.Helper()
	if _, err := exec.LookPath("flock"); err != nil {
		t.Logf("flock is not on PATH: the lease script runs without it")
	}
	return host{t: &transport.Local{Name: "h1"}, dir: filepath.Join(t.TempDir(), "lease")}
}

func (h host) file() string { return filepath.Join(h.dir, File) }

func (h host) record(t *testing.T) Holder {
	t.Helper()
	b, err := os.ReadFile(h.file())
	if err != nil {
		t.Fatal(err)
	}
	r, ok := decode(string(b))
	if !ok {
		t.Fatalf("no lease in %q", b)
	}
	return r
}

// notes collects what a Set says.
type notes struct {
	mu  sync.Mutex
	all []string
}

func (n *notes) add(s string) { n.mu.Lock(); n.all = append(n.all, s); n.mu.Unlock() }
func (n *notes) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.all, "\n")
}

func newSet(h host, run string, ttl time.Duration, n *notes) *Set {
	return NewSet(Config{
		Holder: Holder{Run: run, Process: proc.Self(), User: "alice", Checkout: "/srv/" + run},
		TTL:    ttl, Dir: func(string) string { return h.dir }, Note: n.add,
	})
}

// write puts another run's lease on the host, expiring at expires.
func (h host) write(t *testing.T, who Holder, since, expires time.Time) {
	t.Helper()
	if err := os.MkdirAll(h.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf("%ssince=%d\nexpires=%d\n", who.encode(), since.Unix(), expires.Unix())
	if err := os.WriteFile(h.file(), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAcquireAndRefuse(t *testing.T) {
	ctx := context.Background()
	h := newHost(t)
	var n notes
	a := newSet(h, "run-a", time.Minute, &n)
	before := time.Now().Add(-time.Second)
	if err := a.Acquire(ctx, h.t); err != nil {
		t.Fatal(err)
	}
	r := h.record(t)
	if r.Run != "run-a" || r.User != "alice" || r.Checkout != "/srv/run-a" || r.Process != proc.Self() ||
		r.Since.Before(before.Truncate(time.Second)) || r.Expires.Sub(r.Since) != time.Minute {
		t.Errorf("the lease record: %+v", r)
	}
	for path, want := range map[string]os.FileMode{h.dir: 0o700, h.file(): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, %v; want mode %o", path, fi.Mode(), err, want)
		}
	}
	// Taking it again (the same run) keeps since.
	if err := a.Acquire(ctx, h.t); err != nil || !h.record(t).Since.Equal(r.Since) {
		t.Errorf("a second Acquire: %v, since %v -> %v", err, r.Since, h.record(t).Since)
	}

	// Another run (another checkout) is refused: who and since when.
	b := newSet(h, "run-b", time.Minute, &n)
	err := b.Acquire(ctx, h.t)
	var he *HeldError
	if !errors.As(err, &he) || he.Holder.Run != "run-a" {
		t.Fatalf("Acquire of a held lease: %v", err)
	}
	want := fmt.Sprintf("host h1 is leased to another apply: run run-a by alice on %s (checkout /srv/run-a, pid %d) since %s, renewed until ",
		proc.Self().Host, os.Getpid(), r.Since.Local().Format(time.RFC3339))
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("refusal:\n %s\nwant it to start with\n %s", err, want)
	}
	if h.record(t).Run != "run-a" {
		t.Error("a refused Acquire changed the lease")
	}
	if got, ok, err := Read(ctx, h.t, h.dir); err != nil || !ok || got.Run != "run-a" {
		t.Errorf("Read = %+v, %v, %v", got, ok, err)
	}

	// Release removes only the run's own lease.
	b.Release()
	if h.record(t).Run != "run-a" {
		t.Error("another run's Release removed the lease")
	}
	a.Release()
	if _, err := os.Stat(h.file()); !os.IsNotExist(err) {
		t.Errorf("the lease is still there after Release: %v", err)
	}
	if _, ok, err := Read(ctx, h.t, h.dir); ok || err != nil {
		t.Errorf("Read after Release: %v, %v", ok, err)
	}
	if err := b.Acquire(ctx, h.t); err == nil || !errors.Is(err, errReleased) {
		t.Errorf("Acquire after Release: %v", err)
	}
	if n.String() != "" {
		t.Errorf("notes: %s", n.String())
	}
}

// TestTakeOver: an expired lease is taken over, and so is a live one
// whose process (on this machine) is gone; a live one of another machine
// is not.
func TestTakeOver(t *testing.T) {
	ctx := context.Background()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	dead := proc.Self()
	dead.PID, dead.Start = cmd.Process.Pid, 0
	elsewhere := proc.ID{Host: "mgr-2.example", PID: 4242}
	now := time.Now()
	for _, c := range []struct {
		name    string
		process proc.ID
		expires time.Time
		taken   bool
		note    string
	}{
		{"expired", elsewhere, now.Add(-time.Minute), true, "it expired at"},
		{"process gone", dead, now.Add(time.Hour), true, fmt.Sprintf("its process (pid %d on %s) is gone", dead.PID, dead.Host)},
		{"another machine, live", elsewhere, now.Add(time.Hour), false, ""},
		{"this process, another run", proc.Self(), now.Add(time.Hour), false, ""},
	} {
		h := newHost(t)
		old := Holder{Run: "old-run", Process: c.process, User: "bob", Checkout: "/home/bob/cloud"}
		h.write(t, old, now.Add(-2*time.Hour), c.expires)
		var n notes
		s := newSet(h, "new-run", time.Minute, &n)
		err := s.Acquire(ctx, h.t)
		if !c.taken {
			var he *HeldError
			if !errors.As(err, &he) || he.Holder.Run != "old-run" || he.Holder.User != "bob" || he.Holder.Checkout != "/home/bob/cloud" {
				t.Errorf("%s: Acquire = %v, want refused", c.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Acquire: %v", c.name, err)
			continue
		}
		if r := h.record(t); r.Run != "new-run" || r.Since.Before(now.Add(-time.Minute)) {
			t.Errorf("%s: the lease after taking over: %+v", c.name, r)
		}
		if got := n.String(); !strings.Contains(got, "h1: took over the lease of run old-run by bob on "+c.process.Host) || !strings.Contains(got, c.note) {
			t.Errorf("%s: note %q, want %q", c.name, got, c.note)
		}
	}
}

// TestKeepRenewsAndLoses: the held lease is renewed while the run lives;
// once another run took it over, the run hears so and its fenced
// transport runs nothing more there.
func TestKeepRenewsAndLoses(t *testing.T) {
	ctx := context.Background()
	h := newHost(t)
	var n notes
	lost := make(chan *LostError, 1)
	s := NewSet(Config{
		Holder: Holder{Run: "run-a", Process: proc.Self(), User: "alice", Checkout: "/srv/a"},
		TTL:    6 * time.Second, Dir: func(string) string { return h.dir }, Note: n.add,
		Lost: func(e *LostError) { lost <- e },
	})
	ft := s.Wrap(h.t)
	// The first script takes the lease.
	res, err := ft.Run(ctx, "echo hello", nil)
	if err != nil || strings.TrimSpace(string(res.Stdout)) != "hello" || !s.Holds("h1") {
		t.Fatalf("the first script through the fence: %+v, %v (held %v)", res, err, s.Holds("h1"))
	}
	first := h.record(t)
	s.Keep(ctx)
	deadline := time.Now().Add(20 * time.Second)
	for !h.record(t).Expires.After(first.Expires) {
		if time.Now().After(deadline) {
			t.Fatalf("the lease was not renewed: %+v", h.record(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r := h.record(t); r.Run != "run-a" || !r.Since.Equal(first.Since) {
		t.Errorf("renewed: %+v (first %+v)", r, first)
	}

	// Another run takes it over (as after an expiry).
	thief := Holder{Run: "run-b", Process: proc.ID{Host: "mgr-2.example", PID: 7}, User: "bob", Checkout: "/b"}
	h.write(t, thief, time.Now(), time.Now().Add(time.Hour))
	// The fence refuses at once, on the host.
	res, err = ft.Run(ctx, "echo should-not-run", nil)
	if err != nil || res.ExitCode != 75 || strings.Contains(string(res.Stdout), "should-not-run") ||
		!strings.Contains(string(res.Stderr), "this host's apply lease now belongs to run run-b; run run-a lost it") {
		t.Errorf("a script after the takeover: %+v, %v", res, err)
	}
	select {
	case le := <-lost:
		if le.Host != "h1" || le.By.Run != "run-b" {
			t.Errorf("lost: %+v", le)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the loss was not noticed")
	}
	if _, err := ft.Run(ctx, "true", nil); err == nil || !strings.Contains(err.Error(), "the lease on h1 was lost to run run-b by bob on mgr-2.example") {
		t.Errorf("a script after the loss: %v", err)
	}
	s.Release()
	if r := h.record(t); r.Run != "run-b" {
		t.Errorf("Release removed the other run's lease: %+v", r)
	}
	if !strings.Contains(n.String(), "the lease on h1 was lost to run run-b") {
		t.Errorf("notes: %s", n.String())
	}
}

// TestRenewRecreates: a lease that vanished (a reboot clears /run) is
// taken again by the next renewal.
func TestRenewRecreates(t *testing.T) {
	ctx := context.Background()
	h := newHost(t)
	var n notes
	s := newSet(h, "run-a", time.Minute, &n)
	if err := s.Acquire(ctx, h.t); err != nil {
		t.Fatal(err)
	}
	os.Remove(h.file())
	s.renewAll(ctx)
	if h.record(t).Run != "run-a" || !strings.Contains(n.String(), "h1: the apply lease was gone") {
		t.Errorf("after renewing a vanished lease: %+v; notes %q", h.record(t), n.String())
	}
	s.Release()
}

// TestConcurrentAcquire: of runs racing for one host, exactly one wins.
func TestConcurrentAcquire(t *testing.T) {
	ctx := context.Background()
	h := newHost(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSet(h, fmt.Sprintf("run-%d", i), time.Minute, &notes{})
			if err := s.Acquire(ctx, h.t); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d runs took the lease", won)
	}
}

// TestDecodeCleans: a value with a newline cannot forge a field.
func TestDecodeCleans(t *testing.T) {
	h := Holder{Run: "r", User: "u", Checkout: "/x\nrun=forged\nexpires=99999999999"}
	got, ok := decode(h.encode())
	if !ok || got.Run != "r" || !got.Expires.IsZero() || got.Checkout != "/x?run=forged?expires=99999999999" {
		t.Errorf("decode(encode) = %+v", got)
	}
}

// TestKeepOutlivesTheRunsContext: an interrupted run (its context
// cancelled) keeps renewing until Release: its actions in flight still
// work on the hosts.
func TestKeepOutlivesTheRunsContext(t *testing.T) {
	h := newHost(t)
	s := newSet(h, "run-a", 15*time.Second, &notes{})
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Acquire(ctx, h.t); err != nil {
		t.Fatal(err)
	}
	first := h.record(t)
	s.Keep(ctx)
	cancel()
	deadline := time.Now().Add(90 * time.Second)
	for !h.record(t).Expires.After(first.Expires) {
		if time.Now().After(deadline) {
			t.Fatal("the lease was not renewed after the run's context ended")
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Release()
	if _, err := os.Stat(h.file()); !os.IsNotExist(err) {
		t.Errorf("the lease is still there after Release: %v", err)
	}
}
