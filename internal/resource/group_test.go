package resource

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// TestGroupSameAsAlone observes odd paths and packages in a batch, where
// groups observe them, and checks that each resource's section is exactly
// what its own fragment prints.
func TestGroupSameAsAlone(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	write := func(name, content string, mode os.FileMode) {
		if err := os.WriteFile(p(name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p(name), mode) // umask
	}
	write("plain", "hello\n", 0o644)
	write("empty", "", 0o600)
	write("setuid", "x", 0o4755)
	write(`back\slash`, "b", 0o644)
	write(`two\\back\nslashes`, "b2", 0o644)
	write("it's a \"file\" $HOME *", "q", 0o640)
	write("-dash", "d", 0o644)
	write("cr\rname", "cr", 0o644)
	write("bytes\xff\xfe", "nonutf8", 0o644)
	write("percent %n %U", "pc", 0o644)
	write("arrow -> x", "ar", 0o644)
	write("unreadable", "secret", 0)
	os.Mkdir(p("dir"), 0o755)
	os.Mkdir(p("sticky"), 0o1777)
	os.Chmod(p("sticky"), 0o1777)
	os.Symlink("plain", p("link"))
	os.Symlink("/nonexistent/target", p("dangling"))
	os.Symlink("line\nbreak\ttab", p("oddlink"))
	os.Symlink("dir", p("dirlink"))
	if err := syscall.Mkfifo(p("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if l, err := net.Listen("unix", p("socket")); err == nil {
		defer l.Close()
	}
	if os.Geteuid() == 0 {
		write("nameless-owner", "n", 0o644)
		os.Chown(p("nameless-owner"), 54321, 54321)
	}

	var rs []Resource
	for _, name := range []string{"plain", "empty", "setuid", `back\slash`, `two\\back\nslashes`, "it's a \"file\" $HOME *",
		"-dash", "cr\rname", "bytes\xff\xfe", "percent %n %U", "arrow -> x", "unreadable", "nameless-owner",
		"dir", "sticky", "link", "dangling", "oddlink", "dirlink", "fifo", "socket", "missing", "plain/under-a-file", "missing/sub"} {
		rs = append(rs,
			File{Path: p(name), Content: []byte("x")},
			File{Path: p(name), Absent: true},
			Directory{Path: p(name)},
			Symlink{Path: p(name), Target: "x"})
	}
	rs = append(rs,
		File{Path: "/dev/null", Content: []byte("")},
		File{Path: "/", Content: []byte("")},
		AptSource{Name: "fundament-test-none", URI: "http://x", Suite: "s"},
		Package{Name: "dpkg"}, Package{Name: "coreutils"}, Package{Name: "fundament-no-such-package"},
		Package{Name: "dpkg"}, Package{Name: "bash"}, Package{Name: "dpkg:amd64"},
		rawResource{"between", "echo between=1"},
		File{Path: p("plain"), Content: []byte("x")},
	)
	b := ObserveBatch(rs)
	checkSyntax(t, "batch", b.Script)
	if n := len(b.units); n != 4 {
		t.Errorf("%d units, want 4 (paths, packages, dpkg:amd64 alone, raw)", n)
	}
	h := newHost(t)
	res := h.run(b.Script, nil)
	secs, err := b.Split(string(res.Stdout))
	if err != nil {
		t.Fatalf("%v (stderr %s)", err, res.Stderr)
	}
	for i, r := range rs {
		alone := h.run(r.Observe(), nil)
		want := Section{Stdout: string(alone.Stdout), ExitCode: alone.ExitCode}
		if secs[i] != want {
			t.Errorf("%d %s: in the batch %q (exit %d), alone %q (exit %d)", i, r.ID(), secs[i].Stdout, secs[i].ExitCode, want.Stdout, want.ExitCode)
		}
	}
}

// TestGroupCommandsFail: when stat, sha256sum or dpkg-query cannot run at
// all, the observation fails instead of reporting the paths or packages
// absent.
func TestGroupCommandsFail(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range []string{"stat", "sha256sum", "dpkg-query", "readlink", "tr"} {
		os.WriteFile(filepath.Join(bin, tool), []byte("#!/bin/sh\nexit 2\n"), 0o755)
	}
	file := File{Path: filepath.Join(t.TempDir(), "f"), Content: []byte("x")}
	os.WriteFile(file.Path, []byte("x"), 0o644)
	rs := []Resource{file, Directory{Path: "/"}, Package{Name: "dpkg"}}
	h := newHost(t, "PATH="+bin+":"+os.Getenv("PATH"))
	b := ObserveBatch(rs)
	secs, err := b.Split(string(h.run(b.Script, nil).Stdout))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if _, err := r.Parse(secs[i].Stdout, secs[i].ExitCode); err == nil || !strings.Contains(err.Error(), "exit status 2") {
			t.Errorf("%s: %v (section %+v)", r.ID(), err, secs[i])
		}
	}
	// Without dpkg at all, as the fragment says: not installed.
	empty := t.TempDir()
	for _, tool := range []string{"printf"} {
		if p, err := exec.LookPath(tool); err == nil {
			os.Symlink(p, filepath.Join(empty, tool))
		}
	}
	h = newHost(t, "PATH="+empty)
	b = ObserveBatch([]Resource{Package{Name: "dpkg"}})
	secs, err = b.Split(string(h.run(b.Script, nil).Stdout))
	if err != nil || secs[0] != (Section{Stdout: "present=false\n"}) {
		t.Fatalf("%+v %v", secs, err)
	}
}

// TestGroupKilled: a group whose call ends by a signal fails each member.
func TestGroupKilled(t *testing.T) {
	rs := []Resource{Package{Name: "dpkg"}, Package{Name: "bash"}}
	b := ObserveBatch(rs)
	out := strings.Replace(string(newHost(t).run(b.Script, nil).Stdout), " end 0 0\n", " end 0 137\n", 1)
	secs, err := b.Split(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if _, err := r.Parse(secs[i].Stdout, secs[i].ExitCode); err == nil {
			t.Errorf("%s: no error from %+v", r.ID(), secs[i])
		}
	}
}

// TestServiceGroupSameAsAlone: services in a batch, observed together
// with a fake systemctl, as each alone; without systemd, too.
func TestServiceGroupSameAsAlone(t *testing.T) {
	bin, state := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(bin, "systemctl"), []byte(fakeSystemctl), 0o755)
	files := map[string]string{
		"on.service.enabled": "enabled\n", "on.service.active": "",
		"static.service.enabled": "static\n",
		"sshd.service.enabled":   "enabled\n", "sshd.service.id": "ssh.service",
		"masked@x.service.enabled": "masked\n", "masked@x.service.active": "",
		"gone.service.missing": "",
	}
	for name, content := range files {
		os.WriteFile(filepath.Join(state, name), []byte(content), 0o644)
	}
	h := newHost(t, "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_SYSTEMD="+state)
	var rs []Resource
	for _, u := range []string{"on.service", "static.service", "sshd.service", "masked@x.service", "off.service", "on.service", `a\x2d.mount`, "gone.service", "noext"} {
		rs = append(rs, Service{Unit: u, Enabled: true, Running: true})
	}
	// What each unit's observation says, booted: enabled, running.
	want := []string{"true true", "true false", "true false", "false true", "false false", "true true", "false false", "false false", "false false"}
	check := func(booted bool) {
		b := ObserveBatch(rs)
		if len(b.units) != 1 {
			t.Fatalf("%d units", len(b.units))
		}
		secs, err := b.Split(string(h.run(b.Script, nil).Stdout))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rs {
			alone := h.run(r.Observe(), nil)
			if want := (Section{Stdout: string(alone.Stdout), ExitCode: alone.ExitCode}); secs[i] != want {
				t.Errorf("%s: in the batch %+v, alone %+v", r.ID(), secs[i], want)
			}
			st, err := r.Parse(secs[i].Stdout, secs[i].ExitCode)
			if err != nil {
				t.Fatalf("%s: %v", r.ID(), err)
			}
			if got := st["enabled"] + " " + st["running"]; booted && got != want[i] {
				t.Errorf("%s: enabled, running = %s, want %s", r.ID(), got, want[i])
			} else if !booted && st["systemd"] != "false" {
				t.Errorf("%s: %v without systemd", r.ID(), st)
			}
		}
	}
	check(true)
	os.WriteFile(filepath.Join(state, "system"), []byte("offline\n"), 0o644)
	check(false)
	// Blocks are matched by position: one missing fails every unit.
	one := "Id=a.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n"
	if got := splitServices([]groupArg{{Name: "a"}, {Name: "b"}}, one); got[0].ExitCode == 0 || got[1].ExitCode == 0 {
		t.Fatalf("two units, one block: %+v", got)
	}
	if got := splitServices([]groupArg{{Name: "a"}, {Name: "b"}}, one+"\n"+one); got[1] != (Section{Stdout: one}) {
		t.Fatalf("two units, two blocks: %+v", got)
	}
}

