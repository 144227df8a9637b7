package transport

import (
	"context"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/sshd"
)

// BenchmarkSSHRun is one small script's round trip (a session, the login
// shell, /bin/sh reading the script), as each observation and action pays.
func BenchmarkSSHRun(b *testing.B) {
	d := &testSSHD{Server: sshd.Start(b)}
	s, err := DialSSH(context.Background(), d.config(NewMemoryHostKeys()))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	script := strings.Repeat("x=1\n", 2000) + "true"
	b.ResetTimer()
	for b.Loop() {
		if res, err := s.Run(context.Background(), script, nil); err != nil || res.ExitCode != 0 {
			b.Fatal(err, res)
		}
	}
}
