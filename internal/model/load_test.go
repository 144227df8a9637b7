package model

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// Minimal files that load without a diagnostic (LoadFS runs no semantic
// checks).
const (
	okCloud = `name: t
domain: t.example.org
regions: [{name: r, availability_zones: [{name: z}]}]
`
	okNetwork = `networks:
  - {name: mgmt, role: management, prefix: 10.0.0.0/24}
`
	okInventory = `hosts:
  - {name: a, roles: [compute]}
`
)

// repo is a minimal repository with files replaced or added; a nil value
// removes the file.
func repo(files map[string][]byte) fstest.MapFS {
	m := fstest.MapFS{
		CloudFile:          {Data: []byte(okCloud)},
		NetworkFile:        {Data: []byte(okNetwork)},
		"inventory/a.yaml": {Data: []byte(okInventory)},
	}
	for name, data := range files {
		if data == nil {
			delete(m, name)
			continue
		}
		m[name] = &fstest.MapFile{Data: data}
	}
	return m
}

// writeRepo writes a minimal repository and the given files into a
// temporary directory.
func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	base := map[string]string{CloudFile: okCloud, NetworkFile: okNetwork, "inventory/a.yaml": okInventory}
	for name, data := range files {
		base[name] = data
	}
	for name, data := range base {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
}

// loadWithin loads fsys and fails the test when that takes longer than
// limit: a hang must show up as a failure, not a stuck test binary.
func loadWithin(t *testing.T, limit time.Duration, fsys fs.FS) (*Cloud, []string) {
	t.Helper()
	type result struct {
		c     *Cloud
		diags []string
	}
	done := make(chan result, 1)
	go func() {
		c, l := LoadFS(fsys)
		for _, d := range l.Items() {
			if d.File == "" {
				t.Errorf("diagnostic without a file: %s", d)
			}
		}
		done <- result{c, render(l)}
	}()
	select {
	case r := <-done:
		return r.c, r.diags
	case <-time.After(limit):
		t.Fatalf("LoadFS did not return within %s", limit)
		return nil, nil
	}
}

func TestLoadBase(t *testing.T) {
	c, diags := loadWithin(t, 10*time.Second, os.DirFS("../validate/testdata/base"))
	checkDiags(t, diags, nil)
	if len(c.Hosts) != 7 || len(c.Inventory) != 3 || len(c.Network.Switches) != 5 {
		t.Errorf("got %d hosts in %d files and %d switches, want 7 in 3 and 5", len(c.Hosts), len(c.Inventory), len(c.Network.Switches))
	}
	if got := c.Hosts[0].At("roles[0]").String(); got != "inventory/compute.yaml:3:13" {
		t.Errorf("position of roles[0] of the first host = %s", got)
	}
}

func TestLoadBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  []string
	}{
		{"non-YAML file in inventory", map[string][]byte{"inventory/README.md": []byte("# Hosts\n")}, []string{
			`inventory/README.md: warning: ignored: only *.yaml and *.yml files are read in inventory/ [load.ignored-file]`,
		}},
		{"hidden files are skipped silently", map[string][]byte{"inventory/.a.yaml.swp": []byte("\x00"), "inventory/.git/x.yaml": []byte("\x00")}, nil},
		{"binary content", map[string][]byte{"inventory/b.yaml": []byte("hosts:\n  - \x7fELF\x00\x01\x02")}, []string{
			`inventory/b.yaml:2:9: error: not a YAML file: it contains NUL bytes [yaml.syntax]`,
		}},
		{"control character", map[string][]byte{"inventory/b.yaml": []byte("hosts:\n  - name: a\x1b[0m\n")}, []string{
			`inventory/b.yaml:2:12: error: invalid YAML: control character U+001B is not allowed in YAML [yaml.syntax]`,
		}},
		{"not UTF-8", map[string][]byte{CloudFile: []byte(okCloud + "ntp_servers: [caf\xe9.example.org]\n")}, []string{
			`cloud.yaml:4:18: error: invalid YAML: byte 0xe9 is not UTF-8; save the file as UTF-8 [yaml.syntax]`,
		}},
		{"UTF-16", map[string][]byte{CloudFile: []byte("\xff\xfen\x00a\x00m\x00e\x00")}, []string{
			`cloud.yaml:1:1: error: not a YAML file: it is UTF-16 encoded; save it as UTF-8 [yaml.syntax]`,
		}},
		{"UTF-8 byte order mark and CRLF are fine", map[string][]byte{CloudFile: []byte("\ufeff" + strings.ReplaceAll(okCloud, "\n", "\r\n"))}, nil},
		{"empty cloud.yaml", map[string][]byte{CloudFile: {}}, []string{
			`cloud.yaml: error: file is empty [load.empty-file]`,
		}},
		{"cloud.yaml of comments and null", map[string][]byte{CloudFile: []byte("# todo\n~\n")}, []string{
			`cloud.yaml: error: file has no content [load.empty-file]`,
		}},
		{"empty inventory file", map[string][]byte{"inventory/b.yaml": {}, "inventory/c.yml": []byte("# nothing yet\n")}, []string{
			`inventory/b.yaml: warning: file is empty [load.empty-file]`,
			`inventory/c.yml: warning: file is empty [load.empty-file]`,
		}},
		{"missing cloud.yaml and network.yaml", map[string][]byte{CloudFile: nil, NetworkFile: nil}, []string{
			"cloud.yaml: error: missing: every configuration repository has a cloud.yaml (see `fundament init`) [load.missing-file]",
			"network.yaml: error: missing: every configuration repository has a network.yaml (see `fundament init`) [load.missing-file]",
		}},
		{"no inventory at all", map[string][]byte{"inventory/a.yaml": nil}, nil},
		{"inventory is a file", map[string][]byte{"inventory/a.yaml": nil, "inventory": []byte(okInventory)}, []string{
			`inventory: error: is a file; inventory/ must be a directory of *.yaml files [load.read-error]`,
		}},
		{"duplicate keys", map[string][]byte{CloudFile: []byte(okCloud + "name: u\n")}, []string{
			`cloud.yaml:4:1: error: duplicate key "name" (first set at line 1) [yaml.duplicate-key]`,
		}},
		{"tabs for indentation", map[string][]byte{CloudFile: []byte("name: t\ndomain: t.org\nregions:\n\t- name: r\n")}, []string{
			`cloud.yaml:4:1: error: invalid YAML: a tab character in the indentation; YAML is indented with spaces, not tabs [yaml.syntax]`,
		}},
		{"a tab below the line yaml.v3 names", map[string][]byte{"inventory/a.yaml": []byte("hosts:\n  - name: a\n    roles: [compute]\n  \t rack: r1\n")}, []string{
			`inventory/a.yaml:4:3: error: invalid YAML: a tab character in the indentation; YAML is indented with spaces, not tabs [yaml.syntax]`,
		}},
		{"tabs inside values are fine", map[string][]byte{"inventory/a.yaml": []byte("hosts:\n  - name: a\n    roles: [compute]\n    labels: {note: \"a\tb\"}\n")}, nil},
		{"deeply nested flow sequences", map[string][]byte{CloudFile: []byte("name: " + strings.Repeat("[", 100000))}, []string{
			`cloud.yaml: error: invalid YAML: exceeded max depth of 10000 [yaml.syntax]`,
		}},
		{"deeply nested flow mappings", map[string][]byte{NetworkFile: []byte(strings.Repeat("{a: ", 100000))}, []string{
			`network.yaml: error: invalid YAML: exceeded max depth of 10000 [yaml.syntax]`,
		}},
		{"deeply nested block sequences", map[string][]byte{"inventory/a.yaml": []byte("hosts:\n" + strings.Repeat("- ", 100000) + "x\n")}, []string{
			`inventory/a.yaml:2: error: invalid YAML: exceeded max depth of 10000 [yaml.syntax]`,
		}},
		{"multiple documents", map[string][]byte{"inventory/a.yaml": []byte(okInventory + "---\n" + okInventory)}, []string{
			`inventory/a.yaml:3:1: error: a second YAML document (after ---); put one document in each file [load.multiple-documents]`,
		}},
		{"a syntax error in a second document", map[string][]byte{"inventory/a.yaml": []byte(okInventory + "---\nhosts: [\n")}, []string{
			`inventory/a.yaml:4: error: invalid YAML: did not find expected node content [yaml.syntax]`,
		}},
		{"a component configured twice", map[string][]byte{"services/a.yaml": []byte("ceph: {enabled: false}\n"), "services/b.yaml": []byte("ceph: {enabled: true}\n")}, []string{
			`services/b.yaml:1:7: error: ceph is already configured in services/a.yaml; configure each component in one file [load.duplicate-component]`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := loadWithin(t, 10*time.Second, repo(tc.files))
			checkDiags(t, diags, tc.want)
		})
	}
}

