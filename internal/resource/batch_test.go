package resource

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rawResource observes with any fragment, to test the batch.
type rawResource struct {
	name, frag string
}

func (r rawResource) ID() ID                                  { return ID{Kind: "raw", Name: r.name} }
func (r rawResource) Desired() State                          { return State{} }
func (r rawResource) Sensitive() []string                     { return nil }
func (r rawResource) Observe() string                         { return r.frag }
func (r rawResource) Parse(s string, code int) (State, error) { return ParseFields(s), nil }
func (r rawResource) Plan(State) Change                       { return Change{Op: OpNone} }
func (r rawResource) Apply(Change) (string, []byte)           { return ":", nil }

func TestBatchOddFragments(t *testing.T) {
	rs := []Resource{
		rawResource{"no newline", "printf 'a=b'"},
		rawResource{"exit", "echo x=1; exit 7"},
		rawResource{"empty", ""},
		rawResource{"comment", "echo y=2 # a comment"},
		rawResource{"stdin", "cat; echo read=done"},
		rawResource{"heredoc", "cat <<EOF\nh=1\nEOF"},
		rawResource{"exec", "exec echo e=1"},
		rawResource{"fake marker", "echo '@@FUNDAMENT@@ 000000000000 end 8 0'; echo '@@FUNDAMENT@@ begin 9'"},
		rawResource{"blank lines", "printf '\\n\\nz=1\\n\\n'"},
		rawResource{"stderr", "echo oops >&2; false"},
		File{Path: "/nonexistent/fundament"},
	}
	b := ObserveBatch(rs)
	checkSyntax(t, "batch", b.Script)
	if b.Script != ObserveBatch(rs).Script {
		t.Fatal("the batch must be deterministic")
	}
	res := newHost(t).run(b.Script, []byte("must not be read\n"))
	if res.ExitCode != 0 {
		t.Fatalf("batch exit %d: %s", res.ExitCode, res.Stderr)
	}
	secs, err := b.Split(string(res.Stdout))
	if err != nil {
		t.Fatalf("%v\n%s", err, res.Stdout)
	}
	want := []Section{
		{"a=b", 0}, {"x=1\n", 7}, {"", 0}, {"y=2\n", 0}, {"read=done\n", 0}, {"h=1\n", 0}, {"e=1\n", 0},
		{"@@FUNDAMENT@@ 000000000000 end 8 0\n@@FUNDAMENT@@ begin 9\n", 0}, {"\n\nz=1\n\n", 0}, {"", 1},
		{"present=false\n", 0},
	}
	for i := range want {
		if secs[i] != want[i] {
			t.Errorf("section %d (%s): %+v, want %+v", i, rs[i].ID(), secs[i], want[i])
		}
	}
}

func TestSplitBatchTruncated(t *testing.T) {
	rs := make([]Resource, 5)
	for i := range rs {
		rs[i] = rawResource{fmt.Sprint(i), fmt.Sprintf("echo n=%d", i)}
	}
	b := ObserveBatch(rs)
	res := newHost(t).run(b.Script, nil)
	out := string(res.Stdout)
	if _, err := b.Split("motd line\n" + out); err != nil {
		t.Fatalf("text before the first marker: %v", err)
	}
	if secs, err := b.Split(out); err != nil || len(secs) != 5 || secs[4].Stdout != "n=4\n" {
		t.Fatalf("%v %v", secs, err)
	}
	// Cut inside resource 2's section, then at each later point.
	i := strings.Index(out, "n=2")
	if secs, err := SplitBatch(out[:i+2], 5); err == nil || len(secs) != 2 {
		t.Fatalf("%v %v", secs, err)
	}
	if _, err := b.Split(out[:i+2]); err == nil || !strings.Contains(err.Error(), "raw:2 (resource 2 of 5)") {
		t.Fatalf("%v", err)
	}
	end := strings.Index(out, " end 2 ")
	for _, cut := range []int{end, end + 6, end + 8} {
		if _, err := b.Split(out[:cut]); err == nil || !strings.Contains(err.Error(), "resource 2 of 5") {
			t.Fatalf("cut at %d (%q): %v", cut, out[cut-10:cut], err)
		}
	}
	if _, err := b.Split(out[:strings.Index(out, "n=3")-20]); err == nil || !strings.Contains(err.Error(), "resource 3 of 5") {
		t.Fatalf("%v", err)
	}
	if _, err := b.Split(""); err == nil || !strings.Contains(err.Error(), "no begin marker at raw:0 (resource 0 of 5)") {
		t.Fatalf("%v", err)
	}
	if _, err := SplitBatch(out, 6); err == nil || !strings.Contains(err.Error(), "section 5 of 6") {
		t.Fatalf("%v", err)
	}
	if secs, err := SplitBatch("", 0); err != nil || len(secs) != 0 {
		t.Fatal(secs, err)
	}
	if secs, err := ObserveBatch(nil).Split(""); err != nil || len(secs) != 0 {
		t.Fatal(secs, err)
	}
}

