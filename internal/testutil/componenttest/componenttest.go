// Package componenttest compiles one component alone for its unit tests:
// what its items wait for on other components (Galera's database step,
// Keystone's registration, a host's network) stands in the catalog as a
// placeholder, so that the component's own catalog is checked
// (order, cycles, groups) without compiling the components it needs.
package componenttest

import (
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Compile compiles component's items for in, with placeholders for the
// steps of other components they come after.
func Compile(t testing.TB, component catalog.Component, in *catalog.Input) *catalog.Catalog {
	t.Helper()
	items, groups, err := component.Items(in)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Compile(&catalog.Input{Cloud: in.Cloud}, placeholders{items}, fixed{component.Name(), items, groups})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// placeholders are the other components' commands, services, files and
// packages the items come after.
type placeholders struct{ of []*catalog.Item }

func (placeholders) Name() string { return "placeholders" }

func (p placeholders) Items(*catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	own := map[catalog.Ref]bool{}
	for _, it := range p.of {
		own[it.Ref()] = true
	}
	var out []*catalog.Item
	seen := map[catalog.Ref]bool{}
	for _, it := range p.of {
		for _, r := range it.After {
			if own[r] || seen[r] {
				continue
			}
			seen[r] = true
			switch r.ID.Kind {
			case resource.KindCommand:
				out = append(out, &catalog.Item{Host: r.Host, Resource: resource.Command{Name: r.ID.Name, Script: "true"}})
			case resource.KindService:
				out = append(out, &catalog.Item{Host: r.Host, Resource: resource.Service{Unit: r.ID.Name, Running: true}})
			case resource.KindFile:
				out = append(out, &catalog.Item{Host: r.Host, Resource: resource.File{Path: r.ID.Name}})
			case resource.KindPackage:
				out = append(out, &catalog.Item{Host: r.Host, Resource: resource.Package{Name: r.ID.Name}})
			}
		}
	}
	return out, nil, nil
}

// fixed hands the items already made to the compile, under the
// component's name.
type fixed struct {
	name   string
	items  []*catalog.Item
	groups []*catalog.Group
}

func (f fixed) Name() string { return f.name }
func (f fixed) Items(*catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	return f.items, f.groups, nil
}