// TestGroupSplitBySize: a group whose arguments would make too long a
// command line is observed in several calls.
func TestGroupSplitBySize(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("d", 250)
	var rs []Resource
	for i := 0; len(rs) < 2*(5*maxGroupArgs/2/(len(dir)+260)); i++ { // 2.5 calls
		p := filepath.Join(dir, fmt.Sprintf("%s%05d", long, i))
		if i%100 == 0 {
			os.WriteFile(p, []byte("x"), 0o644)
		}
		rs = append(rs, File{Path: p, Content: []byte("x")}, Package{Name: "dpkg"})
	}
	b := ObserveBatch(rs)
	if len(b.units) != 4 {
		t.Fatalf("%d units, want 3 of paths and 1 of packages", len(b.units))
	}
	secs, err := b.Split(string(newHost(t).run(b.Script, nil).Stdout))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		st, err := r.Parse(secs[i].Stdout, secs[i].ExitCode)
		if err != nil {
			t.Fatal(err)
		}
		if f, ok := r.(File); ok && (st["present"] == "true") != (i/2%100 == 0) {
			t.Fatalf("%s: %v", f.Path, st)
		}
	}
}

func TestGroupOf(t *testing.T) {
	tests := []struct {
		r    Resource
		arg  groupArg
		want bool
	}{
		{File{Path: "/etc/x", Content: []byte("x")}, groupArg{"/etc/x", true}, true},
		{File{Path: "/etc/x", Absent: true}, groupArg{"/etc/x", false}, true},
		{File{Path: "/etc/x\ny"}, groupArg{}, false},
		{File{Path: "/etc/x\ty"}, groupArg{}, false},
		{File{Path: "relative"}, groupArg{}, false},
		{Directory{Path: "/d"}, groupArg{"/d", false}, true},
		{Symlink{Path: "/l", Target: "x"}, groupArg{"/l", false}, true},
		{AptSource{Name: "a"}, groupArg{"/etc/apt/sources.list.d/a.sources", true}, true},
		{AptSource{Name: "a", Absent: true}, groupArg{"/etc/apt/sources.list.d/a.sources", false}, true},
		{Package{Name: "libc6"}, groupArg{"libc6", false}, true},
		{Package{Name: "libc6:i386"}, groupArg{}, false},
		{Package{Name: "lib*"}, groupArg{}, false},
		{Service{Unit: "x.service"}, groupArg{"x.service", false}, true},
		{Service{Unit: "-x"}, groupArg{}, false},
	}
	for _, tt := range tests {
		_, arg, ok := groupOf(tt.r)
		if ok != tt.want || (ok && arg != tt.arg) {
			t.Errorf("%s: %+v %v, want %+v %v", tt.r.ID(), arg, ok, tt.arg, tt.want)
		}
	}
}