// A file larger than MaxFileSize is refused before it is read: a sparse
// file of that size costs no disk and no memory.
func TestLoadTooLarge(t *testing.T) {
	dir := writeRepo(t, nil)
	f, err := os.Create(filepath.Join(dir, "inventory", "huge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Skipf("cannot make a sparse file: %v", err)
	}
	f.Close()
	_, diags := loadWithin(t, 5*time.Second, os.DirFS(dir))
	checkDiags(t, diags, []string{
		`inventory/huge.yaml: error: file is larger than 16 MiB; split it (inventory/ may hold many files) [load.too-large]`,
	})
}

// endless is a file system whose inventory/stream.yaml claims to be small
// but never ends, as files under /proc do.
type endless struct {
	fstest.MapFS
	stream *endlessFile
}

func (e endless) Open(name string) (fs.File, error) {
	if name == "inventory/stream.yaml" {
		return e.stream, nil
	}
	return e.MapFS.Open(name)
}

func (e endless) Stat(name string) (fs.FileInfo, error) {
	if name == "inventory/stream.yaml" {
		return e.stream.Stat()
	}
	return e.MapFS.Stat(name)
}

func (e endless) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := e.MapFS.ReadDir(name)
	if name == "inventory" {
		st, _ := e.stream.Stat()
		entries = append(entries, fs.FileInfoToDirEntry(st))
	}
	return entries, err
}

type endlessFile struct{ read int64 }

func (f *endlessFile) Stat() (fs.FileInfo, error) {
	return fstest.MapFS{"stream.yaml": {}}.Stat("stream.yaml")
}

func (f *endlessFile) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = "# comment\n"[(f.read+int64(i))%10]
	}
	f.read += int64(len(b))
	return len(b), nil
}

func (f *endlessFile) Close() error { return nil }

func TestLoadEndlessStream(t *testing.T) {
	stream := &endlessFile{}
	_, diags := loadWithin(t, 10*time.Second, endless{repo(nil), stream})
	checkDiags(t, diags, []string{
		`inventory/stream.yaml: error: file is larger than 16 MiB; split it (inventory/ may hold many files) [load.too-large]`,
	})
	if stream.read > MaxFileSize+1<<20 {
		t.Errorf("read %d MiB of the stream", stream.read>>20)
	}
}

