package resource

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestFilePlan(t *testing.T) {
	f := File{Path: "/etc/x.conf", Content: []byte("hello\n")}
	d := Digest([]byte("hello\n"))
	same := State{"present": "true", "type": "file", "content": d, "mode": "0644", "owner": "root", "group": "root"}
	with := func(k, v string) State {
		s := State{}
		for a, b := range same {
			s[a] = b
		}
		s[k] = v
		return s
	}
	tests := []struct {
		name     string
		f        File
		observed State
		op       Op
		fields   []FieldChange
	}{
		{"same", f, same, OpNone, nil},
		{"missing", f, State{"present": "false"}, OpCreate, nil},
		{"content", f, with("content", "sha256:00"), OpUpdate, []FieldChange{{Field: "content", Old: "sha256:00", New: d}}},
		{"mode", f, with("mode", "0600"), OpUpdate, []FieldChange{{Field: "mode", Old: "0600", New: "0644"}}},
		{"owner", f, with("owner", "nobody"), OpUpdate, []FieldChange{{Field: "owner", Old: "nobody", New: "root"}}},
		{"symlink there", f, State{"present": "true", "type": "symlink", "target": "/x"}, OpUpdate, nil},
		{"absent and present", File{Path: "/etc/x.conf", Absent: true}, same, OpDelete, []FieldChange{{Field: "present", Old: "true", New: "false"}}},
		{"absent and gone", File{Path: "/etc/x.conf", Absent: true}, State{"present": "false"}, OpNone, nil},
		{"secret", File{Path: "/etc/x.conf", Content: []byte("hello\n"), Secret: true}, with("content", "sha256:00"), OpUpdate,
			[]FieldChange{{Field: "content", Sensitive: true}}},
		{"mode 3 digits wanted", File{Path: "/etc/x.conf", Content: []byte("hello\n"), Mode: "644"}, same, OpNone, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.f.Plan(tt.observed)
			if c.Op != tt.op {
				t.Fatalf("op %s, want %s (%+v)", c.Op, tt.op, c)
			}
			if tt.fields != nil && !reflect.DeepEqual(c.Fields, tt.fields) {
				t.Fatalf("fields %+v, want %+v", c.Fields, tt.fields)
			}
		})
	}
}

func TestFileParse(t *testing.T) {
	f := File{Path: "/x"}
	s, err := f.Parse("present=true\ntype=file\ncontent=sha256:ab\nmode=644\nowner=root\ngroup=adm\n", 0)
	if err != nil || s["mode"] != "0644" || s["group"] != "adm" || s["content"] != "sha256:ab" {
		t.Fatalf("%v %v", s, err)
	}
	if _, err := f.Parse("mode=644\n", 0); err == nil {
		t.Fatal("output without present must be an error")
	}
	if _, err := f.Parse("present=true\n", 2); err == nil {
		t.Fatal("a failing fragment must be an error")
	}
}

func TestFileDesiredHoldsNoContent(t *testing.T) {
	secret := "hunter2-very-secret"
	f := File{Path: "/etc/secret", Content: []byte(secret), Secret: true, Mode: "0600"}
	for k, v := range f.Desired() {
		if strings.Contains(v, secret) {
			t.Fatalf("desired field %s holds the content", k)
		}
	}
	c := f.Plan(State{"present": "false"})
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), secret) || strings.Contains(string(b), Digest([]byte(secret))) {
		t.Fatalf("the change shows the secret or its digest: %s", b)
	}
	script, stdin := f.Apply(c)
	if strings.Contains(script, secret) {
		t.Fatal("the content must travel on stdin, not in the script")
	}
	if string(stdin) != secret {
		t.Fatalf("stdin %q", stdin)
	}
}

func TestFileScripts(t *testing.T) {
	for _, r := range []Resource{
		File{Path: "/etc/a b/it's.conf", Content: []byte("x")},
		File{Path: "/etc/x", Absent: true},
		Directory{Path: "/var/lib/x y", Mode: "0700", Owner: "nobody"},
		Directory{Path: "/var/lib/x", Absent: true},
		Symlink{Path: "/etc/x", Target: "../it's"},
		Symlink{Path: "/etc/x", Absent: true},
	} {
		checkScripts(t, r)
	}
	script, _ := File{Path: "/etc/a.conf", Content: []byte("x"), Mode: "0600", Owner: "nobody", Group: "nogroup"}.Apply(Change{Op: OpCreate})
	mustContain(t, "file apply", script, "mktemp '/etc'/.fundament.", "chown 'nobody:nogroup'", "chmod 0600", "mv -f --", "sha256sum")
	script, stdin := File{Path: "/etc/a.conf", Content: []byte("x")}.Apply(Change{Op: OpUpdate, Fields: []FieldChange{{Field: "mode"}}})
	if strings.Contains(script, "mv") || stdin != nil {
		t.Fatalf("a mode change rewrites the file:\n%s", script)
	}
}

