package lease

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/fundament-cloud/fundament/internal/transport"
)

// Config says who takes the leases of a run, and how.
type Config struct {
	// Holder is the run (Since and Expires are the hosts' to set).
	Holder Holder
	// TTL is a lease's life without renewal (0: DefaultTTL).
	TTL time.Duration
	// Dir is where a host keeps its lease (nil: DefaultDir everywhere).
	// Tests whose "hosts" share one machine give each its own.
	Dir func(host string) string
	// Note receives what an operator should know: leases taken over,
	// renewals that failed (nil: dropped).
	Note func(string)
	// Lost is called once per host whose lease another run took over
	// (nil: only Note hears of it).
	Lost func(*LostError)
}

// Set is the leases of one run.
type Set struct {
	cfg Config

	mu   sync.Mutex
	held map[string]transport.Transport // host -> the transport that took its lease
	lost map[string]*LostError
	// released: Release ran; nothing is taken or run any more.
	released bool

	stopKeep func()
}

// NewSet returns the (empty) set of leases of the run cfg.Holder.
func NewSet(cfg Config) *Set {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Dir == nil {
		cfg.Dir = func(string) string { return DefaultDir }
	}
	if cfg.Note == nil {
		cfg.Note = func(string) {}
	}
	return &Set{cfg: cfg, held: map[string]transport.Transport{}, lost: map[string]*LostError{}}
}

// TTL is the leases' life without renewal.
func (s *Set) TTL() time.Duration { return s.cfg.TTL }

func (s *Set) ttlSeconds() int64 { return max(int64(s.cfg.TTL/time.Second), 1) }

// Acquire takes the lease of t's host. A live lease of another run is a
// *HeldError; one that expired, or whose run's process is known to be gone
// (it ran on this machine), is taken over, and Note says so.
func (s *Set) Acquire(ctx context.Context, t transport.Transport) error {
	if f, ok := t.(*fenced); ok {
		t = f.Transport // the lease's own scripts pass no fence
	}
	host := t.Host()
	if err := s.lostErr(host); err != nil {
		return err
	}
	expect := ""
	for {
		p, err := s.run(ctx, t, opTake, expect)
		if err != nil {
			return err
		}
		if rec, ok := p.sections["held"]; ok {
			h, _ := decode(rec)
			if expect == "" && h.Process.Gone() {
				// Its process ended without releasing the lease: take it
				// over now rather than when it expires.
				expect = h.Run
				continue
			}
			return &HeldError{Host: host, Holder: h}
		}
		if _, ok := p.sections["taken"]; !ok {
			return fmt.Errorf("taking the lease on %s: the host answered %q", host, strings.TrimSpace(fmt.Sprint(p.sections)))
		}
		if rec, ok := p.sections["replaced"]; ok {
			h, _ := decode(rec)
			why := "it expired at " + h.Expires.Local().Format(time.RFC3339)
			if h.Run == expect {
				why = fmt.Sprintf("its process (pid %d on %s) is gone", h.Process.PID, h.Process.Host)
			}
			s.cfg.Note(fmt.Sprintf("%s: took over the lease of %s: %s", host, h, why))
		}
		s.mu.Lock()
		s.held[host] = t
		s.mu.Unlock()
		return nil
	}
}

// AcquireAll takes the leases of the hosts in parallel (at most parallel
// at once). It returns the refusals (*HeldError) and, separately, the
// other failures per host (a host that cannot be reached: its work fails
// anyway, and Wrap tries its lease again before any).
func (s *Set) AcquireAll(ctx context.Context, hosts []transport.Transport, parallel int) (refused []*HeldError, failed map[string]error) {
	failed = map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(parallel, 1))
	for _, t := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			err := s.Acquire(ctx, t)
			mu.Lock()
			defer mu.Unlock()
			var he *HeldError
			switch {
			case errors.As(err, &he):
				refused = append(refused, he)
			case err != nil:
				failed[t.Host()] = err
			}
		}()
	}
	wg.Wait()
	return refused, failed
}

// Holds reports whether the run holds host's lease.
func (s *Set) Holds(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[host] != nil
}

// errReleased says a run used a host after it released its leases.
var errReleased = errors.New("the run has released its apply leases")

func (s *Set) lostErr(host string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.lost[host]; e != nil {
		return e
	}
	if s.released {
		return errReleased
	}
	return nil
}

