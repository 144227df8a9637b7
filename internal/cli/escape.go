package cli

import (
	"io"
	"unicode/utf8"

	"github.com/fundament-cloud/fundament/internal/diag"
)

// terminalWriter escapes control characters (diag.Escape) in everything a
// command prints as text: names and values from the repository, host
// output, engine events, errors. JSON output passes through (JSON escapes
// them itself), and so do the few commands that print data as it is
// (secrets show, render to stdout, lab exec and ssh), which write to
// globals.rawOut and rawErr.
type terminalWriter struct {
	w io.Writer
	// json, when set, says the output is JSON: nothing to escape.
	json func() bool
	// pending is the start of a character cut by the end of a write.
	pending []byte
}

func (t *terminalWriter) Write(p []byte) (int, error) {
	if t.json != nil && t.json() {
		return t.w.Write(p)
	}
	buf := append(t.pending, p...)
	t.pending = nil
	// Keep an incomplete UTF-8 sequence at the end for the next write.
	for i := 1; i < utf8.UTFMax && i <= len(buf); i++ {
		if c := buf[len(buf)-i]; utf8.RuneStart(c) {
			if c >= utf8.RuneSelf && !utf8.FullRune(buf[len(buf)-i:]) {
				t.pending = append([]byte(nil), buf[len(buf)-i:]...)
				buf = buf[:len(buf)-i]
			}
			break
		}
	}
	if _, err := io.WriteString(t.w, diag.Escape(string(buf))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush writes what is pending (escaped: it is not a whole character).
func (t *terminalWriter) flush() {
	if len(t.pending) > 0 {
		io.WriteString(t.w, diag.Escape(string(t.pending)))
		t.pending = nil
	}
}
