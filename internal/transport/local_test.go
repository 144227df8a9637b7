package transport

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestLocal(t *testing.T) {
	l := &Local{}
	ctx := context.Background()
	res, err := l.Run(ctx, "cat; echo err >&2; exit 3", strings.NewReader("hello"))
	if err != nil || string(res.Stdout) != "hello" || string(res.Stderr) != "err\n" || res.ExitCode != 3 {
		t.Fatalf("got %+v %v", res, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := l.Run(ctx, "sleep 5", nil); err == nil {
		t.Fatal("a script past its deadline must fail")
	}
}

// Scripts longer than one argument may be (128 KiB on Linux) still run.
func TestLocalLongScript(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 20000; i++ {
		b.WriteString("x=12345678901234567890\n")
	}
	b.WriteString("cat; echo done")
	res, err := (&Local{}).Run(context.Background(), b.String(), strings.NewReader("in "))
	if err != nil || string(res.Stdout) != "in done\n" {
		t.Fatalf("got %q %v (script of %d bytes)", res.Stdout, err, b.Len())
	}
}
