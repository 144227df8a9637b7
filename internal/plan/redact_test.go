package plan

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// brokenHost answers an observation without its sections, with a secret
// and a terminal escape on stderr (a guard that printed its environment).
type brokenHost struct{ stderr string }

func (h *brokenHost) Run(context.Context, string, io.Reader) (transport.Result, error) {
	return transport.Result{Stderr: []byte(h.stderr), ExitCode: 2}, nil
}
func (*brokenHost) Host() string { return "h1" }
func (*brokenHost) Close() error { return nil }

// A host's output that a plan keeps (why it could not be observed) has its
// secrets redacted and its control characters escaped, on screen and in
// the plan file.
func TestObservationErrorIsRedacted(t *testing.T) {
	const secret = "pw-9f8e7d6c5b4a"
	cat, err := catalog.New([]*catalog.Item{{Host: "h1", Component: "test",
		Resource: resource.Command{Name: "c", Script: "true", Guard: "true", Env: map[string]string{"DB_PASSWORD": secret}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]transport.Transport{"h1": &brokenHost{stderr: "sh: DB_PASSWORD=" + secret + ": not found \x1b]0;owned\x07\n"}}
	p, err := Make(context.Background(), cat, hosts, Options{Redact: func(s string) string { return strings.ReplaceAll(s, secret, "(sensitive)") }})
	if err != nil {
		t.Fatal(err)
	}
	hp := p.Host("h1")
	if hp.Reachable || !strings.Contains(hp.Error, "stderr: sh: DB_PASSWORD=(sensitive): not found \\x1b]0;owned\\x07") {
		t.Errorf("the host's error: %q", hp.Error)
	}
	var file, screen bytes.Buffer
	if err := p.Write(&file); err != nil {
		t.Fatal(err)
	}
	Render(&screen, p)
	for what, text := range map[string]string{"the plan file": file.String(), "the rendered plan": screen.String()} {
		if strings.Contains(text, secret) || strings.Contains(text, "\x1b") {
			t.Errorf("%s holds the secret or an escape:\n%s", what, text)
		}
	}
}
