package resource

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

func TestPackagePlan(t *testing.T) {
	tests := []struct {
		name     string
		p        Package
		observed State
		op       Op
		fields   []FieldChange
	}{
		{"installed any", Package{Name: "chrony"}, State{"present": "true", "version": "4.6-1"}, OpNone, nil},
		{"installed pinned", Package{Name: "chrony", Version: "4.6-1"}, State{"present": "true", "version": "4.6-1"}, OpNone, nil},
		{"other version", Package{Name: "chrony", Version: "4.6-2"}, State{"present": "true", "version": "4.6-1"}, OpUpdate,
			[]FieldChange{{Field: "version", Old: "4.6-1", New: "4.6-2"}}},
		{"missing", Package{Name: "chrony"}, State{"present": "false"}, OpCreate,
			[]FieldChange{{Field: "present", Old: "false", New: "true"}}},
		{"config files only", Package{Name: "chrony"}, State{"present": "false", "status": "deinstall ok config-files"}, OpCreate, nil},
		{"absent, installed", Package{Name: "chrony", Absent: true}, State{"present": "true", "version": "1"}, OpDelete, nil},
		{"absent, gone", Package{Name: "chrony", Absent: true}, State{"present": "false"}, OpNone, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.p.Plan(tt.observed)
			if c.Op != tt.op {
				t.Fatalf("op %s, want %s (%+v)", c.Op, tt.op, c)
			}
			if tt.fields != nil && !reflect.DeepEqual(c.Fields, tt.fields) {
				t.Fatalf("fields %+v, want %+v", c.Fields, tt.fields)
			}
		})
	}
}

func TestPackageScripts(t *testing.T) {
	for _, r := range []Resource{
		Package{Name: "chrony"}, Package{Name: "libc6:amd64", Version: "2:2.41-1+b1"}, Package{Name: "x", Absent: true},
		AptSource{Name: "ceph", URI: "https://download.ceph.com/debian-squid", Suite: "trixie", Components: "main", SignedBy: "/etc/apt/keyrings/ceph.asc"},
		AptSource{Name: "ceph", Absent: true},
	} {
		checkScripts(t, r)
	}
	s := InstallScript([]Package{{Name: "a", Version: "1:1.0-1"}, {Name: "b"}, {Name: "c", Absent: true}})
	checkSyntax(t, "install", s)
	mustContain(t, "install", s,
		"apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold --allow-downgrades 'a=1:1.0-1' 'b' 'c-'",
		"DEBIAN_FRONTEND=noninteractive", "apt-get update")
	if s := InstallScript([]Package{{Name: "b"}}); strings.Contains(s, "downgrade") {
		t.Fatalf("no pinned version, no downgrade:\n%s", s)
	}
	if InstallScript(nil) != ":\n" {
		t.Fatal("nothing to install")
	}
	if err := (Package{Name: "Bad Name"}).Validate(); err == nil {
		t.Fatal("bad name accepted")
	}
	if d := (Package{Name: "ceph-common", Source: "ceph"}).Deps(); len(d) != 1 || d[0] != (ID{KindAptSource, "ceph"}) {
		t.Fatalf("deps %v", d)
	}
}

func TestAptSourceRender(t *testing.T) {
	a := AptSource{Name: "ceph", URI: "https://download.ceph.com/debian-squid", Suite: "trixie", Components: " main  extra ", SignedBy: "/etc/apt/keyrings/ceph.asc"}
	want := "# Written by fundament: changes here are overwritten.\n" +
		"Types: deb\nURIs: https://download.ceph.com/debian-squid\nSuites: trixie\nComponents: main extra\nSigned-By: /etc/apt/keyrings/ceph.asc\n"
	if got := string(a.Render()); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if a.Path() != "/etc/apt/sources.list.d/ceph.sources" {
		t.Fatal(a.Path())
	}
	d := a.Desired()
	if d["content"] != Digest(a.Render()) || d["mode"] != "0644" {
		t.Fatalf("%v", d)
	}
	script, stdin := a.Apply(a.Plan(State{"present": "false"}))
	mustContain(t, "apt source", script, "/etc/apt/sources.list.d/ceph.sources", "apt-get update")
	if string(stdin) != string(a.Render()) {
		t.Fatal("stdin")
	}
	if a.Plan(State{"present": "true", "type": "file", "content": Digest(a.Render()), "mode": "0644", "owner": "root", "group": "root"}).Op != OpNone {
		t.Fatal("same source must plan nothing")
	}
}

func TestPackageReal(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("no dpkg on this machine")
	}
	h := newHost(t)
	// An installed package: present, with dpkg's own version.
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "dpkg").Output()
	if err != nil {
		t.Fatal(err)
	}
	p := Package{Name: "dpkg"}
	s := h.observe(p)
	if s["present"] != "true" || s["version"] != string(out) {
		t.Fatalf("observed %v, want version %s", s, out)
	}
	if c := p.Plan(s); c.Op != OpNone {
		t.Fatalf("%+v", c)
	}
	p.Version = string(out)
	if c := p.Plan(h.observe(p)); c.Op != OpNone {
		t.Fatalf("%+v", c)
	}
	// A package that does not exist.
	missing := Package{Name: "fundament-no-such-package"}
	if c := missing.Plan(h.observe(missing)); c.Op != OpCreate {
		t.Fatalf("%+v", c)
	}
}

func TestPackageInstallReal(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("no apt-get on this machine")
	}
	h := newHost(t)
	p := Package{Name: "hello"}
	if h.observe(p)["present"] == "true" {
		t.Skip("hello is installed already: not touching it")
	}
	c := p.Plan(h.observe(p))
	if c.Op != OpCreate {
		t.Fatalf("%+v", c)
	}
	t.Cleanup(func() {
		exec.Command("sh", "-c", "DEBIAN_FRONTEND=noninteractive apt-get remove -y hello").Run()
	})
	if res := h.tryApply(p, c); res.ExitCode != 0 {
		t.Skipf("apt-get cannot install hello here (offline?): %s", res.Stderr)
	}
	s := h.observe(p)
	if s["present"] != "true" || s["version"] == "" {
		t.Fatalf("%v", s)
	}
	h.converge(p, OpNone)
	h.converge(Package{Name: "hello", Version: s["version"]}, OpNone)
	// Installing again is harmless.
	h.apply(p, c)
	h.converge(Package{Name: "hello", Absent: true}, OpDelete)
}
