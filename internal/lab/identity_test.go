package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The lab records the key a node's layer holds; the node can change that
// file, so HostKey reads a public key inside the layer or nothing.
func TestHostKeyStaysInNodeLayer(t *testing.T) {
	_, pub, err := newHostKey("ctl-1")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(strings.Fields(string(pub))[:2], " ")
	outside := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(outside, []byte("SECRET-OF-THE-MACHINE and more\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		setup func(path string) error
		want  string // "" = refused
	}{
		{"the key", func(p string) error { return os.WriteFile(p, pub, 0o644) }, want},
		{"a link out of the layer", func(p string) error { return os.Symlink(outside, p) }, ""},
		{"not a key", func(p string) error { return os.WriteFile(p, []byte("SECRET-OF-THE-MACHINE and more\n"), 0o644) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Lab{Dir: t.TempDir()}
			p := filepath.Join(l.nodeDir("ctl-1"), "upper/etc/ssh/ssh_host_ed25519_key.pub")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := tc.setup(p); err != nil {
				t.Skipf("cannot set up: %v", err)
			}
			got, err := l.HostKey("ctl-1")
			if tc.want != "" && (err != nil || got != tc.want) {
				t.Fatalf("HostKey = %q, %v; want %q", got, err, tc.want)
			}
			if tc.want == "" && err == nil {
				t.Fatalf("HostKey = %q, want it refused", got)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error quotes the file: %v", err)
			}
		})
	}
}
