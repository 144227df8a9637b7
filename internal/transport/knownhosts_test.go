package transport

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh/knownhosts"
)

const testEdKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFiikTAz0wPUThxwEMbqTB8p6Sg0tCvCr6vyiqgBufy2"

func TestParseKnownHosts(t *testing.T) {
	file := strings.Join([]string{
		"# a comment",
		"",
		"ctl-1,10.0.0.11 " + testEdKey + " a comment with spaces",
		"@cert-authority *.example.org " + testEdKey,
		"@revoked * " + testEdKey,
		"garbage",
		"ctl-2 ssh-ed25519 not-base64",
		"@trusted ctl-3 " + testEdKey,
		"ctl-4 ssh-rsa " + strings.Fields(testEdKey)[1],
		"|2|abc|def " + testEdKey,
		"!, " + testEdKey,
		"   ",
		"\tctl-5 " + testEdKey + "\r",
	}, "\n")
	k, errs := ParseKnownHosts("ops/known_hosts", []byte(file))
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		"ops/known_hosts:6: not an entry (expected [@cert-authority|@revoked] HOSTS KEYTYPE KEY [COMMENT])",
		"ops/known_hosts:7: illegal base64 data at input byte 3",
		"ops/known_hosts:8: unknown marker @trusted (known: @cert-authority, @revoked)",
		`ops/known_hosts:9: known hosts key type mismatch: human-readable type "ssh-rsa", encoded type "ssh-ed25519"`,
		"ops/known_hosts:10: a hashed host name must be |1|SALT|HASH",
		"ops/known_hosts:11: a negation (!) without a host name",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if k.Len() != 4 || len(k.revoked) != 1 {
		t.Fatalf("kept %d entries (%d revoked), want 4 (1)", k.Len(), len(k.revoked))
	}
	keys, cas := k.lookup([]string{"ctl-1"}, 22)
	if len(keys) != 1 || keys[0].at != "ops/known_hosts:3" || len(cas) != 0 {
		t.Errorf("lookup ctl-1 = %v, %v", keys, cas)
	}
	keys, cas = k.lookup([]string{"ctl-5", "ctl-1.example.org"}, 22)
	if len(keys) != 1 || keys[0].at != "ops/known_hosts:13" || len(cas) != 1 || cas[0].at != "ops/known_hosts:4" {
		t.Errorf("lookup ctl-5 = %v, %v", keys, cas)
	}
}

// hostPatternCases are matched by Fundament and, when it is installed, by
// OpenSSH's ssh-keygen -F: the two must agree.
var hostPatternCases = []struct {
	pattern, host string
	port          int
	want          bool
}{
	{"ctl-1", "ctl-1", 22, true},
	{"ctl-1", "ctl-2", 22, false},
	{"ctl-1", "ctl-1", 2222, false},
	{"[ctl-1]:2222", "ctl-1", 2222, true},
	{"[ctl-1]:2222", "ctl-1", 22, false},
	{"CTL-1", "ctl-1", 22, true},
	{"*", "ctl-1", 22, true},
	{"*", "ctl-1", 2222, true},
	{"*.example.org", "ctl-1.example.org", 22, true},
	{"*.example.org", "ctl-1.example.org", 2222, false},
	{"[*.example.org]:*", "ctl-1.example.org", 2222, true},
	{"ctl-?", "ctl-1", 22, true},
	{"ctl-?", "ctl-10", 22, false},
	{"10.0.0.*", "10.0.0.11", 22, true},
	{"10.0.0.*,!10.0.0.11", "10.0.0.11", 22, false},
	{"!10.0.0.11,10.0.0.*", "10.0.0.12", 22, true},
	{"!10.0.0.11", "10.0.0.12", 22, false},
	{"2001:db8::1", "2001:db8::1", 22, true},
	{"[2001:db8::1]:2222", "2001:db8::1", 2222, true},
	{"ctl-1,ctl-2", "ctl-2", 22, true},
}

func TestHostPatterns(t *testing.T) {
	keygen, _ := exec.LookPath("ssh-keygen")
	for _, tc := range hostPatternCases {
		line := tc.pattern + " " + testEdKey + "\n"
		k, errs := ParseKnownHosts("f", []byte(line))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		keys, _ := k.lookup([]string{tc.host}, tc.port)
		if got := len(keys) == 1; got != tc.want {
			t.Errorf("%q matches %s port %d: %v, want %v", tc.pattern, tc.host, tc.port, got, tc.want)
		}
		if keygen != "" {
			if got := keygenFinds(t, keygen, line, knownHostsName(tc.host, tc.port)); got != tc.want {
				t.Errorf("ssh-keygen -F: %q matches %s port %d: %v, want %v", tc.pattern, tc.host, tc.port, got, tc.want)
			}
		}
	}
	// Hashed names (ssh-keygen -H) match the same names.
	for _, tc := range []struct {
		name, host string
		port       int
		want       bool
	}{{"ctl-1", "ctl-1", 22, true}, {"[ctl-1]:2222", "ctl-1", 2222, true}, {"ctl-1", "ctl-1", 2222, false}} {
		k, errs := ParseKnownHosts("f", []byte(knownhosts.HashHostname(tc.name)+" "+testEdKey))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if keys, _ := k.lookup([]string{tc.host}, tc.port); (len(keys) == 1) != tc.want {
			t.Errorf("hashed %s matches %s port %d: %v", tc.name, tc.host, tc.port, !tc.want)
		}
	}
}

func keygenFinds(t *testing.T, keygen, line, name string) bool {
	t.Helper()
	f := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(f, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	err := exec.Command(keygen, "-F", name, "-f", f).Run()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return false
	}
	if err != nil {
		t.Fatalf("ssh-keygen -F %s: %v", name, err)
	}
	return true
}

func FuzzParseKnownHosts(f *testing.F) {
	f.Add([]byte("ctl-1,10.0.0.11 " + testEdKey + " comment\n@cert-authority * " + testEdKey + "\n@revoked * " + testEdKey))
	f.Add([]byte("|1|c2FsdA==|aGFzaA== " + testEdKey))
	f.Add([]byte("[h]:22,!x " + testEdKey + "\n#\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, errs := ParseKnownHosts("f", data)
		lines := strings.Count(string(data), "\n") + 1
		if k.Len()+len(errs) > lines {
			t.Fatalf("%d entries and %d errors from %d lines", k.Len(), len(errs), lines)
		}
		for _, e := range errs {
			if e.Line < 1 || e.Line > lines {
				t.Fatalf("error on line %d of %d", e.Line, lines)
			}
		}
		k.lookup([]string{"ctl-1", "10.0.0.11"}, 22)
		key, _ := ParseHostKey(testEdKey)
		k.revokedAt(key)
	})
}
