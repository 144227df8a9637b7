package transport

import "testing"

func TestPrintable(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain\ttext\nline two é", "plain\ttext\nline two é"},
		{"\x1b[2J\x1b]0;owned\x07", `\x1b[2J\x1b]0;owned\x07`},
		{"progress 10%\rprogress 100%", `progress 10%\rprogress 100%`},
		{"bad \xff utf-8", `bad \xff utf-8`},
		{"\u0085next line", `\x85next line`},
		{"", ""},
	} {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
