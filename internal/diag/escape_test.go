package diag

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want, line string }{
		{"ctl-1", "ctl-1", "ctl-1"},
		{"grüße, 東京, 🙂", "grüße, 東京, 🙂", "grüße, 東京, 🙂"},
		{"a\tb\nc", "a\tb\nc", `a	b\nc`},
		{"\x1b[2J\x1b]0;owned\x07", `\x1b[2J\x1b]0;owned\x07`, `\x1b[2J\x1b]0;owned\x07`},
		{"ok\rFAIL", `ok\rFAIL`, `ok\rFAIL`},
		{"x\x00\x7f\u0085\u009b", `x\x00\x7f\x85\x9b`, `x\x00\x7f\x85\x9b`},
		{"tag\U000e0001", `tag\U000e0001`, `tag\U000e0001`},
		{"admin\u202e1gpj.exe", `admin\u202e1gpj.exe`, `admin\u202e1gpj.exe`},
		{"zero\u200bwidth\ufeff", `zero\u200bwidth\ufeff`, `zero\u200bwidth\ufeff`},
		{"line\u2028sep", `line\u2028sep`, `line\u2028sep`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`, `bad \xff\xfe utf8`},
		{"cut \xe6\x9d", `cut \xe6\x9d`, `cut \xe6\x9d`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := EscapeLine(tc.in); got != tc.line {
			t.Errorf("EscapeLine(%q) = %q, want %q", tc.in, got, tc.line)
		}
	}
}

// A name with control characters cannot act on the terminal nor forge a
// second diagnostic.
func TestDiagnosticStringEscapes(t *testing.T) {
	d := Diagnostic{File: "inventory/\x1b[31mred.yaml", Line: 3, Column: 9, Severity: Error, Rule: "name-syntax",
		Message: "host name \"ctl\x1b[2J\" is not a label\ncloud.yaml:1:1: error: forged [x]"}
	got := d.String()
	want := `inventory/\x1b[31mred.yaml:3:9: error: host name "ctl\x1b[2J" is not a label\ncloud.yaml:1:1: error: forged [x] [name-syntax]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if strings.ContainsAny(got, "\x1b\n") {
		t.Errorf("raw control characters in %q", got)
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("plain")
	f.Add("\x1b[0m\r\n\t\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Escape(s), EscapeLine(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("%q escapes to invalid UTF-8 %q", s, out)
			}
			for _, r := range out {
				if r != '\n' && r != '\t' && unsafeRune(r, false) {
					t.Fatalf("%q escapes to %q, which holds %U", s, out, r)
				}
			}
		}
		if strings.Contains(EscapeLine(s), "\n") {
			t.Fatalf("EscapeLine(%q) holds a newline", s)
		}
	})
}