func TestLoadFileSystemOddities(t *testing.T) {
	dir := writeRepo(t, map[string]string{"inventory/sub/b.yaml": okInventory})
	inv := filepath.Join(dir, "inventory")
	symlink(t, "loop2.yaml", filepath.Join(inv, "loop1.yaml"))
	symlink(t, "loop1.yaml", filepath.Join(inv, "loop2.yaml"))
	symlink(t, "self.yaml", filepath.Join(inv, "self.yaml"))
	symlink(t, "..", filepath.Join(inv, "sub", "up"))       // a directory link to its parent
	symlink(t, ".", filepath.Join(inv, "sub", "here.yaml")) // a directory link named like a file
	symlink(t, "gone.yaml", filepath.Join(inv, "dangling.yaml"))
	symlink(t, "a.yaml", filepath.Join(inv, "alias.yaml")) // a working link is read
	if _, err := os.Stat("/dev/zero"); err == nil {
		symlink(t, "/dev/zero", filepath.Join(inv, "zero.yaml"))
	}
	if mkfifo, err := exec.LookPath("mkfifo"); err == nil {
		// Opening a FIFO blocks until someone writes to it.
		if err := exec.Command(mkfifo, filepath.Join(inv, "fifo.yaml")).Run(); err != nil {
			t.Fatal(err)
		}
	}
	c, diags := loadWithin(t, 10*time.Second, os.DirFS(dir))
	want := []string{
		`inventory/dangling.yaml: error: cannot read: it does not exist (a broken symbolic link?) [load.read-error]`,
		`inventory/fifo.yaml: error: is not a regular file (a device, pipe or socket), expected a YAML file [load.read-error]`,
		`inventory/loop1.yaml: error: cannot read: too many levels of symbolic links (a loop of symbolic links) [load.read-error]`,
		`inventory/loop2.yaml: error: cannot read: too many levels of symbolic links (a loop of symbolic links) [load.read-error]`,
		`inventory/self.yaml: error: cannot read: too many levels of symbolic links (a loop of symbolic links) [load.read-error]`,
		`inventory/sub/here.yaml: error: is a directory, expected a YAML file [load.read-error]`,
		`inventory/sub/up: warning: ignored: a symbolic link to a directory; links to directories are not followed [load.ignored-file]`,
		`inventory/zero.yaml: error: is not a regular file (a device, pipe or socket), expected a YAML file [load.read-error]`,
	}
	want = filterExisting(dir, want)
	checkDiags(t, diags, want)
	if len(c.Inventory) != 3 {
		t.Errorf("read %d inventory files, want 3 (a.yaml, alias.yaml, sub/b.yaml)", len(c.Inventory))
	}
}

// filterExisting drops the expectations about files the platform could not
// create.
func filterExisting(dir string, want []string) []string {
	var out []string
	for _, w := range want {
		file, _, _ := strings.Cut(w, ":")
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(file))); err == nil {
			out = append(out, w)
		}
	}
	return out
}

func TestLoadDirectoryNamedCloudYAML(t *testing.T) {
	dir := writeRepo(t, nil)
	os.Remove(filepath.Join(dir, CloudFile))
	if err := os.Mkdir(filepath.Join(dir, CloudFile), 0o755); err != nil {
		t.Fatal(err)
	}
	_, diags := loadWithin(t, 5*time.Second, os.DirFS(dir))
	checkDiags(t, diags, []string{
		`cloud.yaml: error: is a directory, expected a YAML file [load.read-error]`,
	})
}