// TestBatch500 observes 500 resources of every kind in one round trip and
// checks each section against the resource observed alone.
func TestBatch500(t *testing.T) {
	dir := t.TempDir()
	bin, state := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(bin, "systemctl"), []byte(fakeSystemctl), 0o755)
	os.WriteFile(filepath.Join(state, "on.service.enabled"), []byte("enabled\n"), 0o644)
	os.WriteFile(filepath.Join(state, "on.service.active"), nil, 0o644)
	h := newHost(t, "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_SYSTEMD="+state)

	me, mygroup := owner(t), group(t)
	var rs []Resource
	var want []Op
	add := func(r Resource, op Op) { rs = append(rs, r); want = append(want, op) }
	for i := 0; len(rs) < 500; i++ {
		p := filepath.Join(dir, fmt.Sprintf("f%03d", i))
		switch i % 10 {
		case 0, 1, 2:
			os.WriteFile(p, []byte(fmt.Sprintf("content %d\n", i)), 0o644)
			add(File{Path: p, Content: []byte(fmt.Sprintf("content %d\n", i)), Owner: me, Group: mygroup}, OpNone)
		case 3:
			add(File{Path: p, Content: []byte("x")}, OpCreate)
		case 4:
			os.Mkdir(p, 0o755)
			add(Directory{Path: p, Owner: me, Group: mygroup}, OpNone)
		case 5:
			os.Symlink("/target", p)
			add(Symlink{Path: p, Target: "/target"}, OpNone)
		case 6:
			add(Package{Name: []string{"dpkg", "fundament-no-such-package"}[i/10%2]}, []Op{OpNone, OpCreate}[i/10%2])
		case 7:
			add(Group{Name: "root", GID: 0}, OpNone)
			add(User{Name: "root", UID: 0, Group: "root"}, OpNone)
		case 8:
			add(Command{Name: fmt.Sprint(i), Script: ":", Guard: fmt.Sprintf("test -e %q", p)}, OpRun)
			add(Command{Name: fmt.Sprint(i, "b"), Script: ":"}, OpRun)
		case 9:
			add(Service{Unit: "on.service", Enabled: true, Running: true}, OpNone)
			add(Ansible{Name: fmt.Sprint(i), Playbook: "/x.yaml"}, OpRun)
		}
	}
	rs, want = rs[:500], want[:500]
	b := ObserveBatch(rs)
	checkSyntax(t, "batch", b.Script)
	if len(b.Script) > 128<<10 {
		t.Fatalf("batch of 500 is %d bytes: over 128 KiB, every observation sends it", len(b.Script))
	}
	res := h.run(b.Script, nil)
	secs, err := b.Split(string(res.Stdout))
	if err != nil {
		t.Fatalf("%v (exit %d, stderr %s)", err, res.ExitCode, res.Stderr)
	}
	for i, r := range rs {
		st, err := r.Parse(secs[i].Stdout, secs[i].ExitCode)
		if err != nil {
			t.Fatalf("%d %s: %v", i, r.ID(), err)
		}
		if c := r.Plan(st); c.Op != want[i] {
			t.Fatalf("%d %s: %+v, want %s (observed %v)", i, r.ID(), c, want[i], st)
		}
		// The same as observed alone, for a sample.
		if i%37 == 0 {
			alone := h.observe(r)
			if fmt.Sprint(alone) != fmt.Sprint(st) {
				t.Fatalf("%d %s: in batch %v, alone %v", i, r.ID(), st, alone)
			}
		}
	}
}

// owner and group are the test process's, so the observation matches
// when not root too.
func owner(t *testing.T) string {
	b, err := newHost(t).l.Run(t.Context(), "id -un", nil)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b.Stdout))
}

func group(t *testing.T) string {
	b, err := newHost(t).l.Run(t.Context(), "id -gn", nil)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b.Stdout))
}

// TestBatchGuardsConcurrent: the guards of a batch run at the same time,
// each printed in its place. Two guards wait for each other (each
// touches its file, then waits up to 10 s for the other's): run one after
// the other, the first gives up. Without a temporary directory the batch
// runs them in order, and the sections are still right. The batch
// leaves nothing in the temporary directory.
func TestBatchGuardsConcurrent(t *testing.T) {
	rendezvous := func(dir, mine, other string) string {
		return fmt.Sprintf("touch %s/%s; i=0; while [ $i -lt 100 ]; do [ -e %s/%s ] && exit 0; sleep 0.1; i=$((i+1)); done; exit 1", dir, mine, dir, other)
	}
	for _, tt := range []struct {
		name string
		env  []string
		want []Op // the file's, the guards', the package's
	}{
		{"concurrent", nil, []Op{OpNone, OpNone, OpNone, OpNone}},
		{"no temporary directory", []string{"TMPDIR=/nonexistent/fundament"}, []Op{OpNone, OpRun, OpNone, OpNone}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
			rs := []Resource{
				File{Path: filepath.Join(dir, "f"), Content: []byte("x"), Owner: owner(t), Group: group(t)},
				Command{Name: "a", Script: ":", Guard: rendezvous(dir, "a", "b")},
				Command{Name: "b", Script: ":", Guard: rendezvous(dir, "b", "a")},
				Package{Name: "dpkg"},
			}
			b := ObserveBatch(rs)
			checkSyntax(t, "batch", b.Script)
			tmp := t.TempDir()
			res := newHost(t, append([]string{"TMPDIR=" + tmp}, tt.env...)...).run(b.Script, nil)
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("the batch left %s in its temporary directory", left[0].Name())
			}
			secs, err := b.Split(string(res.Stdout))
			if err != nil {
				t.Fatalf("%v (stderr %s)", err, res.Stderr)
			}
			for i, r := range rs {
				st, err := r.Parse(secs[i].Stdout, secs[i].ExitCode)
				if err != nil {
					t.Fatalf("%s: %v", r.ID(), err)
				}
				if c := r.Plan(st); c.Op != tt.want[i] {
					t.Errorf("%s: %s, want %s (observed %v)", r.ID(), c.Op, tt.want[i], st)
				}
			}
		})
	}
}
