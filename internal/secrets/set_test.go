package secrets

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// setStore opens a store on a fresh repository with its own identity
// (helpers of its own, so that this file stands apart from the others'
// tests).
func setStore(t *testing.T) *Store {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg"))
	t.Setenv(IdentityEnv, filepath.Join(home, "id.agekey"))
	s, err := Open(Options{RepoDir: t.TempDir(), CloudName: "settest"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSetGetDelete(t *testing.T) {
	s := setStore(t)
	// Set on a repository without identity creates it, like Generate.
	if err := s.Set("keystone-fernet-2", "value-two"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("keystone-fernet-2"); err != nil || v != "value-two" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	raw, err := os.ReadFile(s.SecretPath("keystone-fernet-2"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "value-two") {
		t.Fatal("the secret file holds the plaintext")
	}
	// Replacing keeps one file with the new value.
	if err := s.Set("keystone-fernet-2", "value-three"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("keystone-fernet-2"); v != "value-three" {
		t.Fatalf("after a second Set: %q", v)
	}
	if names, _ := s.List(); len(names) != 1 || names[0] != "keystone-fernet-2" {
		t.Fatalf("List = %v", names)
	}
	if err := s.Delete("keystone-fernet-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("keystone-fernet-2"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get after Delete: %v", err)
	}
	// Deleting again is no error (an interrupted rotation runs again).
	if err := s.Delete("keystone-fernet-2"); err != nil {
		t.Fatal(err)
	}
}

func TestSetRefusesBadInput(t *testing.T) {
	s := setStore(t)
	for _, tc := range []struct {
		name, value, want string
	}{
		{"Bad/Name", "x", "invalid secret name"},
		{"ok", strings.Repeat("x", maxSecretSize+1), "larger than"},
	} {
		if err := s.Set(tc.name, tc.value); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Set(%q): %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := s.Delete("../x"); err == nil {
		t.Error("Delete accepted a bad name")
	}
}