func TestFileReal(t *testing.T) {
	needRoot(t)
	h := newHost(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "dir", "app.conf")
	f := File{Path: p, Content: []byte("one\n")}

	h.converge(f, OpCreate)
	if b, _ := os.ReadFile(p); string(b) != "one\n" {
		t.Fatalf("content %q", b)
	}
	if st, _ := os.Stat(filepath.Dir(p)); st.Mode().Perm() != 0o755 {
		t.Fatalf("parent mode %v", st.Mode())
	}
	h.converge(f, OpNone)

	// Content without a final newline, then an empty file.
	f.Content = []byte("two")
	c := h.converge(f, OpUpdate)
	if len(c.Fields) != 1 || c.Fields[0].Field != "content" {
		t.Fatalf("fields %+v", c.Fields)
	}
	f.Content = nil
	h.converge(f, OpUpdate)
	if b, err := os.ReadFile(p); err != nil || len(b) != 0 {
		t.Fatalf("%q %v", b, err)
	}

	// Mode and owner in place (same inode).
	f.Content = []byte("three\n")
	h.converge(f, OpUpdate)
	before, _ := os.Stat(p)
	f.Mode, f.Owner, f.Group = "0640", "nobody", "nogroup"
	c = h.converge(f, OpUpdate)
	after, _ := os.Stat(p)
	if !os.SameFile(before, after) {
		t.Error("a mode/owner change replaced the file")
	}
	if after.Mode().Perm() != 0o640 || after.Sys().(*syscall.Stat_t).Uid == 0 {
		t.Fatalf("mode %v, stat %+v", after.Mode(), after.Sys())
	}
	if len(c.Fields) != 3 {
		t.Fatalf("fields %+v", c.Fields)
	}

	// Someone changes the mode by hand: seen and fixed.
	if err := os.Chmod(p, 0o777); err != nil {
		t.Fatal(err)
	}
	c = h.converge(f, OpUpdate)
	if c.Fields[0] != (FieldChange{Field: "mode", Old: "0777", New: "0640"}) {
		t.Fatalf("fields %+v", c.Fields)
	}

	// A setgid mode keeps four digits.
	f.Mode = "2755"
	h.converge(f, OpUpdate)
	if s := h.observe(f); s["mode"] != "2755" {
		t.Fatalf("mode %q", s["mode"])
	}

	// A truncated transfer leaves the file alone.
	script, _ := f.Apply(Change{Op: OpUpdate})
	if res := h.run(script, []byte("thr")); res.ExitCode == 0 || !strings.Contains(string(res.Stderr), "incomplete") {
		t.Fatalf("a short stdin must fail: %d %s", res.ExitCode, res.Stderr)
	}
	if b, _ := os.ReadFile(p); string(b) != "three\n" {
		t.Fatalf("content %q after a failed write", b)
	}
	if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}

	// A symlink at the path is replaced by the file, not followed.
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	lf := File{Path: link, Content: []byte("file\n")}
	if c := lf.Plan(h.observe(lf)); c.Op != OpUpdate {
		t.Fatalf("plan %+v", c)
	}
	h.converge(lf, OpUpdate)
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Fatal("the link's target was written")
	}

	// A directory at the path is an error.
	df := File{Path: dir, Content: []byte("x")}
	if res := h.tryApply(df, df.Plan(h.observe(df))); res.ExitCode == 0 {
		t.Fatal("writing a file over a directory must fail")
	}

	// Delete, twice.
	gone := File{Path: p, Absent: true}
	h.converge(gone, OpDelete)
	h.apply(gone, Change{Op: OpDelete})
	h.converge(gone, OpNone)
}

