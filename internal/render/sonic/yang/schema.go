package yang

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Schema is what the conversion knows of a directory of SONiC YANG modules:
// every ConfigDB table (the containers inside each module's top container)
// with its lists, keys and leaves.
type Schema struct {
	Dir     string
	modules map[string]*module // by module name
	tables  map[string]*node   // ConfigDB table name -> table container
}

type module struct {
	name, prefix, file string
	imports            map[string]string // prefix -> module name
	typedefs           map[string]*Stmt
	groupings          map[string]*Stmt
	root               *Stmt
	tops               map[string]*node // top-level containers by name
}

// node is a schema node: a container, list, leaf or leaf-list.
type node struct {
	name     string
	kind     string // container, list, leaf, leaf-list
	mod      *module
	parent   *node
	children map[string]*node
	lists    []*node  // the lists among children, in file order (table containers)
	keys     []string // list keys, in order
	typ      *Stmt    // leaves: the type statement
	typMod   *module  // module whose prefixes the type statement uses
	kinds    *kindSet // leaves: resolved JSON encodings, once computed
}

// Load reads every *.yang file in dir. Modules that fail to parse are an
// error: a half-read schema would make valid data look invalid.
func Load(dir string) (*Schema, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yang"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .yang files in %s", dir)
	}
	s := &Schema{Dir: dir, modules: map[string]*module{}, tables: map[string]*node{}}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		root, err := Parse(src)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if root.Keyword != "module" {
			continue // submodules: SONiC's models have none
		}
		m := &module{name: root.Arg, file: f, root: root, imports: map[string]string{},
			typedefs: map[string]*Stmt{}, groupings: map[string]*Stmt{}, tops: map[string]*node{}}
		if p := root.Find("prefix"); p != nil {
			m.prefix = p.Arg
		}
		for _, st := range root.Sub {
			if st.Keyword == "import" {
				if p := st.Find("prefix"); p != nil {
					m.imports[p.Arg] = st.Arg
				}
			}
		}
		collectDefs(m, root)
		s.modules[m.name] = m
	}
	for _, name := range slices.Sorted(maps.Keys(s.modules)) {
		m := s.modules[name]
		for _, st := range m.root.Sub {
			if st.Keyword != "container" {
				continue
			}
			top := s.build(m, m, st, nil, 0)
			m.tops[top.name] = top
			for _, t := range top.children {
				if t.kind != "container" {
					continue
				}
				if other, dup := s.tables[t.name]; dup {
					return nil, fmt.Errorf("table %s is defined by both %s and %s", t.name, other.mod.name, m.name)
				}
				s.tables[t.name] = t
			}
		}
	}
	return s, nil
}

// collectDefs indexes typedefs and groupings at any depth; SONiC's names do
// not clash across scopes, so one flat map per module suffices.
func collectDefs(m *module, st *Stmt) {
	for _, c := range st.Sub {
		switch c.Keyword {
		case "typedef":
			m.typedefs[c.Arg] = c
		case "grouping":
			m.groupings[c.Arg] = c
		}
		collectDefs(m, c)
	}
}

// build turns a data definition statement into a node. defMod is the
// module the statement is written in (a grouping's module for uses), which
// decides how prefixes in its types resolve.
func (s *Schema) build(m, defMod *module, st *Stmt, parent *node, depth int) *node {
	n := &node{name: st.Arg, kind: st.Keyword, mod: m, parent: parent, children: map[string]*node{}}
	switch st.Keyword {
	case "leaf", "leaf-list":
		n.typ, n.typMod = st.Find("type"), defMod
		return n
	case "list":
		if k := st.Find("key"); k != nil {
			n.keys = strings.Fields(k.Arg)
		}
	}
	s.addChildren(m, defMod, n, st.Sub, depth)
	return n
}

func (s *Schema) addChildren(m, defMod *module, n *node, subs []*Stmt, depth int) {
	if depth > 32 {
		return // a grouping using itself; yanglint reports the real error
	}
	for _, c := range subs {
		switch c.Keyword {
		case "container", "list", "leaf", "leaf-list":
			child := s.build(m, defMod, c, n, depth+1)
			n.children[child.name] = child
			if child.kind == "list" {
				n.lists = append(n.lists, child)
			}
		case "choice", "case":
			// Cases are transparent in data: their nodes are the parent's.
			s.addChildren(m, defMod, n, c.Sub, depth+1)
		case "uses":
			if g, gm := s.grouping(defMod, c.Arg); g != nil {
				s.addChildren(m, gm, n, g.Sub, depth+1)
			}
		}
	}
}

// grouping resolves "prefix:name" or "name" as seen from module m.
func (s *Schema) grouping(m *module, ref string) (*Stmt, *module) {
	target, name := s.resolvePrefix(m, ref)
	if target == nil {
		return nil, nil
	}
	return target.groupings[name], target
}

func (s *Schema) typedef(m *module, ref string) (*Stmt, *module) {
	target, name := s.resolvePrefix(m, ref)
	if target == nil {
		return nil, nil
	}
	return target.typedefs[name], target
}

// resolvePrefix splits a prefixed name and finds the module the prefix
// stands for in m (its own prefix or an import).
func (s *Schema) resolvePrefix(m *module, ref string) (*module, string) {
	prefix, name, ok := strings.Cut(ref, ":")
	if !ok {
		return m, ref
	}
	if prefix == m.prefix {
		return m, name
	}
	return s.modules[m.imports[prefix]], name
}

// Imports returns the names of the modules a module imports, sorted.
func (s *Schema) Imports(module string) []string {
	m := s.modules[module]
	if m == nil {
		return nil
	}
	var out []string
	for _, name := range m.imports {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
