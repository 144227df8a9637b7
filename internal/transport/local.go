package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"
)

// Local runs scripts on this machine, for the manager host itself and for
// tests. It runs them as the current user (the engine runs as root).
type Local struct {
	// Name is what Host reports; default "localhost".
	Name string
	// Env is added to the scripts' environment (tests put fakes on PATH).
	Env []string
}

func (l *Local) Host() string {
	if l.Name == "" {
		return "localhost"
	}
	return l.Name
}

// Run runs Shell with the framed script, then stdin, on its standard
// input, as SSH does: no script is on this machine's command lines either.
func (l *Local) Run(ctx context.Context, script string, stdin io.Reader) (Result, error) {
	framed, err := frame(script)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", l.Host(), err)
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-s")
	// Kill the script's whole process group when the context ends, so a
	// child holding the output pipes open cannot outlive the deadline.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var out, errb bytes.Buffer
	ready := newReadyWriter(&errb)
	cmd.Stdout, cmd.Stderr = &out, ready
	if len(l.Env) > 0 {
		cmd.Env = append(cmd.Environ(), l.Env...)
	}
	pipe, err := cmd.StdinPipe()
	if err != nil {
		return Result{}, err
	}
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	ended, fed := make(chan struct{}), make(chan struct{})
	go func() {
		feed(pipe, framed, stdin, ready.ready, ended)
		close(fed)
	}()
	err = cmd.Wait()
	close(ended)
	<-fed
	ready.flush()
	res := Result{Stdout: out.Bytes(), Stderr: errb.Bytes()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return res, ctx.Err()
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	default:
		return res, err
	}
	return res, nil
}

func (l *Local) Close() error { return nil }
