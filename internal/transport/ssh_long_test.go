package transport

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A script longer than one argument may be (128 KiB on Linux) is uploaded
// and run from a file, with the caller's stdin, and the file is removed.
func TestSSHLongScript(t *testing.T) {
	d := newTestSSHD(t)
	s := d.dial(d.config(NewMemoryHostKeys()))
	var b strings.Builder
	for i := 0; i < 20000; i++ {
		b.WriteString("x=12345678901234567890\n")
	}
	b.WriteString(`cat; echo " $0"; exit 4`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.Run(ctx, b.String(), strings.NewReader("in"))
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Stdout)
	if !strings.HasPrefix(out, "in /tmp/fundament-script.") || res.ExitCode != 4 {
		t.Fatalf("stdout %q exit %d stderr %q", out, res.ExitCode, res.Stderr)
	}
	path := strings.TrimSpace(strings.TrimPrefix(out, "in "))
	if left := run(t, s, "test -e "+path+" && echo left"); strings.Contains(string(left.Stdout), "left") {
		t.Errorf("uploaded script %s was not removed", path)
	}
}
