package transport

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A script longer than one argument may be (128 KiB on Linux) runs as
// any other, with the caller's stdin: scripts travel on standard input.
func TestSSHLongScript(t *testing.T) {
	d := newTestSSHD(t)
	s := d.dial(d.config(NewMemoryHostKeys()))
	var b strings.Builder
	for i := 0; i < 20000; i++ {
		b.WriteString("x=12345678901234567890\n")
	}
	b.WriteString(`cat; echo " $0 $x"; exit 4`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.Run(ctx, b.String(), strings.NewReader("in"))
	if err != nil {
		t.Fatal(err)
	}
	if out := string(res.Stdout); out != "in /bin/sh 12345678901234567890\n" || res.ExitCode != 4 {
		t.Fatalf("stdout %q exit %d stderr %q", out, res.ExitCode, res.Stderr)
	}
}
