package model

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeIdentity is shaped like an age identity file: YAML reads it as one
// string, which an error would quote.
const (
	fakeSecret   = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"
	fakeIdentity = "# created: 2025-01-01T00:00:00Z\n# public key: age1qqqq\n" + fakeSecret + "\n"
)

// A pull request can link a repository file to anything on the machine
// that validates it (CI): Load reads inside the repository only, and
// quotes nothing of what lies outside.
func TestLoadStaysInRepository(t *testing.T) {
	outside := t.TempDir()
	key := filepath.Join(outside, "lab.agekey")
	if err := os.WriteFile(key, []byte(fakeIdentity), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "hosts.yaml"), []byte("hosts:\n  - {name: out, roles: [compute]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Shaped so that, were it read, an error would quote its value (a
	// string where a list belongs): only refusing to read it keeps the
	// key out of the output.
	shaped := filepath.Join(outside, "shaped.yaml")
	if err := os.WriteFile(shaped, []byte("hosts: "+fakeSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := writeRepo(t, map[string]string{
		"shared/b.yaml":        "hosts:\n  - {name: b, roles: [compute]}\n",
		"shared/c.yaml":        "hosts:\n  - {name: c, roles: [compute]}\n",
		"services/inside.yaml": "ceph: {enabled: false}\n",
	})
	inv := filepath.Join(dir, "inventory")
	symlink(t, key, filepath.Join(inv, "key.yaml"))                                      // absolute, outside
	symlink(t, filepath.Join(outside, "hosts.yaml"), filepath.Join(inv, "outside.yaml")) // a valid file, outside
	rel, err := filepath.Rel(inv, key)
	if err != nil {
		t.Fatal(err)
	}
	symlink(t, rel, filepath.Join(inv, "relkey.yaml"))                                         // relative, outside
	symlink(t, "../shared/b.yaml", filepath.Join(inv, "b.yaml"))                               // relative, inside: read
	symlink(t, filepath.Join(dir, "shared/c.yaml"), filepath.Join(inv, "c.yaml"))              // absolute, inside: refused
	symlink(t, "../../"+filepath.Base(dir)+"/shared/c.yaml", filepath.Join(inv, "round.yaml")) // out and back: refused
	symlink(t, outside, filepath.Join(dir, "services", "more"))                                // a directory outside
	symlink(t, key, filepath.Join(dir, "services", "key.yml"))
	symlink(t, shaped, filepath.Join(inv, "shaped.yaml"))

	c, d := Load(dir)
	var got []string
	for _, x := range d.Items() {
		got = append(got, x.String())
	}
	const leaves = "error: cannot read: it leads out of the repository (an absolute symbolic link, or one to a file outside); only files inside the repository are read [load.read-error]"
	checkDiags(t, got, []string{
		"inventory/c.yaml: " + leaves,
		"inventory/key.yaml: " + leaves,
		"inventory/outside.yaml: " + leaves,
		"inventory/relkey.yaml: " + leaves,
		"inventory/round.yaml: " + leaves,
		"inventory/shaped.yaml: " + leaves,
		"services/key.yml: " + leaves,
		"services/more: warning: ignored: only *.yaml and *.yml files are read in services/ [load.ignored-file]",
	})
	if strings.Contains(strings.Join(got, "\n"), "AGE-SECRET") {
		t.Error("a diagnostic quotes the file outside the repository")
	}
	var hosts []string
	for _, h := range c.Hosts {
		hosts = append(hosts, h.Name)
	}
	if strings.Join(hosts, ",") != "a,b" {
		t.Errorf("hosts %v, want a (a.yaml) and b (the link inside the repository)", hosts)
	}

	// ReadRepoFile, for the files the model names, refuses the same links.
	if data, err := ReadRepoFile(dir, "shared/b.yaml"); err != nil || !strings.Contains(string(data), "name: b") {
		t.Errorf("ReadRepoFile inside: %q, %v", data, err)
	}
	for _, name := range []string{"inventory/key.yaml", "inventory/relkey.yaml", "inventory/c.yaml", "../" + filepath.Base(dir) + "/cloud.yaml"} {
		_, err := ReadRepoFile(dir, name)
		if !errors.Is(err, ErrLeavesRepo) && !strings.Contains(err.Error(), "invalid") {
			t.Errorf("ReadRepoFile(%s) = %v, want it refused", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "AGE-SECRET") {
			t.Errorf("ReadRepoFile(%s) quotes the key: %v", name, err)
		}
	}
	if _, err := ReadRepoFile(dir, "missing.pem"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadRepoFile of a missing file = %v, want fs.ErrNotExist", err)
	}
}

// A file of the repository that is no mapping at all is named by kind;
// nothing of it is quoted.
func TestLoadWholeFileNotQuoted(t *testing.T) {
	dir := writeRepo(t, map[string]string{"inventory/key.yaml": fakeIdentity})
	_, d := Load(dir)
	var got []string
	for _, x := range d.Items() {
		got = append(got, x.String())
	}
	checkDiags(t, got, []string{
		"inventory/key.yaml:3:1: error: the top level: expected a mapping (key: value lines), got a string [schema.type]",
	})
}

func TestLoadMissingRepository(t *testing.T) {
	_, d := Load(filepath.Join(t.TempDir(), "nothing"))
	var got []string
	for _, x := range d.Items() {
		got = append(got, x.String())
	}
	checkDiags(t, got, []string{
		"cloud.yaml: error: missing: every configuration repository has a cloud.yaml (see `fundament init`) [load.missing-file]",
		"network.yaml: error: missing: every configuration repository has a network.yaml (see `fundament init`) [load.missing-file]",
	})
}
