// Package release holds the release manifest embedded in the fundament
// binary.
//
// A release stream pins the versions of every component fundament deploys:
// the OpenStack services, OVN/Open vSwitch, Ceph, FRR, the infrastructure
// services (MariaDB/Galera, RabbitMQ, Memcached, HAProxy, keepalived) and the
// tooling, each as a map from Debian binary package to its exact Debian
// version in the stream's Debian suite. Streams live in streams/<name>.yaml;
// the YAML files document where each version came from.
//
// A program may add streams of its own at run time (Register): the lab test
// of a package upgrade pins a rebuilt package that way.
//
// The embedded files are parsed strictly (unknown fields are errors) on first
// use. A malformed embedded manifest is a build defect: the package's tests
// guarantee it parses, and the accessors panic if it does not.
package release

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// defaultStream is the stream used when none is chosen.
const defaultStream = "2025.1"

//go:embed streams/*.yaml
var streamFS embed.FS

// Stream is one release stream: a consistent set of component versions for
// one OpenStack release on one Debian suite.
type Stream struct {
	// Name of the stream, e.g. "2025.1"; equal to its file name.
	Name string `yaml:"name"`
	// OpenStack is the OpenStack release, e.g. "2025.1" (codename in the
	// OpenStack service components).
	OpenStack string `yaml:"openstack"`
	// DebianSuite is the Debian suite codename the packages come from, e.g.
	// "trixie".
	DebianSuite string `yaml:"debian_suite"`
	// AptMirror is the default Debian mirror URL.
	AptMirror string `yaml:"apt_mirror"`
	// Components maps a component name (e.g. "nova", "ceph") to its pins.
	Components map[string]Component `yaml:"components"`
}

// Component is one pinned component of a stream.
type Component struct {
	// Version is the upstream version, e.g. "25.03.0".
	Version string `yaml:"version"`
	// Codename is the upstream release name where there is one (e.g. "reef",
	// "epoxy").
	Codename string `yaml:"codename,omitempty"`
	// Packages maps a Debian binary package to its full Debian version
	// ([epoch:]upstream[-revision]). It may be empty for a component that
	// is not installed from Debian packages.
	Packages map[string]string `yaml:"packages"`
}

type catalog struct {
	names   []string
	streams map[string]*Stream
}

var load = sync.OnceValues(func() (*catalog, error) { return loadFS(streamFS, "streams") })

func mustLoad() *catalog {
	c, err := load()
	if err != nil {
		panic("release: embedded manifest: " + err.Error())
	}
	return c
}

// registered are streams added at run time (Register), by name.
var (
	registeredMu sync.RWMutex
	registered   = map[string]*Stream{}
)

// Streams returns the names of all release streams (embedded and
// registered), sorted.
func Streams() []string {
	names := slices.Clone(mustLoad().names)
	registeredMu.RLock()
	for n := range registered {
		names = append(names, n)
	}
	registeredMu.RUnlock()
	sort.Strings(names)
	return names
}

// Lookup returns the stream with the given name. The returned Stream is a
// copy; changing it does not affect later lookups.
func Lookup(name string) (*Stream, bool) {
	s, ok := mustLoad().streams[name]
	if !ok {
		registeredMu.RLock()
		s, ok = registered[name]
		registeredMu.RUnlock()
	}
	if !ok {
		return nil, false
	}
	return s.clone(), true
}

// Register adds a stream to those of this process, for a program that
// needs one the binary does not embed: a test that upgrades a cloud to a
// rebuilt package (a copy of an embedded stream with one version
// changed). The stream must be valid, and its name new.
func Register(s *Stream) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("stream %s: %w", s.Name, err)
	}
	if _, ok := mustLoad().streams[s.Name]; ok {
		return fmt.Errorf("stream %s is embedded already", s.Name)
	}
	registeredMu.Lock()
	defer registeredMu.Unlock()
	if _, ok := registered[s.Name]; ok {
		return fmt.Errorf("stream %s is registered already", s.Name)
	}
	registered[s.Name] = s.clone()
	return nil
}

