package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fundament-cloud/fundament/internal/transport"
)

// Pauses of the SSH wait: between two attempts on one node, and between
// two reports of the nodes still waited for (variables for the tests).
var (
	sshRetryInterval = 200 * time.Millisecond
	waitReport       = time.Second
)

// WaitSSH waits, at most limit (0: not at all), until each node named is
// booted: it accepts the SSH configuration conf gives it (the operator's
// key and the host keys the caller trusts; the lab fills in what conf
// leaves empty: the node's name and management address, root, a 2 s
// connect timeout) and systemd has finished starting it (running, or
// degraded). l.Progress hears each node that answers and, every second,
// the nodes still waited for. A node that stops meanwhile fails at once,
// with the end of its console.
func (l *Lab) WaitSSH(ctx context.Context, limit time.Duration, conf func(*Node) transport.SSHConfig, nodes ...string) error {
	if limit <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return waitNodes(ctx, l.Progress, nodes, func(ctx context.Context, name string) error {
		n := l.Topo.Node(name)
		if n == nil {
			return fmt.Errorf("lab %s has no node %q", l.Prefix, name)
		}
		cfg := conf(n)
		if cfg.Host == "" {
			cfg.Host = n.Name
		}
		if cfg.Address == "" {
			cfg.Address = n.Mgmt.Addr().String()
		}
		if cfg.User == "" {
			cfg.User = "root"
		}
		if cfg.ConnectTimeout == 0 {
			cfg.ConnectTimeout = 2 * time.Second
		}
		stopped := func() error {
			if l.Running(n.Name) {
				return nil
			}
			return fmt.Errorf("%s stopped while booting (%s); the end of its console:\n%s", n.Name, l.WhyNotRunning(n.Name), l.ConsoleTail(n.Name, 15))
		}
		// A host key the caller does not trust will not change by waiting.
		var keyErr error
		stop := func() error {
			if keyErr != nil {
				return keyErr
			}
			return stopped()
		}
		timedOut, err := retry(ctx, sshRetryInterval, stop, func(ctx context.Context) error {
			err := sshBooted(ctx, cfg)
			if transport.IsHostKeyError(err) {
				keyErr = err
			}
			return err
		})
		if timedOut {
			return fmt.Errorf("%s (%s) did not answer over SSH in time: %v", n.Name, cfg.Address, err)
		}
		return err
	})
}

// sshBooted is one attempt: the node accepts cfg and systemd is done
// starting it.
func sshBooted(ctx context.Context, cfg transport.SSHConfig) error {
	conn, err := transport.DialSSH(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	res, err := conn.Run(ctx, "systemctl is-system-running --wait", nil)
	state := strings.TrimSpace(string(res.Stdout))
	switch {
	case err != nil:
		return err
	case state != "running" && state != "degraded":
		return fmt.Errorf("systemd is %q", state)
	}
	return nil
}

// retry calls try every interval until it succeeds, stop returns an error
// (asked before each attempt: waiting will not help), or ctx ends; then it
// returns the last attempt's error, timedOut saying it was ctx's end.
func retry(ctx context.Context, interval time.Duration, stop func() error, try func(context.Context) error) (timedOut bool, err error) {
	for {
		if err := stop(); err != nil {
			return false, err
		}
		if err = try(ctx); err == nil {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return true, err
		case <-time.After(interval):
		}
	}
}

// waitNodes runs wait for every node at once and joins their errors;
// progress hears each node whose wait succeeded and, every waitReport,
// the nodes still waited for (nothing after waitNodes returned).
func waitNodes(ctx context.Context, progress Progress, nodes []string, wait func(context.Context, string) error) error {
	start := time.Now()
	var mu sync.Mutex
	ready := make([]bool, len(nodes))
	stop, stopped := make(chan struct{}), make(chan struct{})
	defer func() { close(stop); <-stopped }()
	go func() {
		defer close(stopped)
		tick := time.NewTicker(waitReport)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			mu.Lock()
			var waiting []string
			for i, name := range nodes {
				if !ready[i] {
					waiting = append(waiting, name)
				}
			}
			mu.Unlock()
			progress.Emit(StageNodes, start, Event{Type: EventNodesWaiting, Done: len(nodes) - len(waiting), Total: len(nodes), Unit: "nodes", Nodes: waiting})
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, len(nodes))
	for i, name := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = wait(ctx, name); errs[i] != nil {
				return
			}
			mu.Lock()
			ready[i] = true
			mu.Unlock()
			progress.Emit(StageNodes, start, Event{Type: EventNodeReady, Node: name})
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
