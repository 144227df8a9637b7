package secrets

import (
	"cmp"
	"slices"
	"strings"
)

// Redacted replaces secret values in output scrubbed by a Redactor.
const Redacted = "(sensitive)"

// Redactor returns a function that replaces every occurrence of any of the
// given values in its input with "(sensitive)". Empty values are ignored;
// longer values take precedence over values they contain. With no non-empty
// values the returned function returns its input unchanged. The returned
// function is safe for concurrent use.
func Redactor(values ...string) func(string) string {
	vals := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			vals = append(vals, v)
		}
	}
	slices.SortFunc(vals, func(a, b string) int {
		// Longest first: strings.Replacer prefers earlier pairs at a position.
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	vals = slices.Compact(vals)
	if len(vals) == 0 {
		return func(s string) string { return s }
	}
	pairs := make([]string, 0, 2*len(vals))
	for _, v := range vals {
		pairs = append(pairs, v, Redacted)
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}
