package release

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// upstream strips the epoch and the Debian revision from a Debian version.
func upstream(v string) string {
	if i := strings.Index(v, ":"); i >= 0 {
		v = v[i+1:]
	}
	if i := strings.LastIndex(v, "-"); i >= 0 {
		v = v[:i]
	}
	return v
}

func TestEveryStreamParses(t *testing.T) {
	if _, err := load(); err != nil {
		t.Fatalf("embedded manifest: %v", err)
	}
	names := Streams()
	if len(names) == 0 {
		t.Fatal("no streams embedded")
	}
	if !slices.IsSorted(names) {
		t.Errorf("Streams() not sorted: %v", names)
	}
	for _, n := range names {
		s, ok := Lookup(n)
		if !ok {
			t.Fatalf("Lookup(%q) failed for a listed stream", n)
		}
		if s.Name != n {
			t.Errorf("stream %q has Name %q", n, s.Name)
		}
	}
	if _, ok := Lookup("1999.9"); ok {
		t.Error("Lookup of an unknown stream succeeded")
	}
}

func TestDefaultExists(t *testing.T) {
	if Default() != "2025.1" {
		t.Errorf("Default() = %q, want 2025.1", Default())
	}
	if !slices.Contains(Streams(), Default()) {
		t.Fatalf("default stream %q not in %v", Default(), Streams())
	}
}

func TestStream2025_1(t *testing.T) {
	s, ok := Lookup("2025.1")
	if !ok {
		t.Fatal("stream 2025.1 missing")
	}
	if s.OpenStack != "2025.1" || s.DebianSuite != "trixie" || s.AptMirror != "http://deb.debian.org/debian" {
		t.Errorf("stream header = %q/%q/%q", s.OpenStack, s.DebianSuite, s.AptMirror)
	}

	// Upstream versions the lab runs; the Debian version's upstream part
	// must start with these.
	want := map[string]string{
		"keystone":                "27.",
		"glance-api":              "30.",
		"nova-api":                "31.",
		"nova-compute":            "31.",
		"neutron-server":          "26.",
		"placement-api":           "13.",
		"cinder-volume":           "26.",
		"ovn-central":             "25.03.",
		"ovn-host":                "25.03.",
		"openvswitch-switch":      "3.5.",
		"ceph-mon":                "18.2.7",
		"ceph-osd":                "18.2.7",
		"ceph-mgr":                "18.2.7",
		"frr":                     "10.3",
		"mariadb-server":          "11.8.",
		"galera-4":                "26.4.",
		"rabbitmq-server":         "4.0.5",
		"memcached":               "1.6.",
		"haproxy":                 "3.0.",
		"keepalived":              "2.3.",
		"python3-openstackclient": "7.4.",
		"ansible-core":            "2.19.",
	}
	for pkg, prefix := range want {
		v, ok := s.PackageVersion(pkg)
		if !ok {
			t.Errorf("package %s not pinned", pkg)
			continue
		}
		if !strings.HasPrefix(upstream(v), prefix) {
			t.Errorf("package %s = %q, want upstream %s*", pkg, v, prefix)
		}
	}

	for _, name := range []string{
		"keystone", "glance", "nova", "neutron", "placement", "cinder",
		"ovn", "openvswitch", "ceph", "frr", "mariadb", "galera", "rabbitmq",
		"memcached", "haproxy", "keepalived", "openstackclient", "ansible", "sonic",
	} {
		if _, ok := s.Components[name]; !ok {
			t.Errorf("component %s missing", name)
		}
	}
	for _, name := range []string{"keystone", "glance", "nova", "neutron", "placement", "cinder"} {
		if c := s.Components[name]; c.Codename != "epoxy" {
			t.Errorf("component %s codename = %q, want epoxy", name, c.Codename)
		}
	}
	if c := s.Components["ceph"]; c.Codename != "reef" || c.Version != "18.2.7" {
		t.Errorf("ceph = %+v, want reef 18.2.7", c)
	}
	if c := s.Components["sonic"]; !strings.HasPrefix(c.Version, "086b03b") || len(c.Packages) != 0 {
		t.Errorf("sonic = %+v, want commit 086b03b and no Debian packages", c)
	}
}

