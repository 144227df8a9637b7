package catalog

import (
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/model"
)

// Input is what components compile from.
type Input struct {
	Cloud *model.Cloud
	// RepoDir is the configuration repository (files referred to by the
	// model are read from it).
	RepoDir string
	// Secret decrypts a secret of the repository by name.
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
	var items []*Item
	var groups []*Group
	for _, comp := range comps {
		its, gs, err := comp.Items(in)
		if err != nil {
			return nil, fmt.Errorf("compiling component %s: %w", comp.Name(), err)
		}
		for _, it := range its {
			if it.Component == "" {
				it.Component = comp.Name()
			}
		}
		items = append(items, its...)
		groups = append(groups, gs...)
	}
	return New(items, groups)
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
	offline := *in
	offline.Probe = nil
	var items []*Item
	var groups []*Group
	var names, skipped []string
	for _, comp := range comps {
		names = append(names, comp.Name())
		cin := in
		if probe != nil && !probe(comp) {
			cin = &offline
		}
		its, gs, err := comp.Items(cin)
		if err != nil {
			if Selects(only, comp.Name()) {
				return nil, fmt.Errorf("compiling component %s: %w", comp.Name(), err)
			}
			skipped = append(skipped, fmt.Sprintf("%s (%v)", comp.Name(), err))
			continue
		}
		for _, it := range its {
			if it.Component == "" {
				it.Component = comp.Name()
			}
		}
		items = append(items, its...)
		groups = append(groups, gs...)
	}
	all, err := New(items, groups)
	if err != nil {
		if len(skipped) > 0 {
			err = fmt.Errorf("%w\n(left out because they could not be compiled: %s)", err, strings.Join(skipped, "; "))
		}
		return nil, err
	}
	return all.Only(only, names)
}
