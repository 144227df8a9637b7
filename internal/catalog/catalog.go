// Package catalog compiles the model into the desired state of every host:
// resources, each owned by a component, with the dependencies between
// them (on one host, across hosts, between components) and the rolling
// groups that clustered services are applied in.
package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/resource"
)

// Ref points at a resource on a host.
type Ref struct {
	Host string      `json:"host"`
	ID   resource.ID `json:"id"`
}

func (r Ref) String() string { return r.Host + "/" + r.ID.String() }

// Item is one resource on one host.
type Item struct {
	Host      string
	Component string
	Resource  resource.Resource
	// After lists resources that must be applied successfully first.
	After []Ref
	// Subscribes lists resources whose change makes this one act again: a
	// service restarts, a command runs.
	Subscribes []Ref
	// Group puts the item in a rolling group (see Group).
	Group string
}

// Ref returns the item's own reference.
func (it *Item) Ref() Ref { return Ref{Host: it.Host, ID: it.Resource.ID()} }

// Group is a rolling group: the items of a clustered service, applied to
// BatchSize hosts at a time, with a health gate passed by a batch before
// the next starts.
type Group struct {
	Name      string
	BatchSize int
	// Hosts in the order the group rolls over them.
	Hosts []string
}

// Catalog is the desired state of the whole cloud.
type Catalog struct {
	Items  []*Item
	Groups map[string]*Group
	index  map[Ref]*Item
}

// New builds a catalog from items and checks it: every resource can be
// observed and applied (resource.Validate: absolute paths, well-formed
// names, ...), every reference exists, a resource appears once per host,
// and the dependencies, rolling batches, their gates and each host's order
// form no cycle (findCycle).
func New(items []*Item, groups []*Group) (*Catalog, error) {
	c := &Catalog{Items: items, Groups: map[string]*Group{}, index: map[Ref]*Item{}}
	var errs []string
	for _, it := range items {
		if err := resource.Validate(it.Resource); err != nil {
			errs = append(errs, fmt.Sprintf("%s/%v (component %s)", it.Host, err, it.Component))
		}
		ref := it.Ref()
		if prev, dup := c.index[ref]; dup {
			errs = append(errs, fmt.Sprintf("%s is declared twice (by %s and %s)", ref, prev.Component, it.Component))
			continue
		}
		c.index[ref] = it
	}
	for _, g := range groups {
		if g.BatchSize < 1 {
			g.BatchSize = 1
		}
		c.Groups[g.Name] = g
	}
	for _, it := range items {
		for _, r := range append(append([]Ref(nil), it.After...), it.Subscribes...) {
			if _, ok := c.index[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s (component %s) depends on %s, which no component declares", it.Ref(), it.Component, r))
			}
		}
		if it.Group != "" && c.Groups[it.Group] == nil {
			errs = append(errs, fmt.Sprintf("%s names rolling group %q, which is not declared", it.Ref(), it.Group))
		}
	}
	if len(errs) == 0 {
		if cycle := c.findCycle(); cycle != nil {
			errs = append(errs, "dependency cycle (each waits for the next): "+strings.Join(cycle, " -> "))
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("invalid catalog:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

// Get returns the item a reference points at.
func (c *Catalog) Get(r Ref) (*Item, bool) {
	it, ok := c.index[r]
	return it, ok
}

// Hosts lists the hosts that have items, sorted.
func (c *Catalog) Hosts() []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range c.Items {
		if !seen[it.Host] {
			seen[it.Host] = true
			out = append(out, it.Host)
		}
	}
	sort.Strings(out)
	return out
}

// HostItems returns a host's items in dependency order (stable: ties keep
// declaration order), the order the engine applies them in.
func (c *Catalog) HostItems(host string) []*Item {
	var out []*Item
	for _, it := range c.Order() {
		if it.Host == host {
			out = append(out, it)
		}
	}
	return out
}

// Order returns every item in the order the engine applies them, each
// host running its own in this order: every item after what it waits for
// (After, Subscribes and, in a rolling group's later batch, the batch
// before it), and otherwise in declaration order. An item only ever
// moves later, for what it waits for; nothing moves earlier for what
// waits for it. So a host's step comes after its host's step in a later
// batch (which waits for another member's gate) only when it is declared
// after it or waits for something placed after it: a member's RAFT join,
// declared before its unit, does not wait for the gate that needs it.
func (c *Catalog) Order() []*Item { return c.order(c.rollGates()) }

func (c *Catalog) deps(it *Item) []Ref {
	return append(append([]Ref(nil), it.After...), it.Subscribes...)
}

// Hash is a digest of the whole desired state: every item's desired
// state, definition and dependencies. A plan records it; apply refuses the
// plan when the catalog compiled from the repository no longer has the
// same hash.
//
// The definition (the resource's encoded form) counts as well as its
// Desired state: a command's Desired state is only "done" (or nothing
// without a guard), and a playbook's nothing, so without it an edited
// script, guard or inventory would slip past the check and apply run
// what was never planned.
func (c *Catalog) Hash() string {
	lines := make([]string, 0, len(c.Items))
	for _, it := range c.Items {
		deps := make([]string, 0, len(it.After)+len(it.Subscribes))
		for _, r := range it.After {
			deps = append(deps, "after "+r.String())
		}
		for _, r := range it.Subscribes {
			deps = append(deps, "subscribes "+r.String())
		}
		sort.Strings(deps)
		lines = append(lines, it.Ref().String()+" "+it.Resource.Desired().Hash()+" "+definitionHash(it.Resource)+" "+it.Group+" "+strings.Join(deps, ","))
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// definitionHash digests a resource's encoded form (every field, as a plan
// file would carry it). Kinds that cannot be encoded (test doubles) count
// by their printed form.
func definitionHash(r resource.Resource) string {
	kind, raw, err := resource.Encode(r)
	if err != nil {
		raw = []byte(fmt.Sprintf("%T %#v", r, r))
	}
	h := sha256.Sum256(append([]byte(kind+"\n"), raw...))
	return hex.EncodeToString(h[:])
}
