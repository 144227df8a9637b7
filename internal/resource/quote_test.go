package resource

import (
	"os/exec"
	"testing"
)

// The shell reads back exactly the arguments QuoteArgs was given.
func TestQuoteArgs(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"plain"},
		{"two words", "it's", `back\slash`, "$HOME", "", "new\nline"},
	} {
		script := `for a in "$@"; do printf '%s\0' "$a"; done`
		out, err := exec.Command("/bin/sh", "-c", "set -- "+QuoteArgs(args...)+"\n"+script).Output()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for start, i := 0, 0; i < len(out); i++ {
			if out[i] == 0 {
				got = append(got, string(out[start:i]))
				start = i + 1
			}
		}
		if len(got) != len(args) {
			t.Fatalf("%q: the shell read %q", args, got)
		}
		for i := range args {
			if got[i] != args[i] {
				t.Errorf("%q: argument %d read as %q", args, i, got[i])
			}
		}
	}
}
