package golden

import (
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	many := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(f(i) + "\n")
		}
		return b.String()
	}
	num := func(i int) string { return string(rune('a'+i%26)) + strings.Repeat("x", i/26) }
	for _, tc := range []struct {
		name, want, got, diff string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"one line changed", "a\nb\nc\n", "a\nB\nc\n", "--- w\n+++ g\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"added at the end", "a\n", "a\nb\n", "--- w\n+++ g\n@@ -1,1 +1,2 @@\n a\n+b\n"},
		{"removed at the start", "a\nb\n", "b\n", "--- w\n+++ g\n@@ -1,2 +1,1 @@\n-a\n b\n"},
		{"empty", "", "a\n", "--- w\n+++ g\n@@ -1,0 +1,1 @@\n+a\n"},
		{"final newline", "a\n", "a", "--- w\n+++ g\n(final newline: w true, g false)\n"},
		{"two hunks far apart",
			many(20, num),
			strings.Replace(strings.Replace(many(20, num), "b\n", "B\n", 1), "s\n", "S\n", 1),
			"--- w\n+++ g\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -16,5 +16,5 @@\n p\n q\n r\n-s\n+S\n t\n"},
		{"two hunks close together join",
			many(10, num),
			strings.Replace(strings.Replace(many(10, num), "b\n", "B\n", 1), "f\n", "F\n", 1),
			"--- w\n+++ g\n@@ -1,9 +1,9 @@\n a\n-b\n+B\n c\n d\n e\n-f\n+F\n g\n h\n i\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Diff("w", "g", tc.want, tc.got); got != tc.diff {
				t.Errorf("Diff:\n%s\nwant:\n%s", got, tc.diff)
			}
		})
	}
}

func TestDiffOfLargeInputsIsBounded(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 5000; i++ {
		a.WriteString("a line\n")
		b.WriteString("another line\n")
	}
	d := Diff("w", "g", a.String(), b.String())
	if strings.Count(d, "\n-a line") != 5000 || strings.Count(d, "\n+another line") != 5000 {
		t.Errorf("a large diff lost lines: %d bytes", len(d))
	}
}
