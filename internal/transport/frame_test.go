package transport

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
)

// Shell runs only a complete script, and what follows the frame is not
// run as commands.
func TestShellRunsOnlyCompleteScripts(t *testing.T) {
	framed := func(script string) string {
		f, err := frame(script)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	complete := framed("echo ran; cat")
	cases := []struct {
		name, in, stdout string
		exit             int
	}{
		// Sent at once, data is read by the shell with the script (why
		// the transports wait for the announcement), and not run.
		{"complete, then data", complete + "data\n", "ran\n", 0},
		{"data after a script that does not read it", framed("echo ran") + "echo oops\n", "ran\n", 0},
		{"trailing here-document", framed("cat <<EOF\nx\nEOF"), "x\n", 0},
		{"unterminated here-document", framed("cat <<EOF\nx"), "", 2},
		{"unterminated quote", framed("echo 'x"), "", 2},
		{"trailing backslash", framed("echo x \\"), "", 2},
		{"exit status", framed("exit 7"), "", 7},
		{"status of the last command", framed("false"), "", 1},
		{"empty script", framed(""), "", 0},
		{"a function", framed("f() {\n\techo in f\n}\nf"), "in f\n", 0},
		{"cut in the script", complete[:len(complete)-len(groupEnd)-3], "", 2},
		{"cut before the group's end", complete[:len(complete)-len(groupEnd)+1], "", 2},
		{"nothing", "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command("/bin/sh", "-s")
			var out, errb bytes.Buffer
			cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(c.in), &out, &errb
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if out.String() != c.stdout || code != c.exit {
				t.Errorf("stdout %q exit %d (stderr %q), want %q exit %d", out.String(), code, errb.String(), c.stdout, c.exit)
			}
			if ran := strings.Contains(errb.String(), readyMarker); ran != (code != 2 && c.in != "") {
				t.Errorf("stderr %q", errb.String())
			}
		})
	}
}

func TestNULRefused(t *testing.T) {
	_, err := (&Local{}).Run(context.Background(), "echo \x00", nil)
	if err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Fatalf("got %v", err)
	}
}

// The command line is one constant: nothing of the script is in it.
func TestCommandIsFixed(t *testing.T) {
	for _, c := range []struct{ user, want string }{
		{"root", "echo @fundament-pgid=$$ >&2; exec /bin/sh -s"},
		{"someone", "echo @fundament-pgid=$$ >&2; exec sudo -n /bin/sh -s"},
	} {
		s := &SSH{cfg: SSHConfig{User: c.user}}
		if got := s.command(); got != c.want {
			t.Errorf("%s: command %q, want %q", c.user, got, c.want)
		}
	}
}

// The announcement is taken out of standard error however it is split,
// and stdin waits for it.
func TestReadyWriter(t *testing.T) {
	in := "warning: x\n" + readyMarker + "\nerr 1\nerr 2"
	for split := 0; split <= len(in); split++ {
		var b bytes.Buffer
		w := newReadyWriter(&b)
		w.Write([]byte(in[:split]))
		w.Write([]byte(in[split:]))
		w.flush()
		if b.String() != "warning: x\nerr 1\nerr 2" {
			t.Fatalf("split at %d: %q", split, b.String())
		}
		select {
		case <-w.ready:
		default:
			t.Fatalf("split at %d: not ready", split)
		}
	}
}
