package placement_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
)

// call is one request of a caller: when it started and whether it
// answered 200 in time.
type call struct {
	at time.Time
	ok bool
}

// caller keeps calling an API that reads the database (GET
// /resource_providers) through the public virtual IP from two goroutines,
// so that requests are in flight when the VIP holder dies: the case that
// once left every Placement thread waiting for ever on a database
// connection through the dead holder's HAProxy.
type caller struct {
	mu    sync.Mutex
	calls []call
	stop  chan struct{}
	once  sync.Once
	done  sync.WaitGroup
}

func startCaller(t *testing.T, url, token, caFile string) *caller {
	t.Helper()
	client, err := labtest.HTTPSClient(caFile, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := &caller{stop: make(chan struct{})}
	t.Cleanup(func() { c.Stop() })
	for range 2 {
		c.done.Add(1)
		go func() {
			defer c.done.Done()
			for {
				select {
				case <-c.stop:
					return
				default:
				}
				at := time.Now()
				ok := get(client, url, token) == nil
				c.mu.Lock()
				c.calls = append(c.calls, call{at: at, ok: ok})
				c.mu.Unlock()
				time.Sleep(500 * time.Millisecond)
			}
		}()
	}
	return c
}

func get(client *http.Client, url, token string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("OpenStack-API-Version", "placement latest")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}

// Stop ends the calls and returns them in the order they started.
func (c *caller) Stop() []call {
	c.once.Do(func() { close(c.stop) })
	c.done.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := append([]call(nil), c.calls...)
	slices.SortFunc(calls, func(a, b call) int { return a.at.Compare(b.at) })
	return calls
}

// outage is the time from since until the first call after which every
// call answered, and how many calls failed in it; ok is false when the
// calls after since never all answered again (or there were none).
func outage(calls []call, since time.Time) (d time.Duration, failed int, ok bool) {
	lastFailure := -1
	for i, c := range calls {
		if !c.ok && !c.at.Before(since) {
			lastFailure, failed = i, failed+1
		}
	}
	if lastFailure == len(calls)-1 || len(calls) == 0 {
		return 0, failed, false
	}
	if lastFailure < 0 {
		return 0, 0, true
	}
	return calls[lastFailure+1].at.Sub(since), failed, true
}
