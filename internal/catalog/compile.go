package catalog

import (
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/release"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Input is what components compile from.
type Input struct {
	Cloud *model.Cloud
	// RepoDir is the configuration repository (files referred to by the
	// model are read from it).
	RepoDir string
	// Release is the cloud's release stream (spec.release); nil: Stream
	// looks it up.
	Release *release.Stream
	// Secret decrypts a secret of the repository by name; nil where no
	// secrets are available (see SecretValue).
	Secret func(name string) (string, error)
	// Probe runs a read-only script on a host and returns its standard
	// output (an error when the host cannot be reached or the script
	// fails). It is nil where Fundament compiles without reaching hosts
	// (render, validate): a component must then compile what it would for
	// a healthy cloud. Components use it sparingly, for decisions that
	// depend on the state of several hosts together, such as which Galera
	// member restarts a cluster that is down everywhere; the plan is
	// checked against the state it was made from, so such a decision is
	// refused when that state has changed since.
	Probe func(host, script string) (string, error)
}

// Stream is the cloud's release stream: Release, or the one spec.release
// names.
func (in *Input) Stream() (*release.Stream, error) {
	if in.Release != nil {
		return in.Release, nil
	}
	s, ok := release.Lookup(in.Cloud.Spec.Release)
	if !ok {
		return nil, fmt.Errorf("release stream %q is not built into this binary", in.Cloud.Spec.Release)
	}
	return s, nil
}

// Package is a package at the version the release stream pins.
func (in *Input) Package(name string) (resource.Package, error) {
	s, err := in.Stream()
	if err != nil {
		return resource.Package{}, err
	}
	v, ok := s.PackageVersion(name)
	if !ok {
		return resource.Package{}, fmt.Errorf("release stream %s pins no version of %s", s.Name, name)
	}
	return resource.Package{Name: name, Version: v}, nil
}

// SecretValue is a secret's value; the error names the secret, also
// where no secrets are available (Secret is nil: render, validate, and
// tests that compile without them).
func (in *Input) SecretValue(name string) (string, error) {
	if in.Secret == nil {
		return "", fmt.Errorf("secret %s: no secrets are available here", name)
	}
	v, err := in.Secret(name)
	if err != nil && !strings.Contains(err.Error(), name) {
		err = fmt.Errorf("secret %s: %w", name, err)
	}
	return v, err
}

// Component contributes the desired state of one part of the cloud (base
// system, Galera, Keystone, ...). Every component has the same shape, so
// adding one is adding a package.
type Component interface {
	Name() string
	// Items returns the component's resources on every host it is placed
	// on, and the rolling groups they use. Items may depend on items of
	// components that come earlier in the list given to Compile.
	Items(in *Input) ([]*Item, []*Group, error)
}

// Compile runs every component over the model and checks the result.
func Compile(in *Input, comps ...Component) (*Catalog, error) {
	r, err := compileEach(in, comps, nil, nil)
	if err != nil {
		return nil, err
	}
	return New(r.items, r.groups)
}

// CompileOnly compiles what `--component` selects: the named components
// and everything they depend on (see Catalog.Only). A component that
// fails to compile (a secret it needs is missing, say) is an error only
// when the selection needs its items; otherwise it is left out, so that
// applying one component never depends on another one's inputs.
//
// Probes reach hosts (Galera's asks every member, and may wait for one
// starting), so only the components the selection needs probe: a first
// pass without Probe finds them, and only those compile again with it.
func CompileOnly(in *Input, only []string, comps ...Component) (*Catalog, error) {
	if len(only) == 0 {
		return Compile(in, comps...)
	}
	offline := *in
	offline.Probe = nil
	first, err := compileSelection(&offline, only, comps, nil)
	if err != nil || in.Probe == nil {
		return first, err
	}
	needed := map[string]bool{}
	for _, it := range first.Items {
		needed[it.Component] = true
	}
	return compileSelection(in, only, comps, func(comp Component) bool {
		for c := range needed {
			if c == comp.Name() || strings.HasPrefix(c, comp.Name()+"/") {
				return true
			}
		}
		return false
	})
}

// compileSelection compiles comps and keeps the selection only names;
// a component that probe (when not nil) rejects compiles without Probe.
func compileSelection(in *Input, only []string, comps []Component, probe func(Component) bool) (*Catalog, error) {
	r, err := compileEach(in, comps, probe, func(name string) bool { return !Selects(only, name) })
	if err != nil {
		return nil, err
	}
	all, err := New(r.items, r.groups)
	if err != nil {
		if len(r.skipped) > 0 {
			err = fmt.Errorf("%w\n(left out because they could not be compiled: %s)", err, strings.Join(r.skipped, "; "))
		}
		return nil, err
	}
	return all.Only(only, r.names)
}

// compiled is what compileEach collected.
type compiled struct {
	items   []*Item
	groups  []*Group
	names   []string // of every component, in order
	skipped []string // components left out, with why
}

// compileEach runs the components in order, the release stream looked up
// once. A component that probe (when not nil) rejects compiles without
// Probe; one that fails is an error unless tolerate (when not nil)
// accepts its name: it is then left out.
func compileEach(in *Input, comps []Component, probe func(Component) bool, tolerate func(string) bool) (*compiled, error) {
	cin := *in
	if cin.Release == nil && in.Cloud != nil {
		cin.Release, _ = release.Lookup(in.Cloud.Spec.Release) // unknown: Stream says so to who asks
	}
	offline := cin
	offline.Probe = nil
	r := &compiled{}
	for _, comp := range comps {
		r.names = append(r.names, comp.Name())
		use := &cin
		if probe != nil && !probe(comp) {
			use = &offline
		}
		its, gs, err := comp.Items(use)
		if err != nil {
			if tolerate == nil || !tolerate(comp.Name()) {
				return nil, fmt.Errorf("compiling component %s: %w", comp.Name(), err)
			}
			r.skipped = append(r.skipped, fmt.Sprintf("%s (%v)", comp.Name(), err))
			continue
		}
		for _, it := range its {
			if it.Component == "" {
				it.Component = comp.Name()
			}
		}
		r.items = append(r.items, its...)
		r.groups = append(r.groups, gs...)
	}
	return r, nil
}
