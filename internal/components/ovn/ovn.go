// Package ovn deploys OVN, the software-defined network under Neutron: the
// northbound and southbound databases as RAFT clusters with ovn-northd on
// the hosts ovn.central places them on, and Open vSwitch with
// ovn-controller on every compute and network host (the chassis), network
// hosts being gateway chassis. It also checks their health (health.go).
package ovn

import (
	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the OVN component.
type Component struct{}

// Name is also the component of the central items and checks; the
// chassis' are chassisComponent, so that the central cluster's rolling
// group gates on the cluster alone, not on every compute host.
func (Component) Name() string { return "ovn" }

const chassisComponent = "ovn/chassis"

// centralGroup rolls over the central hosts one at a time.
const centralGroup = "ovn-central"

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	c := in.Cloud
	t, err := newTopology(c)
	if err != nil {
		return nil, nil, err
	}
	b := &builder{t: t, in: in, packages: map[string]map[string]*catalog.Item{},
		joined: joinedMembers(in.Probe, t.memberHosts())}
	for i := range t.Members {
		if err := b.central(i); err != nil {
			return nil, nil, err
		}
	}
	for _, ch := range t.Chassis {
		if err := b.chassis(ch); err != nil {
			return nil, nil, err
		}
	}
	var groups []*catalog.Group
	if len(t.Members) > 0 {
		g := &catalog.Group{Name: centralGroup, BatchSize: 1}
		for _, m := range t.Members {
			g.Hosts = append(g.Hosts, m.Host)
		}
		groups = append(groups, g)
	}
	return b.items, groups, nil
}

// builder collects the items of every host.
type builder struct {
	t     *topology
	in    *catalog.Input
	items []*catalog.Item
	// packages are declared once per host, whichever part needs them
	// first (a network host that is also central needs ovn-common twice).
	packages map[string]map[string]*catalog.Item
	// joined: the central member serves (see joinedMembers).
	joined map[string]bool
}

func (b *builder) add(host, component string, r resource.Resource, after ...*catalog.Item) *catalog.Item {
	it := &catalog.Item{Host: host, Component: component, Resource: r}
	for _, a := range after {
		it.After = append(it.After, a.Ref())
	}
	b.items = append(b.items, it)
	return it
}

// pkgs declares the packages at the release stream's versions (each once per
// host), after the items given, and returns them.
func (b *builder) pkgs(host, component string, names []string, after ...*catalog.Item) ([]*catalog.Item, error) {
	if b.packages[host] == nil {
		b.packages[host] = map[string]*catalog.Item{}
	}
	var out []*catalog.Item
	for _, name := range names {
		if it := b.packages[host][name]; it != nil {
			out = append(out, it)
			continue
		}
		pkg, err := b.in.Package(name)
		if err != nil {
			return nil, err
		}
		it := b.add(host, component, pkg, after...)
		b.packages[host][name] = it
		out = append(out, it)
	}
	return out, nil
}

// service declares a unit that is enabled (where it can be) and running,
// restarted when one of the files it subscribes to changes.
func (b *builder) service(host, component, unit string, subscribes []*catalog.Item, after ...*catalog.Item) *catalog.Item {
	svc := resource.Service{Unit: unit, Enabled: true, Running: true}
	it := b.add(host, component, nil, after...)
	for _, s := range subscribes {
		svc.Subscribes = append(svc.Subscribes, s.Resource.ID())
		it.Subscribes = append(it.Subscribes, s.Ref())
	}
	it.Resource = svc
	return it
}