func TestFileSecretReal(t *testing.T) {
	needRoot(t)
	h := newHost(t)
	p := filepath.Join(t.TempDir(), "secret")
	secret := "s3cr3t-password"
	f := File{Path: p, Content: []byte(secret), Mode: "0600", Secret: true}
	c := h.converge(f, OpCreate)
	f.Content = []byte(secret + "-2")
	c2 := f.Plan(h.observe(f))
	for _, ch := range []Change{c, c2} {
		b, _ := json.Marshal(ch)
		if strings.Contains(string(b), secret) || strings.Contains(string(b), "sha256:") {
			t.Fatalf("the change shows the content or its digest: %s", b)
		}
	}
	if len(c2.Fields) != 1 || !c2.Fields[0].Sensitive {
		t.Fatalf("fields %+v", c2.Fields)
	}
}

func TestDirectoryReal(t *testing.T) {
	needRoot(t)
	h := newHost(t)
	base := t.TempDir()
	p := filepath.Join(base, "a", "b")
	d := Directory{Path: p, Mode: "0750", Owner: "nobody", Group: "nogroup"}
	h.converge(d, OpCreate)
	st, _ := os.Stat(p)
	if !st.IsDir() || st.Mode().Perm() != 0o750 {
		t.Fatalf("%v", st.Mode())
	}
	if pst, _ := os.Stat(filepath.Dir(p)); pst.Mode().Perm() != 0o755 {
		t.Fatalf("parent %v", pst.Mode())
	}
	h.converge(d, OpNone)
	d.Mode = "0700"
	c := h.converge(d, OpUpdate)
	if len(c.Fields) != 1 || c.Fields[0].Field != "mode" {
		t.Fatalf("%+v", c)
	}
	// A file where the directory should be is an error, not replaced.
	fp := filepath.Join(base, "file")
	os.WriteFile(fp, []byte("x"), 0o644)
	fd := Directory{Path: fp}
	c = fd.Plan(h.observe(fd))
	if c.Op != OpUpdate {
		t.Fatalf("%+v", c)
	}
	if res := h.tryApply(fd, c); res.ExitCode == 0 {
		t.Fatal("a directory over a file must fail")
	}
	// Absent removes the tree.
	os.WriteFile(filepath.Join(p, "inside"), []byte("x"), 0o644)
	h.converge(Directory{Path: p, Absent: true}, OpDelete)
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal(err)
	}
	h.converge(Directory{Path: p, Absent: true}, OpNone)
}

func TestSymlinkReal(t *testing.T) {
	needRoot(t)
	h := newHost(t)
	base := t.TempDir()
	p := filepath.Join(base, "etc", "current")
	l := Symlink{Path: p, Target: "../releases/1"}
	h.converge(l, OpCreate)
	if got, _ := os.Readlink(p); got != "../releases/1" {
		t.Fatal(got)
	}
	h.converge(l, OpNone)
	l.Target = "/opt/it's 2"
	c := h.converge(l, OpUpdate)
	if c.Fields[0] != (FieldChange{Field: "target", Old: "../releases/1", New: "/opt/it's 2"}) {
		t.Fatalf("%+v", c.Fields)
	}
	// A link to a directory is replaced, not followed into.
	os.Mkdir(filepath.Join(base, "d"), 0o755)
	l.Target = filepath.Join(base, "d")
	h.converge(l, OpUpdate)
	l.Target = "/elsewhere"
	h.converge(l, OpUpdate)
	if ents, _ := os.ReadDir(filepath.Join(base, "d")); len(ents) != 0 {
		t.Fatalf("the link went into the directory: %v", ents)
	}
	// A regular file is replaced; a directory is an error.
	fp := filepath.Join(base, "f")
	os.WriteFile(fp, []byte("x"), 0o644)
	h.converge(Symlink{Path: fp, Target: "/x"}, OpUpdate)
	dl := Symlink{Path: filepath.Join(base, "d"), Target: "/x"}
	if res := h.tryApply(dl, dl.Plan(h.observe(dl))); res.ExitCode == 0 {
		t.Fatal("a link over a directory must fail")
	}
	// Absent.
	h.converge(Symlink{Path: p, Absent: true}, OpDelete)
	h.converge(Symlink{Path: p, Absent: true}, OpNone)
	nl := Symlink{Path: filepath.Join(base, "d"), Absent: true}
	if res := h.tryApply(nl, nl.Plan(h.observe(nl))); res.ExitCode == 0 {
		t.Fatal("an absent symlink must not remove a directory")
	}
}
