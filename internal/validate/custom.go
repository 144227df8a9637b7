package validate

import (
	"path"
	"strings"

	"github.com/fundament-cloud/fundament/internal/diag"
)

// RuleCustomInvalid: an operator's custom set that cannot be applied.
const RuleCustomInvalid = "custom-invalid"

func init() {
	register(Rule{ID: RuleCustomInvalid, Summary: "custom sets use absolute clean paths, give a file one content (content, source or content_secret), restart services on files of the set, order commands after commands of the set, and name each path, command and playbook once", check: checkCustom})
}

func checkCustom(ck *checker) {
	seenSets := newSeen(ck.d, "custom set")
	for _, set := range ck.c.Services.Custom {
		seenSets.add(set.Name, set.At("name"))
		paths := map[string]diag.Pos{}
		addPath := func(p string, pos diag.Pos) {
			if p == "" {
				return
			}
			if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
				ck.d.Errorf(pos, RuleCustomInvalid, "path %q of custom set %s must be absolute and clean (e.g. %q)", p, set.Name, path.Clean("/"+p))
			}
			if first, dup := paths[p]; dup {
				ck.d.Errorf(pos, RuleCustomInvalid, "path %s is already managed by custom set %s at %s", p, set.Name, first)
				return
			}
			paths[p] = pos
		}
		files := map[string]bool{}
		for _, d := range set.Directories {
			addPath(d.Path, d.At("path"))
		}
		for _, f := range set.Files {
			addPath(f.Path, f.At("path"))
			files[f.Path] = true
			n := 0
			for _, k := range []string{"content", "source", "content_secret"} {
				if f.Has(k) {
					n++
				}
			}
			switch {
			case f.Absent && n > 0:
				ck.d.Errorf(f.At("absent"), RuleCustomInvalid, "file %s is absent but has content; drop one of them", f.Path)
			case n > 1:
				ck.d.Errorf(f.At("path"), RuleCustomInvalid, "file %s sets more than one of content, source and content_secret; give it one", f.Path)
			}
			if f.Source != "" && (strings.HasPrefix(f.Source, "/") || strings.HasPrefix(path.Clean(f.Source), "..")) {
				ck.d.Errorf(f.At("source"), RuleCustomInvalid, "source %q must be a path inside the repository, relative to its root", f.Source)
			}
		}
		for _, l := range set.Symlinks {
			addPath(l.Path, l.At("path"))
		}
		for _, s := range set.Services {
			for i, p := range s.RestartOn {
				if !files[p] {
					ck.d.Errorf(s.At(indexed("restart_on", i)), RuleCustomInvalid, "service %s restarts on %s, which is not a file of custom set %s%s", s.Unit, p, set.Name, diag.DidYouMean(p, keys(files)))
				}
			}
		}
		commands := newSeen(ck.d, "command")
		names := map[string]bool{}
		for _, c := range set.Commands {
			commands.add(c.Name, c.At("name"))
			names[c.Name] = true
		}
		for _, c := range set.Commands {
			for i, a := range c.After {
				if !names[a] || a == c.Name {
					ck.d.Errorf(c.At(indexed("after", i)), RuleCustomInvalid, "command %s runs after %q, which is not another command of custom set %s%s", c.Name, a, set.Name, diag.DidYouMean(a, keys(names)))
				}
			}
		}
		playbooks := newSeen(ck.d, "playbook")
		for _, p := range set.Playbooks {
			playbooks.add(p.Name, p.At("name"))
			if p.Playbook != "" && (strings.HasPrefix(p.Playbook, "/") || strings.HasPrefix(path.Clean(p.Playbook), "..")) {
				ck.d.Errorf(p.At("playbook"), RuleCustomInvalid, "playbook %q must be a path inside the repository, relative to its root", p.Playbook)
			}
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
