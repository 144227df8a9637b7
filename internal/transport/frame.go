package transport

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
)

// How a script reaches the host. A script, and the variables it exports,
// may hold secrets; on a command line (the SSH exec request, the argument
// of sh -c, sudo's argv) any user of the host could read them in
// /proc/PID/cmdline, and sudo would log them. So the command line is
// always the same, Shell, and the script follows on its standard input,
// framed as one brace group:
//
//	{ echo @fundament-ready >&2
//	<script>
//	}; exit
//
// The shell parses a compound command whole before it runs any of it, so
// nothing runs before the last line arrived (a script cut short by a lost
// connection is a syntax error, and nothing of it runs), and the script
// is not read by anything but the shell. The caller's standard input
// follows only once the script announced that it started: the shell
// reads its input in blocks and would otherwise swallow the beginning of
// the caller's data with the script. By then it has read everything sent,
// so the script's commands read the caller's data from the first byte;
// the exit on the group's line keeps the shell from reading on after the
// script. No file holds the script, and no process runs but the shell.

// Shell is the program, the same for every script, that runs a framed
// script from its standard input.
const Shell = "/bin/sh -s"

// readyMarker is the line of standard error with which a framed script
// says that the shell has read all of it.
const readyMarker = "@fundament-ready"

// groupEnd closes a framed script.
const groupEnd = "\n}; exit\n"

// frame is what the shell reads: the script as one brace group.
func frame(script string) (string, error) {
	if strings.Contains(script, "\x00") {
		return "", errors.New("the script contains a NUL byte, which no shell reads")
	}
	return "{ echo " + readyMarker + " >&2\n" + script + groupEnd, nil
}

// feed writes the framed script to w, then, once ready is closed, stdin
// (may be nil); then it closes w. It gives up the wait when ended is
// closed (the script ended before it announced itself: a syntax error,
// say).
func feed(w io.WriteCloser, framed string, stdin io.Reader, ready, ended <-chan struct{}) {
	defer w.Close()
	if _, err := io.WriteString(w, framed); err != nil || stdin == nil {
		return
	}
	select {
	case <-ready:
		io.Copy(w, stdin)
	case <-ended:
	}
}

// readyWriter passes a script's standard error on to w without the line
// that announces its start, and closes ready when it has seen it. Until
// then it passes on complete lines only; flush passes on the rest.
type readyWriter struct {
	w     io.Writer
	ready chan struct{}

	mu      sync.Mutex
	pending []byte
	found   bool
}

func newReadyWriter(w io.Writer) *readyWriter {
	return &readyWriter{w: w, ready: make(chan struct{})}
}

func (r *readyWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.found {
		r.w.Write(p)
		return len(p), nil
	}
	r.pending = append(r.pending, p...)
	for {
		i := bytes.IndexByte(r.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := r.pending[:i+1]
		r.pending = r.pending[i+1:]
		if string(line) == readyMarker+"\n" {
			r.found = true
			close(r.ready)
			if len(r.pending) > 0 {
				r.w.Write(r.pending)
			}
			r.pending = nil
			return len(p), nil
		}
		r.w.Write(line)
	}
}

// flush passes on a last line without a newline.
func (r *readyWriter) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) > 0 {
		r.w.Write(r.pending)
		r.pending = nil
	}
}
