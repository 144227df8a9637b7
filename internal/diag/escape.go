package diag

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape makes text safe to print on a terminal: what a name, a value or
// a host's output may carry that a terminal would act on instead of show
// (control characters but newline and tab: escape sequences, carriage
// returns, backspaces; Unicode format characters such as bidirectional
// overrides and zero-width spaces; line and paragraph separators) and
// bytes that are not UTF-8 become Go escapes (\x1b, \r, \x85, \u202e,
// \xff). Everything else is left as it is.
func Escape(s string) string { return escape(s, false) }

// EscapeLine is Escape for text that must stay on one line: newlines are
// escaped too (a diagnostic is one line, and a value must not be able to
// forge another).
func EscapeLine(s string) string { return escape(s, true) }

func escape(s string, line bool) string {
	i := unsafeIndex(s, line)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !unsafeRune(r, line):
			b.WriteString(s[i : i+size])
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += size
	}
	return b.String()
}

// unsafeIndex is the index of the first byte that needs escaping, or -1.
func unsafeIndex(s string, line bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if unsafeRune(rune(c), line) {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafeRune(r, line) {
			return i
		}
		i += size
	}
	return -1
}

func unsafeRune(r rune, line bool) bool {
	switch {
	case r == '\t':
		return false
	case r == '\n':
		return line
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return true
	case r < 0xa0:
		return false
	}
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}