func TestPathsCall(t *testing.T) {
	got := pathsCall([]groupArg{{"/a", false}, {"/b c", true}, {"/it's", true}})
	if want := `_fm_paths 2 '/b c' '/it'\''s' '/a'`; got != want {
		t.Fatalf("%s, want %s", got, want)
	}
}

// TestParsePaths reads single lines of _fm_paths' output: stat records,
// link targets, sha256sum's lines (escaped ones too) and exit statuses;
// damaged lines are left out.
func TestParsePaths(t *testing.T) {
	sum := strings.Repeat("0123456789abcdef", 4)
	stat := func(p string, st pathStat) pathRecords { return pathRecords{stats: map[string]pathStat{p: st}} }
	digest := func(p string) pathRecords { return pathRecords{digests: map[string]string{p: sum}} }
	none := pathRecords{}
	tests := []struct {
		line string
		want pathRecords
	}{
		{"S\t81a4\t644\troot\tadm\t/etc/x", stat("/etc/x", pathStat{0o100644, "644", "root", "adm"})},
		{"S\t41ed\t755\tUNKNOWN\t54321\t/d", stat("/d", pathStat{0o40755, "755", "UNKNOWN", "54321"})},
		{"S\ta1ff\t777\troot\troot\t/l -> x", stat("/l -> x", pathStat{0o120777, "777", "root", "root"})},
		{"S\t81a4\t644\troot\tadm", none},
		{"S\t81a4\t644\troot\tadm\t/x\textra", none},
		{"S\tzz\t644\troot\tadm\t/x", none},
		{"S\t81a4\t\troot\tadm\t/x", none},
		{"S\t81a4\t644\troot\tadm\t", none},
		{"L\t/l\tta\rget\twith tab", pathRecords{targets: map[string]string{"/l": "ta\rget\twith tab"}}},
		{"L\t/l", none},
		{"X\tstat\t1", pathRecords{exit: map[string]string{"stat": "1"}}},
		{sum + "  /etc/x", digest("/etc/x")},
		{sum + " */etc/x", digest("/etc/x")},
		{sum + "  /a  b", digest("/a  b")},
		{`\` + sum + `  /a\\b`, digest(`/a\b`)},
		{`\` + sum + `  /a\nb\rc\\`, digest("/a\nb\rc\\")},
		{sum + `  /a\b`, digest(`/a\b`)}, // not escaped: taken as it is
		{`\` + sum + `  /a\xb`, none},
		{`\` + sum + `  /a\`, none},
		{strings.ToUpper(sum) + "  /x", none},
		{sum[:63] + "  /x", none},
		{sum + " -/x", none},
		{sum + "  ", none},
		{"", none},
	}
	for _, tt := range tests {
		got := parsePaths(tt.line)
		for _, m := range []*map[string]string{&tt.want.targets, &tt.want.digests, &tt.want.exit} {
			if *m == nil {
				*m = map[string]string{}
			}
		}
		if tt.want.stats == nil {
			tt.want.stats = map[string]pathStat{}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestSplitPaths(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	out := "S\t81a4\t644\troot\tadm\t/f\n" +
		"S\t41ed\t755\troot\troot\t/d\n" +
		"S\ta1ff\t777\troot\troot\t/l\n" +
		"S\t11a4\t644\troot\troot\t/fifo\n" +
		"X\tstat\t0\n" +
		"L\t/l\tta\rget\twith tab\n" +
		sum + "  /f\n" +
		"X\tsha256sum\t0\n"
	args := []groupArg{{"/f", true}, {"/f", false}, {"/d", true}, {"/l", true}, {"/fifo", true}, {"/gone", true}}
	want := []Section{
		{Stdout: "present=true\ntype=file\ncontent=sha256:" + sum + "\nmode=644\nowner=root\ngroup=adm\n"},
		{Stdout: "present=true\ntype=file\nmode=644\nowner=root\ngroup=adm\n"},
		{Stdout: "present=true\ntype=directory\nmode=755\nowner=root\ngroup=root\n"},
		{Stdout: "present=true\ntype=symlink\ntarget=ta\rget\twith tab\n"},
		{Stdout: "present=true\ntype=other\nmode=644\nowner=root\ngroup=root\n"},
		{Stdout: "present=false\n"},
	}
	if got := splitPaths(args, out); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{
		strings.Replace(out, "X\tstat\t0\n", "X\tstat\t1\n", 1),
		strings.Replace(out, "X\tstat\t0\n", "X\tstat\t127\n", 1),
		strings.Replace(out, "X\tstat\t0\n", "", 1),
		strings.Replace(out, "X\tsha256sum\t0\n", "X\tsha256sum\t2\n", 1),
	} {
		for _, s := range splitPaths(args, bad) {
			if s.ExitCode == 0 || !strings.Contains(s.Stdout, "failed") {
				t.Fatalf("%q: %+v", bad, s)
			}
		}
	}
}

func TestSplitPackages(t *testing.T) {
	args := []groupArg{{Name: "libc6"}, {Name: "rc-only"}, {Name: "gone"}, {Name: "half"}, {Name: "libc6"}}
	out := "P\tlibc6\tinstall ok installed\t2.36-9\n" +
		"P\tlibc6\tinstall ok installed\t2.36-8\n" + // another architecture: the first counts
		"P\trc-only\tdeinstall ok config-files\t1.0\n" +
		"P\thalf\tinstall reinstreq half-installed\t2\n" +
		"P\tnot-asked\tinstall ok installed\t1\n" +
		"R\t1\n"
	want := []Section{
		{Stdout: "present=true\nversion=2.36-9\n"},
		{Stdout: "present=false\nstatus=deinstall ok config-files\n"},
		{Stdout: "present=false\n"},
		{Stdout: "present=false\nstatus=install reinstreq half-installed\n"},
		{Stdout: "present=true\nversion=2.36-9\n"},
	}
	if got := splitPackages(args, out); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	for _, status := range []string{"0", "1", "127"} {
		if got := splitPackages(args[:1], "R\t"+status+"\n"); got[0] != (Section{Stdout: "present=false\n"}) {
			t.Errorf("status %s: %+v", status, got)
		}
	}
	for _, bad := range []string{"R\t2\n", "R\t\n", "", "P\tlibc6\tinstall ok installed\t1\n"} {
		if got := splitPackages(args[:1], bad); got[0].ExitCode == 0 {
			t.Errorf("%q: %+v", bad, got)
		}
	}
}

func TestRenderPackage(t *testing.T) {
	tests := []struct{ line, want string }{
		{"install ok installed\t1.2", "present=true\nversion=1.2\n"},
		{"hold ok installed\t1:2.0~rc1", "present=true\nversion=1:2.0~rc1\n"},
		{"unknown ok not-installed\t", "present=false\nstatus=unknown ok not-installed\n"},
		{"install ok unpacked\t3", "present=false\nstatus=install ok unpacked\n"},
		{"", "present=false\n"},
	}
	for _, tt := range tests {
		if got := renderPackage(tt.line); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.line, got, tt.want)
		}
	}
}

// FuzzBatchSplit: any output, however damaged, is split or refused
// without a panic, and never gives a resource a section of another
// length than asked.
func FuzzBatchSplit(f *testing.F) {
	rs := []Resource{
		File{Path: "/etc/a", Content: []byte("x")}, Package{Name: "dpkg"}, rawResource{"r", "echo r=1"},
		Directory{Path: "/etc"}, Package{Name: "bash"},
	}
	b := ObserveBatch(rs)
	nonce := b.Script[strings.Index(b.Script, BatchMarker)+len(BatchMarker)+1:][:12]
	m := BatchMarker + " " + nonce
	f.Add(m + " begin 0\nS\t81a4\t644\troot\troot\t/etc/a\nX\tstat\t0\n" + strings.Repeat("a", 64) + "  /etc/a\nX\tsha256sum\t0\n\n" +
		m + " end 0 0\n" + m + " begin 1\nP\tdpkg\tinstall ok installed\t1\nR\t0\n\n" + m + " end 1 0\n" +
		m + " begin 2\nr=1\n\n" + m + " end 2 0\n")
	f.Add(m + " begin 0\n\\" + strings.Repeat("a", 64) + "  /etc/\\\\a\n" + m + " end 0 0\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, out string) {
		secs, err := b.Split(out)
		if err == nil && len(secs) != len(rs) {
			t.Fatalf("%d sections for %d resources", len(secs), len(rs))
		}
		for i, s := range secs {
			rs[i].Parse(s.Stdout, s.ExitCode)
		}
		splitPaths([]groupArg{{"/etc/a", true}}, out)
		splitPackages([]groupArg{{Name: "dpkg"}}, out)
		splitServices([]groupArg{{Name: "a.service"}}, out)
	})
}
