package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// Only returns the catalog of the named components' items and of every
// item they depend on (whatever its component): what `--component`
// plans and applies. A name that is neither one of registered nor the
// component of an item is an error that lists the known ones.
func (c *Catalog) Only(components, registered []string) (*Catalog, error) {
	known := map[string]bool{}
	for _, r := range registered {
		known[r] = true
	}
	for _, it := range c.Items {
		known[it.Component] = true
	}
	want := map[string]bool{}
	for _, name := range components {
		if !known[name] {
			var names []string
			for k := range known {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("there is no component %q; the components are %s", name, strings.Join(names, ", "))
		}
		want[name] = true
		// A component's parts ("ovn/chassis") come with it.
		for k := range known {
			if strings.HasPrefix(k, name+"/") {
				want[k] = true
			}
		}
	}
	keep := map[Ref]bool{}
	var visit func(it *Item)
	visit = func(it *Item) {
		if keep[it.Ref()] {
			return
		}
		keep[it.Ref()] = true
		for _, r := range append(append([]Ref(nil), it.After...), it.Subscribes...) {
			if dep, ok := c.index[r]; ok {
				visit(dep)
			}
		}
	}
	for _, it := range c.Items {
		if want[it.Component] {
			visit(it)
		}
	}
	var items []*Item
	groups := map[string]*Group{}
	for _, it := range c.Items {
		if keep[it.Ref()] {
			items = append(items, it)
			if g := c.Groups[it.Group]; g != nil {
				groups[g.Name] = g
			}
		}
	}
	var gs []*Group
	for _, g := range groups {
		gs = append(gs, g)
	}
	return New(items, gs)
}
