package transport

import (
	"strings"
	"testing"
	"time"
)

// A known_hosts file comes with the repository, so a change can bring any
// pattern: matching one takes time linear in the pattern times the name,
// never exponential in its stars (a plan that hangs in CI).
func TestWildcardMatchPathological(t *testing.T) {
	pat := strings.Repeat("*a", 40) + "*b"
	name := strings.Repeat("a", 200)
	done := make(chan bool, 1)
	go func() { done <- wildcardMatch(pat, name) }()
	select {
	case got := <-done:
		if got {
			t.Errorf("%q matches %q", pat, name)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("matching %q against a %d-character name did not finish in 30s", pat, len(name))
	}
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true}, {"", "", true}, {"", "a", false}, {"?", "", false}, {"a*", "a", true},
		{"*.example.org", "ctl-1.example.org", true}, {"*.example.org", "example.org", false},
		{"ctl-?", "ctl-1", true}, {"ctl-?", "ctl-10", false}, {"[*]:*", "[10.0.0.1]:2222", true},
		{"*a*b", "xaxbxb", true}, {"*a*b", "xaxbxa", false}, {"a*b*c", "abc", true}, {"a**c", "ac", true},
	} {
		if got := wildcardMatch(tc.pat, tc.s); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tc.pat, tc.s, got, tc.want)
		}
	}
}

// wildcardMatchRef is the definition of the match as a table: m[i][j]
// says whether pat[i:] matches s[j:].
func wildcardMatchRef(pat, s string) bool {
	m := make([][]bool, len(pat)+1)
	for i := range m {
		m[i] = make([]bool, len(s)+1)
	}
	m[len(pat)][len(s)] = true
	for i := len(pat) - 1; i >= 0; i-- {
		for j := len(s); j >= 0; j-- {
			switch {
			case pat[i] == '*':
				m[i][j] = m[i+1][j] || (j < len(s) && m[i][j+1])
			case j < len(s) && (pat[i] == '?' || pat[i] == s[j]):
				m[i][j] = m[i+1][j+1]
			}
		}
	}
	return m[0][0]
}

func FuzzWildcardMatch(f *testing.F) {
	f.Add("*a*b", "xaxbxb")
	f.Add("ctl-?.*.org", "ctl-1.example.org")
	f.Add("[*]:*", "[10.0.0.1]:2222")
	f.Fuzz(func(t *testing.T, pat, s string) {
		if len(pat) > 256 || len(s) > 256 {
			return
		}
		if got, want := wildcardMatch(pat, s), wildcardMatchRef(pat, s); got != want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", pat, s, got, want)
		}
	})
}
