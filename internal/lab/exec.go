package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

// Command returns a command that runs argv inside a running node: in all
// its namespaces and its root, with a clean environment.
func (l *Lab) Command(ctx context.Context, node string, argv ...string) (*exec.Cmd, error) {
	if l.Topo.Node(node) == nil {
		return nil, l.unknown(node)
	}
	pid, ok := l.initPID(node)
	if !ok {
		return nil, fmt.Errorf("%s is not running (fundament lab start %s)", node, node)
	}
	if len(argv) == 0 {
		argv = []string{"/bin/bash", "-l"}
	}
	args := []string{"-t", strconv.Itoa(pid), "-m", "-u", "-i", "-n", "-p", "-C", "-r", "-w", "--",
		"/usr/bin/env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}
	if t := os.Getenv("TERM"); t != "" {
		args = append(args, "TERM="+t)
	}
	return exec.CommandContext(ctx, "nsenter", append(args, argv...)...), nil
}

// Output runs argv inside a node and returns its standard output.
func (l *Lab) Output(ctx context.Context, node string, argv ...string) (string, error) {
	cmd, err := l.Command(ctx, node, argv...)
	if err != nil {
		return "", err
	}
	out, err := cmd.Output()
	return string(out), err
}
