package yang

import (
	"strings"
)

// kindSet is how values of a leaf's type are written in RFC 7951 JSON. A
// union may allow several; a value is written in the first that fits.
type kindSet struct {
	number  bool // int8..int32, uint8..uint32: a JSON number
	boolean bool
	empty   bool // [null]
	str     bool // everything else, including int64, uint64 and decimal64
}

func (k *kindSet) add(o kindSet) {
	k.number = k.number || o.number
	k.boolean = k.boolean || o.boolean
	k.empty = k.empty || o.empty
	k.str = k.str || o.str
}

// leafKinds resolves (once) how a leaf's values are encoded.
func (s *Schema) leafKinds(n *node) kindSet {
	if n.kinds == nil {
		k := s.typeKinds(n, n.typMod, n.typ, 0)
		n.kinds = &k
	}
	return *n.kinds
}

// typeKinds resolves a type statement through typedefs, unions and
// leafrefs down to built-in types. Anything it cannot resolve counts as a
// string, which yanglint then judges.
func (s *Schema) typeKinds(leaf *node, m *module, typ *Stmt, depth int) kindSet {
	if typ == nil || m == nil || depth > 16 {
		return kindSet{str: true}
	}
	switch typ.Arg {
	case "int8", "int16", "int32", "uint8", "uint16", "uint32":
		return kindSet{number: true}
	case "boolean":
		return kindSet{boolean: true}
	case "empty":
		return kindSet{empty: true}
	case "union":
		var k kindSet
		for _, member := range typ.Sub {
			if member.Keyword == "type" {
				k.add(s.typeKinds(leaf, m, member, depth+1))
			}
		}
		return k
	case "leafref":
		if p := typ.Find("path"); p != nil {
			if target := s.resolvePath(leaf, m, p.Arg); target != nil && target.typ != nil {
				return s.typeKinds(target, target.typMod, target.typ, depth+1)
			}
		}
		return kindSet{str: true}
	case "string", "enumeration", "bits", "binary", "identityref", "instance-identifier",
		"int64", "uint64", "decimal64":
		return kindSet{str: true}
	}
	if def, dm := s.typedef(m, typ.Arg); def != nil {
		return s.typeKinds(leaf, dm, def.Find("type"), depth+1)
	}
	name := typ.Arg
	if _, local, ok := strings.Cut(name, ":"); ok {
		name = local
	}
	if builtinNumbers[name] {
		return kindSet{number: true}
	}
	return kindSet{str: true}
}

// builtinNumbers are the 32-bit-or-narrower integer typedefs of
// ietf-inet-types and ietf-yang-types (RFC 6991), which libyang ships
// built in and which are therefore not among the .yang files read.
var builtinNumbers = map[string]bool{
	"as-number": true, "port-number": true, "dscp": true, "ipv6-flow-label": true,
	"counter32": true, "zero-based-counter32": true, "gauge32": true, "timeticks": true, "timestamp": true,
}

// resolvePath finds the node a leafref path points at. Predicates are
// dropped: they select instances, not schema nodes. Relative paths start
// at the leaf itself, whose ".." is its parent.
func (s *Schema) resolvePath(leaf *node, m *module, path string) *node {
	path = stripPredicates(strings.TrimSpace(path))
	var cur *node
	steps := strings.Split(path, "/")
	if strings.HasPrefix(path, "/") {
		steps = steps[1:]
		if len(steps) == 0 {
			return nil
		}
		target, name := s.resolvePrefix(m, steps[0])
		if target == nil {
			return nil
		}
		cur = target.tops[name]
		steps = steps[1:]
	} else {
		cur = leaf
	}
	for _, st := range steps {
		if cur == nil {
			return nil
		}
		switch st {
		case "..":
			cur = cur.parent
		case ".", "":
		default:
			if _, local, ok := strings.Cut(st, ":"); ok {
				st = local
			}
			cur = cur.children[st]
		}
	}
	return cur
}

func stripPredicates(p string) string {
	var b strings.Builder
	depth := 0
	for _, c := range p {
		switch {
		case c == '[':
			depth++
		case c == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(c)
		}
	}
	return b.String()
}
