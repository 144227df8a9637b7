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
