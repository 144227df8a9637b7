package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/state"
	"github.com/fundament-cloud/fundament/internal/transport"
)

func step(host string, r fakeRes, after ...catalog.Ref) *catalog.Item {
	return &catalog.Item{Host: host, Component: "test", Resource: r, After: after}
}

func result(t *testing.T, s *Summary, key string) Result {
	t.Helper()
	for _, r := range s.Results {
		if r.Host+"/"+strings.TrimPrefix(r.Resource, "fake:") == key {
			return r
		}
	}
	t.Fatalf("no result for %s in %+v", key, s.Results)
	return Result{}
}

func wantIn(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// A step runs under its own declared timeout, longer than the default of
// the steps that declare none; those keep the default.
func TestDeclaredTimeoutOutlastsTheDefault(t *testing.T) {
	w := newWorld()
	w.delay = 300 * time.Millisecond
	cat, p, hosts := setup(t, w, []*catalog.Item{
		step("a", fakeRes{name: "db-sync", timeout: time.Minute}),
		item("b", "quick"),
	}, nil)
	sum := Apply(context.Background(), cat, p, hosts, Options{ActionTimeout: 100 * time.Millisecond, Backoff: time.Millisecond})
	if r := result(t, sum, "a/db-sync"); r.Status != StatusSucceeded || r.Attempts != 1 {
		t.Errorf("the step with a declared timeout of 1m: %+v", r)
	}
	r := result(t, sum, "b/quick")
	if r.Status != StatusFailed {
		t.Errorf("the step without one, slower than the default: %+v", r)
	}
	wantIn(t, "its error", r.Error, "timed out after 100ms (the time limit of steps that declare none)")
}

// A step that is not idempotent and has no guard, cut short by its
// timeout, is not run again: its host stops, with a report of what ran,
// for how long and what to check. Other hosts go on. An idempotent step
// cut short is retried; so is one that never started (its host could not
// be reached), idempotent or not.
func TestRetryOnlyWhatMayRunAgain(t *testing.T) {
	w := newWorld()
	w.slow["migrate"], w.slow["sync"] = 5, 1
	w.down["create-db"] = 1
	var rec fakeRecorder
	cat, p, hosts := setup(t, w, []*catalog.Item{
		step("a", fakeRes{name: "migrate", notIdempotent: true}),
		item("a", "next"),
		item("b", "other"),
		item("c", "sync"),
		step("d", fakeRes{name: "create-db", notIdempotent: true}),
	}, nil)
	sum := Apply(context.Background(), cat, p, hosts, Options{ActionTimeout: 200 * time.Millisecond, Retries: 2, Backoff: time.Millisecond, Recorder: &rec})
	if n := w.runs["migrate"]; n != 1 {
		t.Errorf("the step ran %d times, want 1", n)
	}
	r := result(t, sum, "a/migrate")
	if r.Status != StatusFailed || r.Attempts != 1 {
		t.Errorf("migrate: %+v", r)
	}
	wantIn(t, "the report", r.Error,
		"timed out after 200ms (the time limit of steps that declare none); the attempt took 200ms (a wait for the host lock included)",
		"it may have partly run, and it is not run again: it is not declared idempotent and has no guard to tell whether it happened",
		"Check on a what it did before applying again", resource.HostLockPath,
		"The rest of a's steps are not run in this apply", "its last output: half done")
	if r := result(t, sum, "a/next"); r.Status != StatusSkipped || !strings.Contains(r.Error, "a stopped after create fake:migrate") {
		t.Errorf("the host's next step: %+v", r)
	}
	if r := result(t, sum, "b/other"); r.Status != StatusSucceeded {
		t.Errorf("another host's step: %+v", r)
	}
	if rec.finished["a/fake:migrate"] != "failed" || rec.finished["a/fake:next"] != "skipped" {
		t.Errorf("recorded %v", rec.finished)
	}
	if r := result(t, sum, "c/sync"); r.Status != StatusSucceeded || r.Attempts != 2 || w.runs["sync"] != 2 {
		t.Errorf("idempotent step after a timeout: %+v, ran %d times", r, w.runs["sync"])
	}
	if r := result(t, sum, "d/create-db"); r.Status != StatusSucceeded || r.Attempts != 2 {
		t.Errorf("step that did not start: %+v", r)
	}
}

// A step that is not idempotent but has a guard: after a timeout the
// guard is asked again. Done: a success, not run again. Not done: retried.
func TestGuardDecidesAfterATimeout(t *testing.T) {
	dir := t.TempDir()
	doneFile := filepath.Join(dir, "done")
	w := newWorld()
	w.slow["migrate"], w.slow["join"] = 1, 1
	w.hook["migrate"] = func() { os.WriteFile(doneFile, nil, 0o644) }
	cat, p, hosts := setup(t, w, []*catalog.Item{
		step("a", fakeRes{name: "migrate", notIdempotent: true, guard: doneFile}),
		step("b", fakeRes{name: "join", notIdempotent: true, guard: filepath.Join(dir, "never")}),
	}, nil)
	var mu sync.Mutex
	var events []Event
	sum := Apply(context.Background(), cat, p, hosts, Options{ActionTimeout: 200 * time.Millisecond, Retries: 2, Backoff: time.Millisecond,
		Events: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }})
	if r := result(t, sum, "a/migrate"); r.Status != StatusSucceeded || r.Attempts != 1 || w.runs["migrate"] != 1 {
		t.Errorf("the guard says done: %+v, ran %d times", r, w.runs["migrate"])
	}
	if r := result(t, sum, "b/join"); r.Status != StatusSucceeded || r.Attempts != 2 || w.runs["join"] != 2 {
		t.Errorf("the guard says not done: %+v, ran %d times", r, w.runs["join"])
	}
	var retry string
	for _, e := range events {
		if e.Type == EventActionRetry {
			retry = e.Message
		}
	}
	wantIn(t, "the retry", retry, "(its guard says the step has not happened)")
}

