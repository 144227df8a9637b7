// Package validate holds the semantic rules of a configuration
// repository: everything that is well-formed YAML of the right shape but
// still not a cloud that can work. Each rule has a stable id that appears
// in its diagnostics and in docs/config-reference.md, and a case in
// testdata/invalid/ that shows the exact diagnostic it produces.
package validate

import (
	"io/fs"
	"sort"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/service"
)

// Rule is one semantic check.
type Rule struct {
	ID      string
	Summary string
	check   func(*checker)
}

var registry []Rule

// register adds rules; each rule file calls it from init.
func register(rs ...Rule) { registry = append(registry, rs...) }

// Rules lists the rules by id, for documentation and `fundament validate
// --rules`: validation's own and those the registered services declare.
func Rules() []Rule {
	out := append([]Rule(nil), registry...)
	for _, s := range service.All() {
		for _, r := range s.Rules {
			out = append(out, Rule{ID: r.ID, Summary: r.Summary})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// checker is what a rule sees: the cloud, indexes built once, and the
// list to report into.
type checker struct {
	c        *model.Cloud
	d        *diag.List
	hosts    map[string]*model.Host
	switches map[string]*model.Switch
	networks map[string]*model.LogicalNetwork
	services []*model.Service
	// fsys is the repository, for rules about the files the model names
	// (loadbalancer.tls); nil when only a model is validated.
	fsys fs.FS
}

// Validate runs every rule over a loaded cloud and returns what they found.
// It works on partial models too (after load errors), so that one run
// reports as much as it can.
func Validate(c *model.Cloud) *diag.List { return ValidateFS(c, nil) }

// ValidateFS is Validate with the repository the model was loaded from,
// whose files some rules read.
func ValidateFS(c *model.Cloud, fsys fs.FS) *diag.List {
	ck := &checker{
		fsys:     fsys,
		c:        c,
		d:        &diag.List{},
		hosts:    c.HostsByName(),
		switches: c.SwitchesByName(),
		networks: c.NetworksByName(),
		services: service.Placed(c),
	}
	for _, r := range registry {
		r.check(ck)
	}
	for _, s := range service.All() {
		for _, r := range s.Rules {
			r.Check(c, ck.d)
		}
	}
	return ck.d
}

// Check loads and validates the repository in dir: the one call the CLI
// and the later stages make.
func Check(dir string) (*model.Cloud, *diag.List) {
	c, d := model.Load(dir)
	// The files the model names are read inside the repository only, as
	// the model's own (model.OpenRepo).
	var fsys fs.FS
	if root, err := model.OpenRepo(dir); err == nil {
		defer root.Close()
		fsys = root.FS()
	}
	d.Append(ValidateFS(c, fsys))
	return c, d
}