// Every package's upstream version starts with its component's version, so
// a component's version and its packages cannot drift apart.
func TestComponentVersionsMatchPackages(t *testing.T) {
	for _, n := range Streams() {
		s, _ := Lookup(n)
		for name, c := range s.Components {
			for pkg, v := range c.Packages {
				if !strings.HasPrefix(upstream(v), c.Version) {
					t.Errorf("%s: component %s version %q but %s = %q", n, name, c.Version, pkg, v)
				}
			}
		}
	}
}

func TestNoDuplicatePackages(t *testing.T) {
	for _, n := range Streams() {
		s, _ := Lookup(n)
		seen := map[string]string{}
		for name, c := range s.Components {
			for pkg := range c.Packages {
				if other, ok := seen[pkg]; ok {
					t.Errorf("%s: package %s in components %s and %s", n, pkg, other, name)
				}
				seen[pkg] = name
			}
		}
	}
}

func TestPackageVersion(t *testing.T) {
	s, _ := Lookup(Default())
	if v, ok := s.PackageVersion("keystone"); !ok || v != "2:27.0.0-3+deb13u6" {
		t.Errorf("PackageVersion(keystone) = %q, %v", v, ok)
	}
	if v, ok := s.PackageVersion("ovn-central"); !ok || v != "25.03.0-1" {
		t.Errorf("PackageVersion(ovn-central) = %q, %v", v, ok)
	}
	if v, ok := s.PackageVersion("no-such-package"); ok || v != "" {
		t.Errorf("PackageVersion(no-such-package) = %q, %v", v, ok)
	}
	var nilStream *Stream
	if _, ok := nilStream.PackageVersion("keystone"); ok {
		t.Error("nil stream found a package")
	}
}

func TestLookupReturnsCopy(t *testing.T) {
	s, _ := Lookup(Default())
	s.Name = "mutated"
	s.Components["nova"].Packages["nova-api"] = "0"
	delete(s.Components, "ceph")

	again, _ := Lookup(Default())
	if again.Name != Default() {
		t.Errorf("Name mutated through Lookup: %q", again.Name)
	}
	if v, _ := again.PackageVersion("nova-api"); v == "0" {
		t.Error("package map mutated through Lookup")
	}
	if _, ok := again.Components["ceph"]; !ok {
		t.Error("components map mutated through Lookup")
	}
}

const goodDoc = `
name: "9.9"
openstack: "9.9"
debian_suite: forky
apt_mirror: http://deb.debian.org/debian
components:
  a:
    version: "1.0"
    packages:
      pkg-a: "1:1.0-1"
`

