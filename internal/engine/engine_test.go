package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/plan"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// fakeRes is a resource whose apply script is its name; the fake
// transport decides what running it does. It may declare a timeout, be
// declared not idempotent (a step that may not run twice), and have a
// guard: a file that exists once the step is done.
type fakeRes struct {
	name          string
	timeout       time.Duration
	notIdempotent bool
	guard         string
}

func (f fakeRes) ID() resource.ID                        { return resource.ID{Kind: "fake", Name: f.name} }
func (f fakeRes) Desired() resource.State                { return resource.State{"v": f.name} }
func (f fakeRes) Sensitive() []string                    { return nil }
func (f fakeRes) Apply(resource.Change) (string, []byte) { return f.name, nil }
func (f fakeRes) RestartScript() string                  { return f.name }
func (f fakeRes) StepTimeout() time.Duration             { return f.timeout }
func (f fakeRes) IsIdempotent() bool                     { return !f.notIdempotent }

func (f fakeRes) Observe() string {
	if f.guard == "" {
		return ""
	}
	return "if [ -e " + resource.Quote(f.guard) + " ]; then echo done=true; else echo done=false; fi\n"
}

func (f fakeRes) Parse(stdout string, _ int) (resource.State, error) {
	return resource.ParseFields(stdout), nil
}

func (f fakeRes) Plan(st resource.State) resource.Change {
	if f.guard != "" && st["done"] == "true" {
		return resource.Change{Op: resource.OpNone}
	}
	return resource.Change{Op: resource.OpCreate}
}

// fakeHost runs scripts by name: behaviour[name] may fail or sleep.
// Observations (a guard asked again) run for real, without the host lock.
type fakeHost struct {
	name  string
	world *world
}

type world struct {
	mu        sync.Mutex
	log       []string
	runs      map[string]int // name -> attempts started
	fail      map[string]int // name -> number of transport failures before success; -1 = exit 1 forever
	down      map[string]int // name -> number of "unreachable" failures before success
	delay     time.Duration
	slow      map[string]int // name -> number of attempts that take an hour (until cancelled)
	hook      map[string]func()
	running   atomic.Int32
	maxSeen   atomic.Int32
	perHostOn map[string]bool
	overlap   bool
}

func (h *fakeHost) Host() string { return h.name }
func (h *fakeHost) Close() error { return nil }
func (h *fakeHost) Run(ctx context.Context, script string, _ io.Reader) (transport.Result, error) {
	script = unwrapHostLock(script)
	if strings.Contains(script, resource.BatchMarker) {
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return transport.Result{Stdout: out.Bytes(), Stderr: errb.Bytes()}, err
	}
	w := h.world
	n := w.running.Add(1)
	defer w.running.Add(-1)
	for {
		m := w.maxSeen.Load()
		if n <= m || w.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	w.mu.Lock()
	if w.perHostOn[h.name] {
		w.overlap = true
	}
	w.perHostOn[h.name] = true
	w.runs[script]++
	if w.down[script] > 0 {
		w.down[script]--
		w.perHostOn[h.name] = false
		w.mu.Unlock()
		return transport.Result{}, &transport.UnreachableError{Host: h.name, Err: errors.New("connection refused")}
	}
	left := w.fail[script]
	if left > 0 {
		w.fail[script] = left - 1
	}
	delay := w.delay
	if w.slow[script] > 0 {
		w.slow[script]--
		delay = time.Hour
	}
	hook := w.hook[script]
	w.mu.Unlock()
	defer func() { w.mu.Lock(); w.perHostOn[h.name] = false; w.mu.Unlock() }()
	if hook != nil {
		hook()
	}
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		return transport.Result{Stdout: []byte("half done\n")}, ctx.Err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case left > 0:
		return transport.Result{}, errors.New("connection reset")
	case left < 0:
		return transport.Result{ExitCode: 1, Stderr: []byte("boom\n")}, nil
	}
	w.log = append(w.log, h.name+"/"+script)
	return transport.Result{}, nil
}

