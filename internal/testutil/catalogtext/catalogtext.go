// Package catalogtext prints a compiled catalog as text for the
// components' golden files, every component in the same form: the rolling
// groups, then each host's items in the order the engine applies them,
// each item with its dependencies and every field of its resource
// (contents, scripts and guards as indented blocks; a secret file's
// content and a command's environment only by name).
package catalogtext

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Options adjust what Render prints; the zero value prints everything.
type Options struct {
	// Groups keeps the rolling groups it accepts (nil: all).
	Groups func(*catalog.Group) bool
	// Items keeps the items it accepts (nil: all); hosts without such
	// items are left out.
	Items func(*catalog.Item) bool
	// Tag follows each item's id, e.g. its component.
	Tag func(*catalog.Item) string
	// Content returns what stands for a file's content (its own golden
	// file, its size), "" to print it.
	Content func(path string, content []byte) string
	// Text rewrites each content, guard and script before it is printed:
	// a helper every script shares as one line, say.
	Text func(string) string
	// Secret, if set, prints a secret file's content through it (a test's
	// fake values replaced by placeholders); otherwise only that it is one.
	Secret func(string) string
}

// Render prints the catalog.
func Render(cat *catalog.Catalog, o Options) string {
	var b strings.Builder
	var groups []string
	for name, g := range cat.Groups {
		if o.Groups == nil || o.Groups(g) {
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
			if o.Items == nil || o.Items(it) {
				items = append(items, it)
			}
		}
		if len(items) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n=== %s ===\n", h)
		for _, it := range items {
			o.item(&b, it)
		}
	}
	return b.String()
}

// Of keeps the items of one component.
func Of(component string) func(*catalog.Item) bool {
	return func(it *catalog.Item) bool { return it.Component == component }
}

// item prints an item: its resource's id (then tag), its rolling group,
// what it comes after and subscribes to, then its resource's fields.
func (o Options) item(b *strings.Builder, it *catalog.Item) {
	tag := ""
	if o.Tag != nil {
		tag = o.Tag(it)
	}
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
	switch r := it.Resource.(type) {
	case resource.Package:
		fmt.Fprintf(b, "  version %s\n", r.Version)
	case resource.Directory:
		fmt.Fprintf(b, "  mode %s\n", owned(cmp.Or(r.Mode, "0755"), r.Owner, r.Group))
	case resource.File:
		if r.Absent {
			b.WriteString("  absent\n")
			break
		}
		fmt.Fprintf(b, "  mode %s\n", owned(cmp.Or(r.Mode, "0644"), r.Owner, r.Group))
		switch {
		case r.Secret && o.Secret != nil:
			Block(b, "content (secret)", o.text(o.Secret(string(r.Content))))
		case r.Secret:
			b.WriteString("  content: secret\n")
		case o.Content != nil && o.Content(r.Path, r.Content) != "":
			fmt.Fprintf(b, "  content: %s\n", o.Content(r.Path, r.Content))
		default:
			Block(b, "content", o.text(string(r.Content)))
		}
	case resource.Symlink:
		fmt.Fprintf(b, "  -> %s\n", r.Target)
	case resource.Service:
		fmt.Fprintf(b, "  enabled %t running %t\n", r.Enabled, r.Running)
	case resource.Command:
		if r.Timeout != "" {
			fmt.Fprintf(b, "  timeout %s\n", r.Timeout)
		}
		if len(r.Env) > 0 {
			fmt.Fprintf(b, "  env (values hidden) %s\n", strings.Join(slices.Sorted(maps.Keys(r.Env)), " "))
		}
		if r.Guard != "" {
			Block(b, "guard", o.text(r.Guard))
		}
		Block(b, "script", o.text(r.Script))
	default:
		fmt.Fprintf(b, "  %+v\n", r)
	}
}

func (o Options) text(s string) string {
	if o.Text == nil {
		return s
	}
	return o.Text(s)
}

// owned is "0644 root:root": mode, owner and group (root by default).
func owned(mode, owner, group string) string {
	return mode + " " + cmp.Or(owner, "root") + ":" + cmp.Or(group, "root")
}

// Block prints text under a label, each line behind "    | ".
func Block(b *strings.Builder, label, text string) {
	fmt.Fprintf(b, "  %s:\n", label)
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(b, "    | %s\n", line)
	}
}
