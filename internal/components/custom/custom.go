// Package custom compiles the operators' own resources (services/*.yaml,
// key custom) into catalog items: on every host a set is placed on, its
// directories, files, symlinks, groups, users and packages first, then its
// services and commands, with restarts and playbooks wired up.
package custom

import (
	"fmt"
	"path/filepath"
	"slices"
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
		var setItems []*catalog.Item
		for _, h := range hosts {
			setItems = append(setItems, hostItems(in, set, h.Name, base)...)
		}
		// Playbooks come last: after everything else of the set on every
		// host they run against.
		var all []catalog.Ref
		for _, it := range setItems {
			all = append(all, it.Ref())
		}
		for _, pb := range set.Playbooks {
			it, err := playbookItem(in, set, pb, hosts)
			if err != nil {
				return nil, nil, err
			}
			it.After = append(it.After, all...)
			setItems = append(setItems, it)
		}
		items = append(items, setItems...)
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
			v, err := in.SecretValue(f.ContentSecret)
			if err != nil {
				return nil, fmt.Errorf("custom set %s: file %s: %w", set.Name, f.Path, err)
			}
			file.Content, file.Secret = []byte(v), true
		case f.Source != "":
			data, err := model.ReadRepoFile(in.RepoDir, f.Source)
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
	for _, r := range base {
		items = append(items, &catalog.Item{Host: host, Component: componentOf(set), Resource: r})
	}
	// The accounts the set makes: owners and groups of its paths, and the
	// groups of its users, are made first. A user without a group gets a
	// group of its own name (useradd -U).
	users, groups := map[string]catalog.Ref{}, map[string]catalog.Ref{}
	var packages []catalog.Ref
	for _, it := range items {
		switch v := it.Resource.(type) {
		case resource.Group:
			groups[v.Name] = it.Ref()
		case resource.User:
			users[v.Name] = it.Ref()
		case resource.Package:
			packages = append(packages, it.Ref())
		}
	}
	for _, it := range items {
		if u, ok := it.Resource.(resource.User); ok && u.Group == "" {
			if _, ok := groups[u.Name]; !ok {
				groups[u.Name] = it.Ref()
			}
		}
	}
	var prepared []catalog.Ref
	for _, it := range items {
		after := func(ref catalog.Ref, ok bool) {
			if ok && ref != it.Ref() && !slices.Contains(it.After, ref) {
				it.After = append(it.After, ref)
			}
		}
		owners := func(owner, group string) {
			ref, ok := users[owner]
			after(ref, ok)
			ref, ok = groups[group]
			after(ref, ok)
		}
		switch v := it.Resource.(type) {
		case resource.User:
			ref, ok := groups[v.Group]
			after(ref, ok)
			for _, g := range v.Groups {
				ref, ok := groups[g]
				after(ref, ok)
			}
		case resource.Directory:
			owners(v.Owner, v.Group)
		case resource.File:
			owners(v.Owner, v.Group)
		}
		// A file or link after the set's packages (which may make its
		// directory, or own it).
		switch it.Resource.(type) {
		case resource.File, resource.Symlink:
			for _, p := range packages {
				after(p, true)
			}
		}
		// Parents before children: a path after every directory of the
		// set it is in, wherever that is declared.
		if p := pathOf(it.Resource); p != "" {
			for _, other := range items {
				if dir, ok := other.Resource.(resource.Directory); ok && isUnder(p, dir.Path) {
					after(other.Ref(), true)
				}
			}
		}
		prepared = append(prepared, it.Ref())
	}
	for _, s := range set.Services {
		svc := resource.Service{Unit: s.Unit, Enabled: model.Enabled(s.Enabled, true), Running: model.Enabled(s.Running, true)}
		it := &catalog.Item{Host: host, Component: componentOf(set), After: prepared}
		for _, p := range s.RestartOn {
			id := resource.ID{Kind: resource.KindFile, Name: p}
			svc.Subscribes = append(svc.Subscribes, id)
			it.Subscribes = append(it.Subscribes, catalog.Ref{Host: host, ID: id})
		}
		// Installing or upgrading a package starts and restarts nothing
		// by itself: a change of the set's packages restarts its services.
		for _, p := range packages {
			svc.Subscribes = append(svc.Subscribes, p.ID)
			it.Subscribes = append(it.Subscribes, p)
		}
		it.After = withoutRefs(it.After, it.Subscribes)
		it.Resource = svc
		items = append(items, it)
	}
	// Commands: after the set's other resources, and after the commands
	// they name (declared before or after them).
	byName := map[string]*catalog.Item{}
	var commands []*catalog.Item
	for _, c := range set.Commands {
		it := &catalog.Item{Host: host, Component: componentOf(set), After: slices.Clone(prepared),
			Resource: resource.Command{Name: set.Name + "/" + c.Name, Script: c.Script, Guard: c.Guard}}
		byName[c.Name] = it
		commands = append(commands, it)
	}
	for i, c := range set.Commands {
		for _, a := range c.After {
			if dep, ok := byName[a]; ok && dep != commands[i] {
				commands[i].After = append(commands[i].After, dep.Ref())
			}
		}
	}
	return append(items, commands...)
}

// playbookItem is the run of a playbook against the set's hosts. The
// digest of the playbook file goes into the inventory (a variable of all
// hosts, fundament_playbook_sha256): the run's record then changes with
// the playbook, which runs again. (Files the playbook includes are not
// followed: change the playbook, or its variables, to run it again.)
func playbookItem(in *catalog.Input, set *model.CustomSet, pb *model.CustomPlaybook, hosts []*model.Host) (*catalog.Item, error) {
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
	// Read inside the repository only (ansible-playbook reads it again).
	content, err := model.ReadRepoFile(in.RepoDir, pb.Playbook)
	playbook := filepath.Join(in.RepoDir, filepath.FromSlash(pb.Playbook))
	if err != nil {
		return nil, fmt.Errorf("custom set %s: playbook %s: %w", set.Name, pb.Name, err)
	}
	inv["all"] = map[string]any{"hosts": hostVars, "vars": map[string]any{"fundament_playbook_sha256": resource.Digest(content)}}
	// A playbook runs from the manager once for all its hosts; it is filed
	// under the first host so that it has a place in the per-host plan.
	host := "manager"
	if len(names) > 0 {
		host = names[0]
	}
	return &catalog.Item{Host: host, Component: componentOf(set), Resource: resource.Ansible{
		Name: set.Name + "/" + pb.Name, Playbook: playbook, Inventory: inv, ExtraVars: pb.ExtraVars, Limit: names,
	}}, nil
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

// componentOf names the component of a set's items, "custom/<set>": a
// path two sets manage on one host is then reported with both sets.
func componentOf(set *model.CustomSet) string { return "custom/" + set.Name }