func TestParseRejects(t *testing.T) {
	if _, err := parse([]byte(goodDoc)); err != nil {
		t.Fatalf("good document rejected: %v", err)
	}
	cases := map[string]string{
		"unknown top-level field": goodDoc + "extra: 1\n",
		"unknown component field": strings.Replace(goodDoc, `version: "1.0"`, "version: \"1.0\"\n    pinned: true", 1),
		"duplicate package": goodDoc + `  b:
    version: "2.0"
    packages:
      pkg-a: "2.0-1"
`,
		"bad debian version":  strings.Replace(goodDoc, `"1:1.0-1"`, `"latest"`, 1),
		"trailing hyphen":     strings.Replace(goodDoc, `"1:1.0-1"`, `"1.0-"`, 1),
		"bad package name":    strings.Replace(goodDoc, "pkg-a:", "Pkg_A:", 1),
		"empty version":       strings.Replace(goodDoc, `version: "1.0"`, `version: ""`, 1),
		"missing suite":       strings.Replace(goodDoc, "debian_suite: forky\n", "", 1),
		"non-URL mirror":      strings.Replace(goodDoc, "http://deb.debian.org/debian", "deb.debian.org", 1),
		"no components":       "name: x\nopenstack: x\ndebian_suite: x\napt_mirror: http://x\n",
		"two documents":       goodDoc + "---\n" + goodDoc,
		"not a mapping":       "- a\n- b\n",
		"wrong type of field": strings.Replace(goodDoc, `version: "1.0"`, "version: [1]", 1),
	}
	for name, doc := range cases {
		if _, err := parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDebianVersionPattern(t *testing.T) {
	for _, v := range []string{"1.0", "2:27.0.0-3+deb13u6", "3.5.0-1+b1", "1.7.24~ds1-6+deb13u1", "1:11.8.9+ds-0+deb13u1", "1.0-2-3"} {
		if !debianVersion.MatchString(v) {
			t.Errorf("%q rejected", v)
		}
	}
	for _, v := range []string{"", "a1.0", "1.0-", ":1.0", "1:", "1.0 -1", "1.0-1_2"} {
		if debianVersion.MatchString(v) {
			t.Errorf("%q accepted", v)
		}
	}
}

func TestLoadFSChecks(t *testing.T) {
	ok := fstest.MapFS{
		"s/2025.1.yaml": {Data: []byte(strings.ReplaceAll(goodDoc, `name: "9.9"`, `name: "2025.1"`))},
		"s/9.9.yaml":    {Data: []byte(goodDoc)},
	}
	c, err := loadFS(ok, "s")
	if err != nil {
		t.Fatalf("loadFS: %v", err)
	}
	if !slices.Equal(c.names, []string{"2025.1", "9.9"}) {
		t.Errorf("names = %v", c.names)
	}

	mismatch := fstest.MapFS{
		"s/2025.1.yaml": {Data: []byte(strings.ReplaceAll(goodDoc, `name: "9.9"`, `name: "2025.1"`))},
		"s/9.8.yaml":    {Data: []byte(goodDoc)},
	}
	if _, err := loadFS(mismatch, "s"); err == nil {
		t.Error("stream name differing from file name accepted")
	}
	noDefault := fstest.MapFS{"s/9.9.yaml": {Data: []byte(goodDoc)}}
	if _, err := loadFS(noDefault, "s"); err == nil {
		t.Error("catalog without the default stream accepted")
	}
	if _, err := loadFS(fstest.MapFS{}, "s"); err == nil {
		t.Error("empty catalog accepted")
	}
}

// TestRegister: a copy of an embedded stream with one version bumped is
// found by name and listed; an invalid stream, an embedded name or a
// second registration are refused, and the caller's copy stays its own.
func TestRegister(t *testing.T) {
	s, _ := Lookup("2025.1")
	s.Name = "2025.1-register-test"
	c := s.Components["rabbitmq"]
	c.Packages["rabbitmq-server"] = "4.0.5-6+deb13u2+fm1"
	if err := Register(s); err != nil {
		t.Fatal(err)
	}
	c.Packages["rabbitmq-server"] = "changed after registering"
	got, ok := Lookup(s.Name)
	if v, _ := got.PackageVersion("rabbitmq-server"); !ok || v != "4.0.5-6+deb13u2+fm1" {
		t.Errorf("registered stream: %v, rabbitmq-server %q", ok, v)
	}
	if !slices.Contains(Streams(), s.Name) || !slices.IsSorted(Streams()) {
		t.Errorf("Streams() = %v", Streams())
	}
	if err := Register(got); err == nil || !strings.Contains(err.Error(), "registered already") {
		t.Errorf("second registration: %v", err)
	}
	embedded, _ := Lookup("2025.1")
	if err := Register(embedded); err == nil || !strings.Contains(err.Error(), "embedded already") {
		t.Errorf("an embedded name: %v", err)
	}
	bad, _ := Lookup("2025.1")
	bad.Name = "2025.1-bad"
	bad.Components["rabbitmq"].Packages["rabbitmq-server"] = "not a version"
	if err := Register(bad); err == nil || !strings.Contains(err.Error(), "not a Debian version") {
		t.Errorf("an invalid stream: %v", err)
	}
	if _, ok := Lookup("2025.1-bad"); ok {
		t.Error("the invalid stream was registered")
	}
}