// Cancelling ends every wait (on a dependency, a gate, a slot) at once;
// the action in flight gets the grace, then is recorded interrupted.
func TestCancelDuringDependencyWait(t *testing.T) {
	w := newWorld()
	w.slow["long"] = 1
	g := step("c1", fakeRes{name: "member"})
	g.Group = "db"
	g2 := step("c2", fakeRes{name: "member"})
	g2.Group = "db"
	cat, p, hosts := setup(t, w, []*catalog.Item{
		item("a", "long"),
		item("b", "waits", ref("a", "long")),
		g, g2,
	}, []*catalog.Group{{Name: "db", BatchSize: 1, Hosts: []string{"c1", "c2"}}})
	gate := func(ctx context.Context, _ string, _ []string, _ GatePhase) error {
		<-ctx.Done() // a gate that never passes by itself
		return ctx.Err()
	}
	var rec fakeRecorder
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	done := make(chan *Summary, 1)
	start := time.Now()
	go func() { done <- Apply(ctx, cat, p, hosts, Options{Recorder: &rec, Gate: gate}) }()
	var sum *Summary
	select {
	case sum = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the cancelled apply did not return within 5 s")
	}
	t.Logf("returned %v after the start", time.Since(start).Round(time.Millisecond))
	r := result(t, sum, "a/long")
	if r.Status != StatusInterrupted || rec.finished["a/fake:long"] != "interrupted" {
		t.Errorf("the action in flight: %+v, recorded %q", r, rec.finished["a/fake:long"])
	}
	wantIn(t, "its error", r.Error, "interrupted: the run was cancelled and the step did not end within the grace of 3s", resource.HostLockPath)
	for _, k := range []string{"b/waits", "c2/member"} {
		if r := result(t, sum, k); r.Status != StatusCancelled || r.Error != "the run was cancelled before it started" {
			t.Errorf("%s: %+v", k, r)
		}
	}
	if !sum.Cancelled || sum.OK() {
		t.Errorf("cancelled %v ok %v", sum.Cancelled, sum.OK())
	}
}

// stateRecorder is the CLI's adapter: the real state database.
type stateRecorder struct {
	db  *state.DB
	run string
}

func (s *stateRecorder) StartAction(host, res, op string, attempt int) (int64, error) {
	return s.db.StartAction(state.Action{RunID: s.run, Host: host, Resource: res, Op: op, Attempt: attempt})
}
func (s *stateRecorder) FinishAction(id int64, status, output, errText string) error {
	return s.db.FinishAction(id, status, output, errText)
}
func (s *stateRecorder) FinishApplied(id int64, output, desiredHash string) error {
	return s.db.FinishApplied(id, output, desiredHash)
}

// A failure to record an action fails the run: nothing more runs.
func TestRecordFailureFailsTheRun(t *testing.T) {
	for _, tt := range []struct {
		name, closeAt, want string
		ran                 []string
	}{
		{"closed during an action", "first", "the run stopped: the state database could not record the end of a/fake:first", []string{"a/first"}},
		{"closed before the run", "", "the run stopped: the state database could not record the start of a/fake:first", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, err := state.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			run, err := db.StartRun(state.KindApply, "apply", "")
			if err != nil {
				t.Fatal(err)
			}
			w := newWorld()
			if tt.closeAt == "" {
				db.Close()
			} else {
				w.hook[tt.closeAt] = func() { db.Close() }
			}
			cat, p, hosts := setup(t, w, []*catalog.Item{item("a", "first"), item("a", "second")}, nil)
			sum := Apply(context.Background(), cat, p, hosts, Options{Recorder: &stateRecorder{db, run.ID}})
			if sum.OK() || !strings.Contains(sum.Error, tt.want) {
				t.Errorf("ok %v, error %q; want %q", sum.OK(), sum.Error, tt.want)
			}
			if strings.Join(w.log, " ") != strings.Join(tt.ran, " ") {
				t.Errorf("ran %v, want %v", w.log, tt.ran)
			}
			if r := result(t, sum, "a/second"); r.Status != StatusCancelled {
				t.Errorf("the next action: %+v", r)
			}
			if r := result(t, sum, "a/first"); r.Status != StatusFailed {
				t.Errorf("the first action: %+v", r)
			}
		})
	}
}

// The graph as it runs, per-host order included, is checked before
// anything runs; a cycle is named.
func TestCycleThroughHostOrderIsRefused(t *testing.T) {
	w := newWorld()
	cat, p, hosts := setup(t, w, []*catalog.Item{item("h", "first"), item("h", "second"), item("k", "other")}, nil)
	g := buildGraph(cat, p)
	// first waits for second, which runs after it on h.
	first, second := g.perHost["h"][0], g.perHost["h"][1]
	first.deps = append(first.deps, second)
	sum := applyGraph(context.Background(), g, hosts, Options{})
	wantIn(t, "the error", sum.Error, "a dependency cycle, nothing would run (each waits for the next): "+
		"h/fake:first -> h/fake:second -> (the step before it on h) h/fake:first")
	if len(w.log) != 0 {
		t.Errorf("ran %v", w.log)
	}
	for _, r := range sum.Results {
		if r.Status != StatusSkipped {
			t.Errorf("%+v", r)
		}
	}
}

var _ transport.Transport = (*fakeHost)(nil)
