package lab

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/transport"
)

// shortWaits makes the SSH wait's pauses a few milliseconds.
func shortWaits(t *testing.T) {
	interval, report := sshRetryInterval, waitReport
	sshRetryInterval, waitReport = time.Millisecond, 5*time.Millisecond
	t.Cleanup(func() { sshRetryInterval, waitReport = interval, report })
}

// TestWaitNodes: every node is waited for at once; progress hears each
// node that answers and the nodes still waited for (a failed node among
// them), nothing once the wait returned; the failures are joined.
func TestWaitNodes(t *testing.T) {
	shortWaits(t)
	var mu sync.Mutex
	var events []Event
	sawWaiting := make(chan struct{})
	progress := func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
		if e.Type == EventNodesWaiting && e.Done == 1 && slices.Equal(e.Nodes, []string{"b", "c"}) {
			select {
			case <-sawWaiting:
			default:
				close(sawWaiting)
			}
		}
	}
	err := waitNodes(context.Background(), progress, []string{"a", "b", "c"}, func(ctx context.Context, name string) error {
		switch name {
		case "b": // answers once the report said a answered
			select {
			case <-sawWaiting:
				return nil
			case <-time.After(time.Minute):
				return errors.New("b: no report of a")
			}
		case "c":
			return errors.New("c stopped while booting")
		}
		return nil
	})
	if err == nil || err.Error() != "c stopped while booting" {
		t.Fatalf("waitNodes: %v, want c's error alone", err)
	}
	mu.Lock()
	got := slices.Clone(events)
	mu.Unlock()
	var ready []string
	for _, e := range got {
		if e.Stage != StageNodes {
			t.Errorf("event of stage %q: %+v", e.Stage, e)
		}
		if e.Type == EventNodeReady {
			ready = append(ready, e.Node)
		}
	}
	slices.Sort(ready)
	if !slices.Equal(ready, []string{"a", "b"}) {
		t.Errorf("nodes reported ready: %v, want a and b", ready)
	}
	time.Sleep(4 * waitReport)
	mu.Lock()
	defer mu.Unlock()
	if len(events) != len(got) {
		t.Errorf("%d events after the wait returned: %+v", len(events)-len(got), events[len(got):])
	}
}

func TestRetry(t *testing.T) {
	errNo := errors.New("connection refused")
	errStopped := errors.New("stopped")
	tests := []struct {
		name     string
		failures int // attempts that fail before one succeeds (-1: all)
		stopAt   int // the stop check that says stop (0: never)
		timeout  time.Duration
		attempts int
		timedOut bool
		err      error
	}{
		{name: "succeeds at once", attempts: 1},
		{name: "succeeds at the third attempt", failures: 2, attempts: 3},
		{name: "a stop ends the wait with its reason", failures: -1, stopAt: 2, attempts: 1, err: errStopped},
		{name: "the end of the time is the last attempt's failure", failures: -1, timeout: 20 * time.Millisecond, timedOut: true, err: errNo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			attempts, checks := 0, 0
			timedOut, err := retry(ctx, time.Millisecond, func() error {
				if checks++; checks == tt.stopAt {
					return errStopped
				}
				return nil
			}, func(context.Context) error {
				if attempts++; tt.failures < 0 || attempts <= tt.failures {
					return errNo
				}
				return nil
			})
			if timedOut != tt.timedOut || !errors.Is(err, tt.err) {
				t.Errorf("retry: timed out %v, %v; want %v, %v", timedOut, err, tt.timedOut, tt.err)
			}
			if tt.attempts > 0 && attempts != tt.attempts {
				t.Errorf("%d attempts, want %d", attempts, tt.attempts)
			}
		})
	}
}

// A node the lab does not have is an error, not a wait; a limit of 0
// does not wait at all.
func TestWaitSSHNodes(t *testing.T) {
	shortWaits(t)
	l := &Lab{Prefix: "t", Topo: &Topology{}}
	conf := func(*Node) transport.SSHConfig { return transport.SSHConfig{} }
	err := l.WaitSSH(context.Background(), time.Minute, conf, "ctl-9")
	if err == nil || !strings.Contains(err.Error(), `lab t has no node "ctl-9"`) {
		t.Errorf("an unknown node: %v", err)
	}
	if err := l.WaitSSH(context.Background(), 0, conf, "ctl-9"); err != nil {
		t.Errorf("no wait: %v", err)
	}
}
