package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// Only returns the catalog of the named components' items and of every
// item they depend on (whatever its component): what `--component`
// plans and applies. A name that is neither one of registered nor the
// component of an item is an error that lists the known ones.
func (c *Catalog) Only(components, registered []string) (*Catalog, error) {
	known := append([]string(nil), registered...)
	for _, it := range c.Items {
		known = append(known, it.Component)
	}
	slices.Sort(known)
	if err := CheckComponents(components, known); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, k := range known {
		if Selects(components, k) {
			want[k] = true
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

// Selects says whether a --component selection names component, or the
// component it is part of ("ovn" selects "ovn/chassis").
func Selects(only []string, component string) bool {
	for _, o := range only {
		if component == o || strings.HasPrefix(component, o+"/") {
			return true
		}
	}
	return false
}

// CheckComponents refuses a name of a selection that is none of the known
// components, listing them in the order given.
func CheckComponents(only, known []string) error {
	for _, name := range only {
		if !slices.Contains(known, name) {
			var names []string // in the order given, once each
			for _, k := range known {
				if !slices.Contains(names, k) {
					names = append(names, k)
				}
			}
			return fmt.Errorf("there is no component %q; the components are %s", name, strings.Join(names, ", "))
		}
	}
	return nil
}