// An alias bomb ends in one diagnostic, fast and in little memory, and the
// file contributes nothing (a half-expanded bomb would only bury the
// diagnostic under consequences).
func TestLoadAliasBomb(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("hosts:\n  - &h\n    name: h\n    roles: [compute]\n    interfaces:\n")
	for i := 0; i < 1000; i++ {
		b.WriteString("      - {name: eth0, mtu: 9000}\n")
	}
	for i := 0; i < 2000; i++ {
		b.WriteString("  - *h\n")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	c, diags := loadWithin(t, 2*time.Minute, repo(map[string][]byte{"inventory/bomb.yaml": b.Bytes()}))
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	checkDiags(t, diags, []string{
		`inventory/bomb.yaml:1338:5: error: document too complex: its aliases expand to more than 1000000 values; write the values out instead [yaml.too-complex]`,
	})
	if len(c.Hosts) != 1 || c.Hosts[0].File != "inventory/a.yaml" {
		t.Errorf("the bomb's hosts were kept: %d hosts", len(c.Hosts))
	}
	// Reported, not asserted: CI machines are loaded (loadWithin bounds it).
	t.Logf("the bomb took %s", elapsed)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30 {
		t.Errorf("the bomb allocated %d MiB", alloc>>20)
	}
}

// The classic "billion laughs": nine levels of nine aliases each.
func TestLoadBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString("ceph:\n  osds:\n    per_host:\n      a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	b.WriteString("      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n")
	b.WriteString("      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n")
	b.WriteString("      d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n")
	_, diags := loadWithin(t, 10*time.Second, repo(map[string][]byte{"services/ceph.yaml": []byte(b.String())}))
	// per_host maps hosts to lists of devices: the nesting is a type
	// error, reported once however many aliases repeat it.
	checkDiags(t, diags, []string{
		`services/ceph.yaml:5:14: error: ceph.osds.per_host.b[0]: expected a string, got a list [schema.type]`,
		`services/ceph.yaml:6:14: error: ceph.osds.per_host.c[0]: expected a string, got a list [schema.type]`,
		`services/ceph.yaml:7:11: error: ceph.osds.per_host.d[0]: expected a string, got a list [schema.type]`,
	})
}

// All files share one alias budget: many small bombs do not add up to a
// long load.
func TestLoadAliasBudgetIsShared(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString("defaults:\n  labels: &l {")
	for i := 0; i < 1000; i++ {
		if i > 0 {
			bomb.WriteString(", ")
		}
		bomb.WriteString("k")
		bomb.WriteString(strings.Repeat("x", i%7))
		bomb.WriteString(string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)))
		bomb.WriteString(": v")
	}
	bomb.WriteString("}\nhosts:\n")
	for i := 0; i < 300; i++ {
		bomb.WriteString("  - {name: h, roles: [compute], labels: *l}\n")
	}
	files := map[string][]byte{}
	for i := 0; i < 20; i++ {
		files["inventory/bomb"+string(rune('a'+i))+".yaml"] = []byte(bomb.String())
	}
	// The shared budget is what the count below proves; loadWithin only
	// guards against a hang (a wall-clock bound fails on a loaded machine).
	_, diags := loadWithin(t, 2*time.Minute, repo(files))
	n := 0
	for _, d := range diags {
		if strings.Contains(d, "[yaml.too-complex]") {
			n++
		}
	}
	// 300 hosts x 1001 values is 300,300 per file: the fourth file runs out.
	if n != 17 {
		t.Errorf("%d files too complex, want 17:\n%s", n, strings.Join(diags, "\n"))
	}
}

func TestLoadIsDeterministic(t *testing.T) {
	fsys := repo(map[string][]byte{
		"inventory/b.yaml":    []byte("hosts:\n  - {name: b, roles: [computr]}\n"),
		"inventory/c.yaml":    []byte("hosts: [\n"),
		"inventory/d.yaml":    {},
		"inventory/e.yaml":    []byte(okInventory),
		"services/x.yaml":     []byte("ceph: {enabled: maybe}\n"),
		"inventory/README.md": []byte("hi"),
	})
	_, first := loadWithin(t, 10*time.Second, fsys)
	for i := 0; i < 20; i++ {
		_, again := loadWithin(t, 10*time.Second, fsys)
		if strings.Join(again, "\n") != strings.Join(first, "\n") {
			t.Fatalf("run %d differs:\n%s\n--- first\n%s", i, strings.Join(again, "\n"), strings.Join(first, "\n"))
		}
	}
	if len(first) != 5 {
		t.Errorf("want 5 diagnostics, got:\n%s", strings.Join(first, "\n"))
	}
}