func newWorld() *world {
	return &world{runs: map[string]int{}, fail: map[string]int{}, down: map[string]int{}, slow: map[string]int{},
		hook: map[string]func(){}, perHostOn: map[string]bool{}}
}

// setup builds a catalog, a plan in which every item changes, and fake hosts.
func setup(t *testing.T, w *world, items []*catalog.Item, groups []*catalog.Group, down ...string) (*catalog.Catalog, *plan.Plan, map[string]transport.Transport) {
	t.Helper()
	cat, err := catalog.New(items, groups)
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{FormatVersion: plan.FormatVersion, DesiredHash: cat.Hash()}
	hosts := map[string]transport.Transport{}
	for _, h := range cat.Hosts() {
		hp := &plan.HostPlan{Host: h, Reachable: true}
		for _, d := range down {
			if d == h {
				hp.Reachable, hp.Error = false, "down"
			}
		}
		for _, it := range cat.HostItems(h) {
			hp.Items = append(hp.Items, &plan.ItemPlan{Ref: it.Ref(), Component: "test", Change: resource.Change{Op: resource.OpCreate}})
		}
		p.Hosts = append(p.Hosts, hp)
		hosts[h] = &fakeHost{name: h, world: w}
	}
	return cat, p, hosts
}

func item(host, name string, after ...catalog.Ref) *catalog.Item {
	return &catalog.Item{Host: host, Component: "test", Resource: fakeRes{name: name}, After: after}
}

func ref(host, name string) catalog.Ref {
	return catalog.Ref{Host: host, ID: resource.ID{Kind: "fake", Name: name}}
}

func statuses(s *Summary) map[string]Status {
	out := map[string]Status{}
	for _, r := range s.Results {
		out[r.Host+"/"+strings.TrimPrefix(r.Resource, "fake:")] = r.Status
	}
	return out
}

func TestDependenciesAcrossHosts(t *testing.T) {
	w := newWorld()
	w.delay = 5 * time.Millisecond
	cat, p, hosts := setup(t, w, []*catalog.Item{
		item("app", "migrate", ref("db", "database")),
		item("db", "database"),
		item("app", "start", ref("app", "migrate")),
	}, nil)
	sum := Apply(context.Background(), cat, p, hosts, Options{Backoff: time.Millisecond})
	if !sum.OK() {
		t.Fatalf("not ok: %+v", sum.Results)
	}
	want := []string{"db/database", "app/migrate", "app/start"}
	if fmt.Sprint(w.log) != fmt.Sprint(want) {
		t.Errorf("order %v, want %v", w.log, want)
	}
}

