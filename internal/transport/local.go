package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
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

func (l *Local) Run(ctx context.Context, script string, stdin io.Reader) (Result, error) {
	args := []string{"-c", script}
	if len(script) > MaxInlineScript {
		f, err := os.CreateTemp("", "fundament-script.")
		if err != nil {
			return Result{}, err
		}
		defer os.Remove(f.Name())
		if _, err := f.WriteString(script); err != nil {
			f.Close()
			return Result{}, err
		}
		f.Close()
		args = []string{f.Name()}
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", args...)
	// Kill the script's whole process group when the context ends, so a
	// child holding the output pipes open cannot outlive the deadline.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, stdin
	if len(l.Env) > 0 {
		cmd.Env = append(cmd.Environ(), l.Env...)
	}
	err := cmd.Run()
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
