package keystone

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/secrets"
)

// TestPlanRotation follows keystone-manage fernet_rotate: key 0 becomes
// the highest index + 1, a new 0 is staged, and the lowest indices are
// purged until MaxActive keys remain (the new 0 counted).
func TestPlanRotation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		max     int
		have    []int
		promote int
		purge   []int
		after   []int
		err     string
	}{
		{name: "first rotation keeps both", max: 3, have: []int{0, 1}, promote: 2, after: []int{0, 1, 2}},
		{name: "second rotation purges the oldest", max: 3, have: []int{0, 1, 2}, promote: 3, purge: []int{1}, after: []int{0, 2, 3}},
		{name: "steady state", max: 3, have: []int{0, 2, 3}, promote: 4, purge: []int{2}, after: []int{0, 3, 4}},
		{name: "unsorted input", max: 3, have: []int{3, 0, 2}, promote: 4, purge: []int{2}, after: []int{0, 3, 4}},
		{name: "more keys kept", max: 5, have: []int{0, 1, 2}, promote: 3, after: []int{0, 1, 2, 3}},
		{name: "max lowered purges several", max: 3, have: []int{0, 1, 2, 3, 4}, promote: 5, purge: []int{1, 2, 3}, after: []int{0, 4, 5}},
		{name: "only a staged key", max: 3, have: []int{0}, promote: 1, after: []int{0, 1}},
		{name: "no staged key", max: 3, have: []int{1, 2}, err: "no staged key keystone-fernet-0"},
		{name: "no keys", max: 3, err: "no staged key"},
		{name: "two keys only", max: 2, have: []int{0, 1}, err: "rotating needs at least 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := FernetKeys
			repo.MaxActive = tc.max
			rot, err := repo.PlanRotation(tc.have)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rot.Promote != tc.promote || !slices.Equal(rot.Purge, tc.purge) || !slices.Equal(rot.After, tc.after) {
				t.Errorf("got promote %d purge %v after %v, want %d %v %v", rot.Promote, rot.Purge, rot.After, tc.promote, tc.purge, tc.after)
			}
		})
	}
}

// memStore is a SecretStore in memory that records what is done to it.
type memStore struct {
	values map[string]string
	log    []string
	n      int
}

func (m *memStore) Get(name string) (string, error) {
	v, ok := m.values[name]
	if !ok {
		return "", fmt.Errorf("secret %s: %w", name, fs.ErrNotExist)
	}
	return v, nil
}

func (m *memStore) Set(name, value string) error {
	m.log = append(m.log, "set "+name)
	m.values[name] = value
	return nil
}

func (m *memStore) Delete(name string) error {
	m.log = append(m.log, "delete "+name)
	delete(m.values, name)
	return nil
}

func (m *memStore) Generate(specs []secrets.Spec, rotate []string) ([]string, []string, error) {
	for _, sp := range specs {
		if sp.Kind != secrets.FernetKey || !slices.Contains(rotate, sp.Name) {
			return nil, nil, errors.New("unexpected generate " + sp.Name)
		}
		m.n++
		m.values[sp.Name] = "new-key-" + strconv.Itoa(m.n)
		m.log = append(m.log, "generate "+sp.Name)
	}
	return nil, rotate, nil
}

func TestRotateSecrets(t *testing.T) {
	m := &memStore{values: map[string]string{"keystone-fernet-0": "staged", "keystone-fernet-1": "old", "keystone-fernet-2": "primary"}}
	rot, err := FernetKeys.Rotate(m, []int{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"keystone-fernet-0": "new-key-1", "keystone-fernet-2": "primary", "keystone-fernet-3": "staged"}
	if fmt.Sprint(m.values) != fmt.Sprint(want) {
		t.Errorf("after rotation %v, want %v", m.values, want)
	}
	// The staged value is safe under its new name before a new key
	// replaces it, and nothing is purged before both.
	if got := strings.Join(m.log, ", "); got != "set keystone-fernet-3, generate keystone-fernet-0, delete keystone-fernet-1" {
		t.Errorf("steps: %s", got)
	}
	if !slices.Equal(rot.After, []int{0, 2, 3}) {
		t.Errorf("after: %v", rot.After)
	}
	if _, err := CredentialKeys.Rotate(&memStore{values: map[string]string{}}, []int{0, 1}); err == nil || !strings.Contains(err.Error(), "reading the staged key") {
		t.Errorf("rotation without the staged value: %v", err)
	}
}

// TestRotateRealStore rotates the secrets of a repository twice with the
// real store, as `fundament openstack rotate-keys` does.
func TestRotateRealStore(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg"))
	t.Setenv(secrets.IdentityEnv, filepath.Join(home, "id.agekey"))
	repo := t.TempDir()
	st, err := secrets.Open(secrets.Options{RepoDir: repo, CloudName: "rot"})
	if err != nil {
		t.Fatal(err)
	}
	specs := []secrets.Spec{{Name: "keystone-credential-0", Kind: secrets.FernetKey}, {Name: "keystone-credential-1", Kind: secrets.FernetKey}}
	if _, _, err := st.Generate(specs, nil); err != nil {
		t.Fatal(err)
	}
	staged, _ := st.Get("keystone-credential-0")
	for round, want := range [][]int{{0, 1, 2}, {0, 2, 3}} {
		have, err := CredentialKeys.Indices(repo)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := CredentialKeys.Rotate(st, have); err != nil {
			t.Fatal(err)
		}
		got, _ := CredentialKeys.Indices(repo)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: indices %v, want %v", round, got, want)
		}
		if round == 0 {
			if v, _ := st.Get("keystone-credential-2"); v != staged {
				t.Error("the staged key did not become the primary")
			}
			if v, _ := st.Get("keystone-credential-0"); v == staged || len(v) != 44 {
				t.Errorf("the new staged key %d characters, same as before: %t", len(v), v == staged)
			}
		}
	}
}

func TestIndices(t *testing.T) {
	repo := t.TempDir()
	dir := filepath.Join(repo, secrets.DirName)
	if got, err := FernetKeys.Indices(repo); err != nil || len(got) != 0 {
		t.Fatalf("without a secrets directory: %v %v", got, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "keystone-fernet-7.age"), 0o755); err != nil { // a directory: no key
		t.Fatal(err)
	}
	for _, n := range []string{"keystone-fernet-0.age", "keystone-fernet-10.age", "keystone-fernet-2.age",
		"keystone-fernet-01.age", "keystone-fernet-x.age", "keystone-fernet-.age", "keystone-fernet-3.txt",
		"keystone-credential-1.age", "keystone-fernet-0.age.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := FernetKeys.Indices(repo)
	if err != nil || !slices.Equal(got, []int{0, 2, 10}) {
		t.Errorf("fernet indices %v %v, want [0 2 10]", got, err)
	}
	if got, _ := CredentialKeys.Indices(repo); !slices.Equal(got, []int{1}) {
		t.Errorf("credential indices %v", got)
	}
	if r, ok := LookupKeyRepo("credential"); !ok || r.Dir != "/etc/keystone/credential-keys" {
		t.Errorf("LookupKeyRepo: %+v %t", r, ok)
	}
	if _, ok := LookupKeyRepo("tokens"); ok {
		t.Error("LookupKeyRepo knows tokens")
	}
}