func TestFailureSkipsOnlyDependents(t *testing.T) {
	w := newWorld()
	w.fail["database"] = -1
	cat, p, hosts := setup(t, w, []*catalog.Item{
		item("db", "database"),
		item("app", "migrate", ref("db", "database")),
		item("app", "unrelated"),
		item("web", "other"),
	}, nil)
	sum := Apply(context.Background(), cat, p, hosts, Options{Backoff: time.Millisecond})
	got := statuses(sum)
	want := map[string]Status{"db/database": StatusFailed, "app/migrate": StatusSkipped, "app/unrelated": StatusSucceeded, "web/other": StatusSucceeded}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, r := range sum.Results {
		if r.Resource == "fake:database" && !strings.Contains(r.Error, "exit status 1: boom") {
			t.Errorf("error %q lacks the exit status and stderr", r.Error)
		}
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	w := newWorld()
	w.fail["flaky"] = 2
	w.fail["broken"] = 5
	cat, p, hosts := setup(t, w, []*catalog.Item{item("a", "flaky"), item("b", "broken")}, nil)
	sum := Apply(context.Background(), cat, p, hosts, Options{Retries: 2, Backoff: time.Millisecond})
	for _, r := range sum.Results {
		switch r.Resource {
		case "fake:flaky":
			if r.Status != StatusSucceeded || r.Attempts != 3 {
				t.Errorf("flaky: %+v", r)
			}
		case "fake:broken":
			if r.Status != StatusFailed || r.Attempts != 3 {
				t.Errorf("broken: %+v", r)
			}
		}
	}
}

func TestParallelismAndOneActionPerHost(t *testing.T) {
	w := newWorld()
	w.delay = 20 * time.Millisecond
	var items []*catalog.Item
	for h := 0; h < 6; h++ {
		for i := 0; i < 3; i++ {
			items = append(items, item(fmt.Sprintf("h%d", h), fmt.Sprintf("r%d", i)))
		}
	}
	cat, p, hosts := setup(t, w, items, nil)
	sum := Apply(context.Background(), cat, p, hosts, Options{Parallel: 3})
	if !sum.OK() {
		t.Fatal("not ok")
	}
	if m := w.maxSeen.Load(); m != 3 {
		t.Errorf("max concurrent actions %d, want 3", m)
	}
	if w.overlap {
		t.Error("two actions ran at once on one host")
	}
}

func TestRollingGroupWithGate(t *testing.T) {
	w := newWorld()
	var items []*catalog.Item
	for _, h := range []string{"c1", "c2", "c3"} {
		it := item(h, "galera")
		it.Group = "galera"
		items = append(items, it)
	}
	groups := []*catalog.Group{{Name: "galera", BatchSize: 1, Hosts: []string{"c2", "c1", "c3"}}}
	var gates []string
	gate := func(_ context.Context, group string, hs []string, phase GatePhase) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		if phase != GateAfter {
			t.Errorf("a %s gate where nothing restarts", phase)
		}
		gates = append(gates, group+":"+strings.Join(hs, ","))
		if hs[0] == "c1" {
			return errors.New("c1 not synced")
		}
		return nil
	}
	cat, p, hosts := setup(t, w, items, groups)
	sum := Apply(context.Background(), cat, p, hosts, Options{Gate: gate})
	if fmt.Sprint(w.log) != "[c2/galera c1/galera]" {
		t.Errorf("rolling order %v", w.log)
	}
	if fmt.Sprint(gates) != "[galera:c2 galera:c1]" {
		t.Errorf("gates %v", gates)
	}
	if st := statuses(sum)["c3/galera"]; st != StatusSkipped {
		t.Errorf("c3 after a failed gate: %s", st)
	}
}

// A batch that restarts a running member waits for a gate before it (the
// other members healthy), then the gate after it; a failed gate before a
// restart stops the group there, leaving the member serving.
func TestRollingRestartGatesBeforeAndAfter(t *testing.T) {
	w := newWorld()
	var items []*catalog.Item
	for _, h := range []string{"c1", "c2", "c3"} {
		it := item(h, "galera")
		it.Group = "galera"
		items = append(items, it)
	}
	groups := []*catalog.Group{{Name: "galera", BatchSize: 1, Hosts: []string{"c1", "c2", "c3"}}}
	var gates []string
	gate := func(_ context.Context, group string, hs []string, phase GatePhase) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		gates = append(gates, string(phase)+":"+strings.Join(hs, ","))
		if phase == GateBefore && hs[0] == "c3" {
			return errors.New("c1 not synced")
		}
		return nil
	}
	cat, p, hosts := setup(t, w, items, groups)
	for _, hp := range p.Hosts {
		if hp.Host != "c2" { // c2's galera starts (not running yet): no gate before it
			hp.Items[0].Change.Op = resource.OpRestart
		}
	}
	sum := Apply(context.Background(), cat, p, hosts, Options{Gate: gate})
	if fmt.Sprint(w.log) != "[c1/galera c2/galera]" {
		t.Errorf("rolling order %v", w.log)
	}
	if fmt.Sprint(gates) != "[before:c1 after:c1 after:c2 before:c3]" {
		t.Errorf("gates %v", gates)
	}
	if st := statuses(sum)["c3/galera"]; st != StatusSkipped {
		t.Errorf("c3 restarted although the gate before it failed: %s", st)
	}
}

