package lab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// run runs a program on the machine, its output going to log; a failure
// says what ran and ends with the last lines it printed.
func run(ctx context.Context, log io.Writer, name string, args ...string) error {
	var tail tailBuffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = io.MultiWriter(log, &tail)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w%s", describe(name, args), err, tail.String())
	}
	return nil
}

// output runs a program and returns what it printed on stdout.
func output(ctx context.Context, name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			msg = ": " + msg
		}
		return stdout.String(), fmt.Errorf("%s: %w%s", describe(name, args), err, msg)
	}
	return stdout.String(), nil
}

func describe(name string, args []string) string {
	s := name + " " + strings.Join(args, " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// tailBuffer keeps the last lines written to it.
type tailBuffer struct{ b []byte }

const tailBytes = 2048

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*tailBytes {
		t.b = append([]byte(nil), t.b[len(t.b)-tailBytes:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	s := strings.TrimSpace(string(t.b))
	if len(s) > tailBytes {
		s = s[len(s)-tailBytes:]
	}
	if s == "" {
		return ""
	}
	return "\n" + s
}
