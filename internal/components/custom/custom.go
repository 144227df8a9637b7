// Package custom compiles the operators' own resources (services/*.yaml,
// key custom) into catalog items: on every host a set is placed on, its
// directories, files, symlinks, groups, users and packages first, then its
// services and commands, with restarts and playbooks wired up.
package custom

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the custom component.
type Component struct{}

func (Component) Name() string { return "custom" }

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	var items []*catalog.Item
	for _, set := range in.Cloud.Services.Custom {
		hosts := in.Cloud.Select(&set.Hosts)
		base, err := baseResources(in, set)
		if err != nil {
			return nil, nil, err
		}
		for _, h := range hosts {
			items = append(items, hostItems(in, set, h.Name, base)...)
		}
		for _, pb := range set.Playbooks {
			items = append(items, playbookItem(in, set, pb, hosts))
		}
	}
	return items, nil, nil
}

// baseResources builds the set's host-independent resources once.
func baseResources(in *catalog.Input, set *model.CustomSet) ([]resource.Resource, error) {
	var rs []resource.Resource
	for _, d := range set.Directories {
		rs = append(rs, resource.Directory{Path: d.Path, Mode: d.Mode, Owner: d.Owner, Group: d.Group})
	}
	for _, g := range set.Groups {
		rs = append(rs, resource.Group{Name: g.Name, System: g.System})
	}
	for _, u := range set.Users {
		rs = append(rs, resource.User{Name: u.Name, Group: u.Group, Groups: u.Groups, Home: u.Home, Shell: u.Shell, System: u.System})
	}
	for _, p := range set.Packages {
		rs = append(rs, resource.Package{Name: p.Name, Version: p.Version})
	}
	for _, f := range set.Files {
		file := resource.File{Path: f.Path, Mode: f.Mode, Owner: f.Owner, Group: f.Group, Absent: f.Absent}
		switch {
		case f.ContentSecret != "":
			if in.Secret == nil {
				return nil, fmt.Errorf("custom set %s: file %s takes its content from secret %s, but no secrets are available", set.Name, f.Path, f.ContentSecret)
			}
			v, err := in.Secret(f.ContentSecret)
			if err != nil {
				return nil, fmt.Errorf("custom set %s: file %s: %w", set.Name, f.Path, err)
			}
			file.Content, file.Secret = []byte(v), true
		case f.Source != "":
			data, err := os.ReadFile(filepath.Join(in.RepoDir, f.Source))
			if err != nil {
				return nil, fmt.Errorf("custom set %s: file %s: reading source: %w", set.Name, f.Path, err)
			}
			file.Content = data
		default:
			file.Content = []byte(f.Content)
		}
		rs = append(rs, file)
	}
	for _, l := range set.Symlinks {
		rs = append(rs, resource.Symlink{Path: l.Path, Target: l.Target})
	}
	return rs, nil
}

func hostItems(in *catalog.Input, set *model.CustomSet, host string, base []resource.Resource) []*catalog.Item {
	var items []*catalog.Item
	var prepared []catalog.Ref
	for _, r := range base {
		it := &catalog.Item{Host: host, Component: "custom", Resource: r}
		// Parents before children: a file after the directory it is in.
		for _, prev := range items {
			if dir, ok := prev.Resource.(resource.Directory); ok && isUnder(pathOf(r), dir.Path) {
				it.After = append(it.After, prev.Ref())
			}
		}
		items = append(items, it)
		prepared = append(prepared, it.Ref())
	}
	for _, s := range set.Services {
		svc := resource.Service{Unit: s.Unit, Enabled: model.Enabled(s.Enabled, true), Running: model.Enabled(s.Running, true)}
		it := &catalog.Item{Host: host, Component: "custom", After: prepared}
		for _, p := range s.RestartOn {
			id := resource.ID{Kind: resource.KindFile, Name: p}
			svc.Subscribes = append(svc.Subscribes, id)
			it.Subscribes = append(it.Subscribes, catalog.Ref{Host: host, ID: id})
		}
		it.After = withoutRefs(it.After, it.Subscribes)
		it.Resource = svc
		items = append(items, it)
	}
	byName := map[string]catalog.Ref{}
	for _, c := range set.Commands {
		it := &catalog.Item{Host: host, Component: "custom", After: prepared,
			Resource: resource.Command{Name: set.Name + "/" + c.Name, Script: c.Script, Guard: c.Guard}}
		for _, a := range c.After {
			if ref, ok := byName[a]; ok {
				it.After = append(it.After, ref)
			}
		}
		byName[c.Name] = it.Ref()
		items = append(items, it)
	}
	return items
}

func playbookItem(in *catalog.Input, set *model.CustomSet, pb *model.CustomPlaybook, hosts []*model.Host) *catalog.Item {
	inv := map[string]any{}
	hostVars := map[string]any{}
	var names []string
	for _, h := range hosts {
		vars := map[string]any{"ansible_user": h.SSH.User, "ansible_port": h.SSH.Port}
		addr := h.SSH.Address.String()
		if !h.SSH.Address.IsValid() {
			addr, _ = in.Cloud.ManagementAddress(h)
		}
		if addr != "" {
			vars["ansible_host"] = addr
		}
		if h.SSH.User != "root" {
			vars["ansible_become"] = true
		}
		hostVars[h.Name] = vars
		names = append(names, h.Name)
	}
	sort.Strings(names)
	inv["all"] = map[string]any{"hosts": hostVars}
	playbook := pb.Playbook
	if !filepath.IsAbs(playbook) {
		playbook = filepath.Join(in.RepoDir, playbook)
	}
	// A playbook runs from the manager once for all its hosts; it is filed
	// under the first host so that it has a place in the per-host plan.
	host := "manager"
	if len(names) > 0 {
		host = names[0]
	}
	return &catalog.Item{Host: host, Component: "custom", Resource: resource.Ansible{
		Name: set.Name + "/" + pb.Name, Playbook: playbook, Inventory: inv, ExtraVars: pb.ExtraVars, Limit: names,
	}}
}

func pathOf(r resource.Resource) string {
	switch v := r.(type) {
	case resource.File:
		return v.Path
	case resource.Directory:
		return v.Path
	case resource.Symlink:
		return v.Path
	}
	return ""
}

func isUnder(p, dir string) bool {
	return p != "" && p != dir && strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

func withoutRefs(refs, drop []catalog.Ref) []catalog.Ref {
	out := refs[:0:0]
	for _, r := range refs {
		keep := true
		for _, d := range drop {
			if r == d {
				keep = false
			}
		}
		if keep {
			out = append(out, r)
		}
	}
	return out
}