func TestUnreachableHostSkipsItsDependents(t *testing.T) {
	w := newWorld()
	cat, p, hosts := setup(t, w, []*catalog.Item{
		item("db", "database"),
		item("app", "migrate", ref("db", "database")),
		item("web", "page"),
	}, nil, "db")
	sum := Apply(context.Background(), cat, p, hosts, Options{})
	got := statuses(sum)
	if got["app/migrate"] != StatusSkipped || got["web/page"] != StatusSucceeded {
		t.Errorf("got %v", got)
	}
	if fmt.Sprint(sum.HostsSkipped) != "[db]" || sum.OK() {
		t.Errorf("skipped hosts %v, ok %v", sum.HostsSkipped, sum.OK())
	}
}

func TestCancelLetsInFlightActionsFinish(t *testing.T) {
	w := newWorld()
	w.delay = 100 * time.Millisecond
	cat, p, hosts := setup(t, w, []*catalog.Item{item("a", "first"), item("a", "second"), item("a", "third")}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var rec fakeRecorder
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	sum := Apply(ctx, cat, p, hosts, Options{Recorder: &rec})
	got := statuses(sum)
	if got["a/first"] != StatusSucceeded || got["a/second"] != StatusCancelled || got["a/third"] != StatusCancelled || !sum.Cancelled {
		t.Errorf("got %v cancelled=%v", got, sum.Cancelled)
	}
	if rec.finished["a/fake:first"] != "succeeded" {
		t.Errorf("in-flight action not recorded as finished: %v", rec.finished)
	}
}

type fakeRecorder struct {
	mu       sync.Mutex
	next     int64
	ids      map[int64]string
	finished map[string]string
}

func (f *fakeRecorder) StartAction(host, res, op string, attempt int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ids == nil {
		f.ids, f.finished = map[int64]string{}, map[string]string{}
	}
	f.next++
	f.ids[f.next] = host + "/" + res
	return f.next, nil
}

func (f *fakeRecorder) FinishAction(id int64, status, _, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished[f.ids[id]] = status
	return nil
}

func (f *fakeRecorder) FinishApplied(id int64, _, _ string) error {
	return f.FinishAction(id, "succeeded", "", "")
}

// Actions that never run are recorded too, as skipped, so that the run's
// record (fundament logs) accounts for every planned action.
func TestSkippedActionsAreRecorded(t *testing.T) {
	w := newWorld()
	w.fail["database"] = -1
	cat, p, hosts := setup(t, w, []*catalog.Item{
		item("db", "database"),
		item("app", "migrate", ref("db", "database")),
		item("app", "unrelated"),
	}, nil)
	var rec fakeRecorder
	Apply(context.Background(), cat, p, hosts, Options{Recorder: &rec, Backoff: time.Millisecond})
	want := map[string]string{"db/fake:database": "failed", "app/fake:migrate": "skipped", "app/fake:unrelated": "succeeded"}
	if fmt.Sprint(rec.finished) != fmt.Sprint(want) {
		t.Errorf("recorded %v, want %v", rec.finished, want)
	}
}

// unwrapHostLock returns the script inside resource.WithHostLock.
func unwrapHostLock(s string) string {
	if i := strings.Index(s, "\n(\n"); i >= 0 {
		s = s[i+3:]
	}
	return strings.TrimSuffix(s, "\n) 9>&-\n")
}

// Actions run under the host lock (see resource.WithHostLock).
func TestActionsTakeTheHostLock(t *testing.T) {
	var seen string
	h := &scriptRecorder{record: func(s string) { seen = s }}
	cat, p, _ := setup(t, newWorld(), []*catalog.Item{item("a", "x")}, nil)
	Apply(context.Background(), cat, p, map[string]transport.Transport{"a": h}, Options{})
	if !strings.Contains(seen, "flock -x") || unwrapHostLock(seen) != "x" {
		t.Errorf("script not wrapped in the host lock:\n%s", seen)
	}
}

type scriptRecorder struct{ record func(string) }

func (s *scriptRecorder) Run(_ context.Context, script string, _ io.Reader) (transport.Result, error) {
	s.record(script)
	return transport.Result{}, nil
}
func (s *scriptRecorder) Host() string { return "a" }
func (s *scriptRecorder) Close() error { return nil }
