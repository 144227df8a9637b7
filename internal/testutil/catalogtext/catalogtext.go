// Package catalogtext prints a compiled catalog as text for the
// components' golden tests: the rolling groups, then each host's items in
// the order the engine applies them. Each component prints its own
// resources' details (what its golden files are about).
package catalogtext

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/catalog"
)

// Render prints the groups keepGroup accepts (by name; nil: all), then,
// under "=== host ===", the items keep accepts, each printed by item.
// Hosts without such items are left out.
func Render(cat *catalog.Catalog, keepGroup func(*catalog.Group) bool, keep func(*catalog.Item) bool, item func(*strings.Builder, *catalog.Item)) string {
	var b strings.Builder
	var groups []string
	for name, g := range cat.Groups {
		if keepGroup == nil || keepGroup(g) {
			groups = append(groups, name)
		}
	}
	sort.Strings(groups)
	for _, name := range groups {
		g := cat.Groups[name]
		fmt.Fprintf(&b, "rolling group %s: %d at a time over %s\n", g.Name, g.BatchSize, strings.Join(g.Hosts, ", "))
	}
	for _, h := range cat.Hosts() {
		var items []*catalog.Item
		for _, it := range cat.HostItems(h) {
			if keep(it) {
				items = append(items, it)
			}
		}
		if len(items) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n=== %s ===\n", h)
		for _, it := range items {
			item(&b, it)
		}
	}
	return b.String()
}

// Of keeps the items of one component.
func Of(component string) func(*catalog.Item) bool {
	return func(it *catalog.Item) bool { return it.Component == component }
}

// Head prints an item's first lines: its resource's id (then tag), its
// rolling group, what it comes after and what it subscribes to.
func Head(b *strings.Builder, it *catalog.Item, tag string) {
	fmt.Fprintf(b, "\n%s%s", it.Resource.ID(), tag)
	if it.Group != "" {
		fmt.Fprintf(b, " group=%s", it.Group)
	}
	b.WriteString("\n")
	for _, r := range it.After {
		fmt.Fprintf(b, "  after %s\n", r)
	}
	for _, r := range it.Subscribes {
		fmt.Fprintf(b, "  subscribes %s\n", r)
	}
}

// Block prints text under a label, each line behind "    | ".
func Block(b *strings.Builder, label, text string) {
	fmt.Fprintf(b, "  %s:\n", label)
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(b, "    | %s\n", line)
	}
}