// run runs an operation's script on t's host.
func (s *Set) run(ctx context.Context, t transport.Transport, op, expect string) (parsed, error) {
	var stdin io.Reader
	if op == opTake || op == opRenew {
		stdin = strings.NewReader(s.cfg.Holder.encode())
	}
	res, err := t.Run(ctx, script(op, s.cfg.Dir(t.Host()), s.cfg.Holder.Run, expect, s.ttlSeconds()), stdin)
	if err != nil {
		return parsed{}, fmt.Errorf("the apply lease on %s: %w", t.Host(), err)
	}
	if res.ExitCode != 0 {
		return parsed{}, fmt.Errorf("the apply lease on %s: exit status %d: %s", t.Host(), res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	return parse(string(res.Stdout)), nil
}

// Keep renews the held leases every TTL/3 until Release. ctx ending does
// not stop it: an interrupted run's actions in flight still work on their
// hosts, and their leases must outlive them.
func (s *Set) Keep(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	s.mu.Lock()
	s.stopKeep = func() { cancel(); <-done }
	s.mu.Unlock()
	go func() {
		defer close(done)
		tick := time.NewTicker(s.cfg.TTL / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			s.renewAll(ctx)
		}
	}()
}

// renewAll renews every held lease, in parallel, each within TTL/2 (a
// renewal that arrives later than that is of little use: the lease may
// have expired by then; a loaded host gets more than the interval).
func (s *Set) renewAll(ctx context.Context) {
	s.mu.Lock()
	held := make(map[string]transport.Transport, len(s.held))
	for h, t := range s.held {
		held[h] = t
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for host, t := range held {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rctx, cancel := context.WithTimeout(ctx, s.cfg.TTL/2)
			defer cancel()
			p, err := s.run(rctx, t, opRenew, "")
			if err != nil {
				if ctx.Err() == nil {
					s.cfg.Note(fmt.Sprintf("%s: could not renew the apply lease (it ends at its expiry unless a renewal gets through): %v", host, err))
				}
				return
			}
			if rec, ok := p.sections["lost"]; ok {
				by, _ := decode(rec)
				le := &LostError{Host: host, By: by}
				s.mu.Lock()
				delete(s.held, host)
				s.lost[host] = le
				s.mu.Unlock()
				s.cfg.Note(le.Error())
				if s.cfg.Lost != nil {
					s.cfg.Lost(le)
				}
				return
			}
			if _, ok := p.sections["recreated"]; ok {
				s.cfg.Note(fmt.Sprintf("%s: the apply lease was gone (the host rebooted, or someone removed it): taken again", host))
			}
		}()
	}
	wg.Wait()
}

// Release stops renewing and removes the held leases (those still the
// run's). It uses its own time limit, not the run's context: an
// interrupted run releases its leases too.
func (s *Set) Release() {
	s.mu.Lock()
	stop := s.stopKeep
	s.stopKeep = nil
	held := s.held
	s.held = map[string]transport.Transport{}
	s.released = true
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for host, t := range held {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.run(ctx, t, opRelease, ""); err != nil {
				s.cfg.Note(fmt.Sprintf("%s: could not release the apply lease (it expires by itself): %v", host, err))
			}
		}()
	}
	wg.Wait()
}

// Wrap fences a transport: before its first script it takes the host's
// lease (if the run does not hold it yet), and every script it runs first
// checks on the host that the lease is still the run's (see fence). After
// the lease was lost, it runs nothing.
func (s *Set) Wrap(t transport.Transport) transport.Transport { return &fenced{set: s, Transport: t} }

type fenced struct {
	set *Set
	transport.Transport
}

func (f *fenced) Run(ctx context.Context, script string, stdin io.Reader) (transport.Result, error) {
	host := f.Host()
	if err := f.set.lostErr(host); err != nil {
		return transport.Result{}, err
	}
	if !f.set.Holds(host) {
		if err := f.set.Acquire(ctx, f.Transport); err != nil {
			return transport.Result{}, err
		}
	}
	return f.Transport.Run(ctx, fence(f.set.cfg.Dir(host), f.set.cfg.Holder.Run)+script, stdin)
}

// Read returns the lease of t's host (ok false: none, or an expired one),
// without taking anything: plan warns with it.
func Read(ctx context.Context, t transport.Transport, dir string) (h Holder, ok bool, err error) {
	if dir == "" {
		dir = DefaultDir
	}
	res, err := t.Run(ctx, script(opRead, dir, "", "", 0), nil)
	if err != nil {
		return Holder{}, false, err
	}
	if res.ExitCode != 0 {
		return Holder{}, false, fmt.Errorf("reading the apply lease on %s: exit status %d: %s", t.Host(), res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	p := parse(string(res.Stdout))
	rec, present := p.sections["lease"]
	if !present {
		return Holder{}, false, nil
	}
	h, ok = decode(rec)
	if !ok || h.Expires.Unix() <= p.now {
		return h, false, nil
	}
	return h, true, nil
}