// Default returns the name of the default release stream.
func Default() string { return defaultStream }

// PackageVersion returns the pinned Debian version of the Debian binary
// package pkg in the stream, whichever component it belongs to.
func (s *Stream) PackageVersion(pkg string) (string, bool) {
	if s == nil {
		return "", false
	}
	for _, c := range s.Components {
		if v, ok := c.Packages[pkg]; ok {
			return v, true
		}
	}
	return "", false
}

func (s *Stream) clone() *Stream {
	out := *s
	out.Components = make(map[string]Component, len(s.Components))
	for name, c := range s.Components {
		pk := make(map[string]string, len(c.Packages))
		for p, v := range c.Packages {
			pk[p] = v
		}
		c.Packages = pk
		out.Components[name] = c
	}
	return &out
}

// loadFS parses every *.yaml file in dir of fsys as a stream.
func loadFS(fsys fs.FS, dir string) (*catalog, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no stream files in %s", dir)
	}
	c := &catalog{streams: make(map[string]*Stream, len(files))}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		s, err := parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if want := strings.TrimSuffix(path.Base(f), ".yaml"); s.Name != want {
			return nil, fmt.Errorf("%s: stream name %q does not match file name %q", f, s.Name, want)
		}
		c.streams[s.Name] = s
		c.names = append(c.names, s.Name)
	}
	sort.Strings(c.names)
	if _, ok := c.streams[defaultStream]; !ok {
		return nil, fmt.Errorf("default stream %q is not embedded", defaultStream)
	}
	return c, nil
}

// parse decodes one stream document strictly and validates it.
func parse(data []byte) (*Stream, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Stream
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, errors.New("more than one YAML document")
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// debianVersion matches a Debian version: [epoch:]upstream[-revision]
// (deb-version(7)): the upstream part starts with a digit and may contain a
// hyphen only when a revision follows; the revision has no hyphen.
var debianVersion = regexp.MustCompile(`^(?:[0-9]+:)?(?:[0-9][A-Za-z0-9.+~]*|[0-9][A-Za-z0-9.+~-]*-[A-Za-z0-9.+~]+)$`)

// debianPackage matches a Debian binary package name (Debian Policy 5.6.1).
var debianPackage = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]+$`)

func (s *Stream) validate() error {
	var errs []error
	for _, f := range []struct{ field, value string }{
		{"name", s.Name}, {"openstack", s.OpenStack}, {"debian_suite", s.DebianSuite}, {"apt_mirror", s.AptMirror},
	} {
		if strings.TrimSpace(f.value) == "" {
			errs = append(errs, fmt.Errorf("%s is empty", f.field))
		}
	}
	if s.AptMirror != "" && !strings.HasPrefix(s.AptMirror, "http://") && !strings.HasPrefix(s.AptMirror, "https://") {
		errs = append(errs, fmt.Errorf("apt_mirror %q is not an http(s) URL", s.AptMirror))
	}
	if len(s.Components) == 0 {
		errs = append(errs, errors.New("no components"))
	}
	owner := map[string]string{}
	names := make([]string, 0, len(s.Components))
	for name := range s.Components {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := s.Components[name]
		if strings.TrimSpace(c.Version) == "" {
			errs = append(errs, fmt.Errorf("component %s: version is empty", name))
		}
		pkgs := make([]string, 0, len(c.Packages))
		for p := range c.Packages {
			pkgs = append(pkgs, p)
		}
		sort.Strings(pkgs)
		for _, p := range pkgs {
			v := c.Packages[p]
			if !debianPackage.MatchString(p) {
				errs = append(errs, fmt.Errorf("component %s: %q is not a Debian package name", name, p))
			}
			if !debianVersion.MatchString(v) {
				errs = append(errs, fmt.Errorf("component %s: package %s: %q is not a Debian version", name, p, v))
			}
			if other, dup := owner[p]; dup {
				errs = append(errs, fmt.Errorf("package %s is in both components %s and %s", p, other, name))
				continue
			}
			owner[p] = name
		}
	}
	return errors.Join(errs...)
}
