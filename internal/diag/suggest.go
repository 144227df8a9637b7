package diag

import "strings"

// Suggest returns the candidate closest to word when it is close enough to
// be a likely typo, or "" when none is. It powers the "did you mean"
// hints for unknown keys, enum values and references.
func Suggest(word string, candidates []string) string {
	best, bestDist := "", len(word)/2+2
	lw := strings.ToLower(word)
	for _, c := range candidates {
		if c == word {
			return ""
		}
		d := levenshtein(lw, strings.ToLower(c))
		if d < bestDist || (d == bestDist && best != "" && c < best) {
			best, bestDist = c, d
		}
	}
	if bestDist > 3 {
		return ""
	}
	return best
}

// DidYouMean renders Suggest's answer as a message suffix.
func DidYouMean(word string, candidates []string) string {
	if s := Suggest(word, candidates); s != "" {
		return "; did you mean \"" + s + "\"?"
	}
	return ""
}

func levenshtein(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		// Long strings are never typos of short keys; skip the quadratic work.
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
