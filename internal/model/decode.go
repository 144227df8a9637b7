package model

import (
	"encoding"
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/fundament-cloud/fundament/internal/diag"
)

// Rule ids of problems found while decoding, before any semantic check.
const (
	RuleYAMLSyntax   = "yaml.syntax"
	RuleDuplicateKey = "yaml.duplicate-key"
	RuleTooComplex   = "yaml.too-complex"
	RuleUnknownField = "schema.unknown-field"
	RuleType         = "schema.type"
	RuleRequired     = "schema.required"
	RuleEnum         = "schema.enum"
	RuleInvalidValue = "schema.invalid-value"
)

// maxAliasNodes bounds the nodes that aliases may expand to in one load
// of a repository (all files together), so that alias bombs ("billion
// laughs") end in a diagnostic instead of exhausting memory and time. A
// node costs about a microsecond and 150 bytes to decode; honest use of
// anchors (shared interface or disk lists) stays far below.
const maxAliasNodes = 1_000_000

// maxDepth bounds the nesting of values, aliases included; yaml.v3 itself
// stops at 10,000 levels of nesting written out.
const maxDepth = 10_000

// decoder turns a YAML node tree into model structs. Unlike yaml.Unmarshal
// it reports every problem (not just the first) with its position, names
// the expected type, suggests the field that was probably meant, and
// records where each value came from in the structs' Meta.
type decoder struct {
	file  string
	diags *diag.List
	// budget is the number of nodes aliases may still expand to; shared
	// by the decoders of one load.
	budget     *int
	aliasDepth int
	depth      int
	exhausted  bool
	// alias is the alias being expanded, aliasTarget the node it stands
	// for; outerAlias is the outermost alias being expanded.
	alias, aliasTarget, outerAlias *yaml.Node
	// path of the value being decoded, for messages.
	path []byte
	// reported dedups diagnostics inside aliased values.
	reported map[aliasReport]bool
}

func newDecoder(file string, diags *diag.List, budget *int) *decoder {
	if budget == nil {
		b := maxAliasNodes
		budget = &b
	}
	return &decoder{file: file, diags: diags, budget: budget}
}

// tooComplex reports, once per file, that the file expands to too much.
func (d *decoder) tooComplex(n *yaml.Node, format string, args ...any) {
	if !d.exhausted {
		d.exhausted = true
		d.errorf(n, RuleTooComplex, format, args...)
	}
}

func (d *decoder) pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, rule, format string, args ...any) {
	d.report(n, rule, "", format, args...)
}

// report records an error at n. A mistake inside an anchor would be
// reported again for every alias of it; once is enough, so errors are
// known by position, rule and what (where one node can have several
// errors of a rule, the field each is about).
func (d *decoder) report(n *yaml.Node, rule, what, format string, args ...any) {
	pos := d.pos(n)
	k := aliasReport{pos, rule, what}
	if d.aliasDepth > 0 && d.reported[k] {
		return
	}
	if d.reported == nil {
		d.reported = map[aliasReport]bool{}
	}
	d.reported[k] = true
	if n == d.aliasTarget {
		// The aliased value as a whole does not fit where the alias puts
		// it: point at the alias.
		pos = d.pos(d.alias)
	}
	d.diags.Errorf(pos, rule, format, args...)
}

type aliasReport struct {
	pos        diag.Pos
	rule, what string
}

// The path of the value being decoded ("hosts[3].interfaces[0].mtu") is
// kept in a buffer and turned into a string only for a message.

func (d *decoder) pushKey(key string) int {
	n := len(d.path)
	if n > 0 {
		d.path = append(d.path, '.')
	}
	d.path = append(d.path, key...)
	return n
}

func (d *decoder) pushIndex(i int) int {
	n := len(d.path)
	d.path = append(d.path, '[')
	d.path = strconv.AppendInt(d.path, int64(i), 10)
	d.path = append(d.path, ']')
	return n
}

func (d *decoder) pop(n int) { d.path = d.path[:n] }

// where is the current path for messages.
func (d *decoder) where() string {
	if len(d.path) == 0 {
		return "the top level"
	}
	return string(d.path)
}

// resolve follows aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 1000 {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// absent reports whether n stands for no value: null, or an alias that
// leads nowhere.
func absent(n *yaml.Node) bool {
	r := resolve(n)
	return r == nil || isNull(r)
}

// value decodes n into v. rec, when not nil, records the positions of the
// elements of lists and maps in the enclosing struct's Meta under key.
func (d *decoder) value(n *yaml.Node, v reflect.Value, rec *Meta, key string) {
	if d.exhausted {
		return
	}
	if n.Kind == yaml.AliasNode {
		target := resolve(n)
		if target == nil {
			return
		}
		alias, aliasTarget := d.alias, d.aliasTarget
		if d.aliasDepth == 0 {
			d.outerAlias = n
		}
		d.alias, d.aliasTarget = n, target
		d.aliasDepth++
		d.value(target, v, rec, key)
		d.aliasDepth--
		d.alias, d.aliasTarget = alias, aliasTarget
		return
	}
	if d.aliasDepth > 0 {
		if *d.budget--; *d.budget < 0 {
			d.tooComplex(d.outerAlias, "document too complex: its aliases expand to more than %d values; write the values out instead", maxAliasNodes)
			return
		}
	}
	if isNull(n) {
		return
	}
	if d.depth >= maxDepth {
		d.tooComplex(n, "document too complex: values nested more than %d levels deep", maxDepth)
		return
	}
	d.depth++
	d.nonNull(n, v, rec, key)
	d.depth--
}

func (d *decoder) nonNull(n *yaml.Node, v reflect.Value, rec *Meta, key string) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if tu, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		d.text(n, tu, v.Type())
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(n, v)
	case reflect.Slice:
		d.sequence(n, v, rec, key)
	case reflect.Map:
		d.mapping(n, v, rec, key)
	case reflect.String:
		if s, ok := d.scalar(n, v.Type()); ok {
			v.SetString(s)
			d.checkEnum(n, v)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		d.integer(n, v)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		d.integer(n, v)
	case reflect.Bool:
		if _, ok := d.scalar(n, v.Type()); !ok {
			return
		}
		if n.Tag != "!!bool" {
			d.errorf(n, RuleType, "%s: expected a boolean (true or false), got %s", d.where(), describeNode(n))
			return
		}
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		v.SetBool(b)
	case reflect.Float64:
		if _, ok := d.scalar(n, v.Type()); !ok {
			return
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if (n.Tag != "!!int" && n.Tag != "!!float") || err != nil {
			d.errorf(n, RuleType, "%s: expected a number, got %s", d.where(), describeNode(n))
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		// Free-form values (a playbook's extra_vars) take whatever YAML
		// gives; yaml.v3 decodes the node with its own rules.
		var x any
		if err := n.Decode(&x); err != nil {
			d.errorf(n, RuleType, "%s: %s", d.where(), strings.TrimPrefix(err.Error(), "yaml: "))
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		panic(fmt.Sprintf("model: no decoder for %s", v.Type()))
	}
}

// scalar checks that n is a scalar and returns its text.
func (d *decoder) scalar(n *yaml.Node, t reflect.Type) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, RuleType, "%s: expected %s, got %s", d.where(), describeType(t), describeNode(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) text(n *yaml.Node, tu encoding.TextUnmarshaler, t reflect.Type) {
	s, ok := d.scalar(n, t)
	if !ok {
		return
	}
	if err := tu.UnmarshalText([]byte(s)); err != nil {
		d.errorf(n, RuleType, "%s: expected %s, got %q: %s", d.where(), describeType(t), s, cleanParseError(err))
	}
}

func (d *decoder) integer(n *yaml.Node, v reflect.Value) {
	if _, ok := d.scalar(n, v.Type()); !ok {
		return
	}
	text := strings.ReplaceAll(n.Value, "_", "")
	if n.Tag != "!!int" && !(n.Tag == "!!float" && isDecimal(text)) {
		// yaml.v3 tags integers too large for 64 bits !!float.
		d.errorf(n, RuleType, "%s: expected an integer, got %s", d.where(), describeNode(n))
		return
	}
	if v.CanInt() {
		i, err := strconv.ParseInt(text, 0, 64)
		if err != nil || v.OverflowInt(i) {
			d.errorf(n, RuleType, "%s: %s is out of range for this field (%d to %d)", d.where(), n.Value,
				int64(-1)<<(v.Type().Bits()-1), int64(1)<<(v.Type().Bits()-1)-1)
			return
		}
		v.SetInt(i)
		return
	}
	u, err := strconv.ParseUint(text, 0, 64)
	if err != nil || v.OverflowUint(u) {
		d.errorf(n, RuleType, "%s: %s is out of range for this field (0 to %d)", d.where(), n.Value,
			uint64(math.MaxUint64)>>(64-v.Type().Bits()))
		return
	}
	v.SetUint(u)
}

// isDecimal reports whether s is an optionally signed run of digits.
func isDecimal(s string) bool {
	s = strings.TrimLeft(s, "+-")
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (d *decoder) checkEnum(n *yaml.Node, v reflect.Value) {
	e, ok := v.Addr().Interface().(Enum)
	if !ok {
		return
	}
	allowed := e.Values()
	s := v.String()
	for _, a := range allowed {
		if a == s {
			return
		}
	}
	d.errorf(n, RuleEnum, "%s: %q is not one of %s%s", d.where(), s, strings.Join(allowed, ", "), diag.DidYouMean(s, allowed))
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, rec *Meta, key string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, RuleType, "%s: expected %s, got %s", d.where(), describeType(v.Type()), describeNode(n))
		return
	}
	// Empty items ("- ") of lists of structs are left out, so that no
	// check has to guard against nil.
	skipNull := v.Type().Elem().Kind() == reflect.Pointer
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	j := 0
	for i, item := range n.Content {
		if skipNull && absent(item) {
			continue
		}
		if rec != nil {
			rec.set(key+"["+strconv.Itoa(j)+"]", d.pos(item))
		}
		mark := d.pushIndex(i)
		d.value(item, s.Index(j), nil, "")
		d.pop(mark)
		j++
	}
	v.Set(s.Slice(0, j))
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, rec *Meta, key string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, RuleType, "%s: expected %s, got %s", d.where(), describeType(v.Type()), describeNode(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		panic("model: map keys must be strings")
	}
	t := v.Type()
	skipNull := t.Elem().Kind() == reflect.Pointer
	m := reflect.MakeMapWithSize(t, len(n.Content)/2)
	d.pairs(n, func(k string, kn, vn *yaml.Node) {
		if skipNull && absent(vn) {
			return
		}
		var sub string
		if rec != nil {
			sub = key + "." + k
			rec.set(sub, d.pos(vn))
		}
		elem := reflect.New(t.Elem()).Elem()
		mark := d.pushKey(k)
		// Lists and maps inside the map record their elements under
		// "key.k[i]" too (ceph.osds.per_host.HOST[i]).
		d.value(vn, elem, rec, sub)
		d.pop(mark)
		m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), elem)
	})
	v.Set(m)
}

// pairs walks the key/value pairs of a mapping, reporting keys that are not
// scalars and keys written twice (yaml.v3 keeps both silently in a Node).
func (d *decoder) pairs(n *yaml.Node, fn func(k string, kn, vn *yaml.Node)) {
	// Small mappings, nearly all of them, find duplicates by looking back;
	// a map pays off only for large ones.
	var seen map[string]*yaml.Node
	if len(n.Content) > 32 {
		seen = make(map[string]*yaml.Node, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := resolve(n.Content[i]), n.Content[i+1]
		if kn == nil || kn.Kind != yaml.ScalarNode {
			d.errorf(n.Content[i], RuleType, "mapping keys must be plain strings, got %s", describeNode(n.Content[i]))
			continue
		}
		if kn.Tag == "!!merge" {
			d.errorf(kn, RuleType, "merge keys (<<) are not supported; write the fields out or use separate files")
			continue
		}
		var first *yaml.Node
		if seen != nil {
			first = seen[kn.Value]
		} else {
			first = findKey(n, i, kn.Value)
		}
		if first != nil {
			d.errorf(kn, RuleDuplicateKey, "duplicate key %q (first set at line %d)", kn.Value, first.Line)
			continue
		}
		if seen != nil {
			seen[kn.Value] = kn
		}
		fn(kn.Value, kn, vn)
	}
}

// findKey returns the first scalar key node called k among the first
// `before` entries of n's content, or nil.
func findKey(n *yaml.Node, before int, k string) *yaml.Node {
	for i := 0; i+1 < len(n.Content) && i < before; i += 2 {
		if kn := resolve(n.Content[i]); kn != nil && kn.Kind == yaml.ScalarNode && kn.Tag != "!!merge" && kn.Value == k {
			return kn
		}
	}
	return nil
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value) {
	info := structInfoOf(v.Type())
	var meta *Meta
	if p, ok := v.Addr().Interface().(positioned); ok {
		meta = p.meta()
		meta.Pos = d.pos(n)
	}
	if n.Kind != yaml.MappingNode {
		got := describeNode(n)
		if len(d.path) == 0 {
			// A whole file that is not a mapping may not be YAML at all:
			// name its kind, quote none of it.
			got = describeKind(n)
		}
		d.errorf(n, RuleType, "%s: expected a mapping (key: value lines), got %s", d.where(), got)
		return
	}
	var present uint64 // bit i: info.ordered[i] has a value
	d.pairs(n, func(k string, kn, vn *yaml.Node) {
		f, ok := info.fields[k]
		if !ok {
			d.errorf(kn, RuleUnknownField, "unknown field %q in %s%s", k, d.where(), diag.DidYouMean(k, info.names))
			return
		}
		r := resolve(vn)
		if r == nil || isNull(r) {
			return
		}
		if f.required && r.Kind == yaml.ScalarNode && r.Value == "" {
			return // reported below as a required field without value
		}
		present |= 1 << f.ord
		if meta != nil {
			meta.set(k, d.pos(r))
		}
		mark := d.pushKey(k)
		d.value(vn, v.FieldByIndex(f.index), meta, k)
		d.pop(mark)
	})
	for _, f := range info.ordered {
		if !f.required || present&(1<<f.ord) != 0 {
			continue
		}
		if kn := findKey(n, len(n.Content), f.name); kn != nil {
			d.report(kn, RuleRequired, f.name, "%s: required field %q has no value", d.where(), f.name)
		} else {
			d.report(n, RuleRequired, f.name, "%s: missing required field %q", d.where(), f.name)
		}
	}
}

type fieldInfo struct {
	name     string
	index    []int
	required bool
	ord      int // index in structInfo.ordered
}

type structInfo struct {
	fields  map[string]*fieldInfo
	ordered []*fieldInfo
	names   []string
}

var structInfos sync.Map // reflect.Type -> *structInfo

func structInfoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{fields: map[string]*fieldInfo{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("yaml")
		if tag == "-" || tag == "" || !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := &fieldInfo{name: name, index: sf.Index, required: opts == "required", ord: len(si.ordered)}
		if f.ord >= 64 {
			panic("model: more than 64 fields in " + t.String())
		}
		si.fields[name] = f
		si.ordered = append(si.ordered, f)
		si.names = append(si.names, name)
	}
	sort.Strings(si.names)
	structInfos.Store(t, si)
	return si
}

// Describer lets a type name itself in "expected ..." messages.
type Describer interface{ Describe() string }

var (
	addrType   = reflect.TypeFor[netip.Addr]()
	prefixType = reflect.TypeFor[netip.Prefix]()
)

func describeType(t reflect.Type) string {
	if d, ok := reflect.New(t).Interface().(Describer); ok {
		return d.Describe()
	}
	switch t {
	case addrType:
		return "an IP address"
	case prefixType:
		return "an IP prefix in CIDR notation (such as 10.0.0.0/24)"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping (key: value lines)"
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.Interface:
		return "any value"
	}
	return t.String()
}

func describeNode(n *yaml.Node) string {
	n = resolveOrSelf(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing (null)"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return fmt.Sprintf("%s %q", scalarKind(n), v)
	}
	return "something else"
}

// describeKind names the kind of n without quoting it.
func describeKind(n *yaml.Node) string {
	n = resolveOrSelf(n)
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		if k := scalarKind(n); k != "integer" {
			return "a " + k
		}
		return "an integer"
	}
	return describeNode(n)
}

func scalarKind(n *yaml.Node) string {
	switch n.Tag {
	case "!!int":
		return "integer"
	case "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	}
	return "string"
}

// cleanParseError strips the echo of the input that netip adds
// (`ParseAddr("x"): ...`), since the message already quotes the value.
func cleanParseError(err error) string {
	s := err.Error()
	if strings.HasPrefix(s, "ParseAddr(") || strings.HasPrefix(s, "netip.ParsePrefix(") || strings.HasPrefix(s, "ParsePrefix(") {
		if i := strings.Index(s, "): "); i >= 0 {
			return s[i+3:]
		}
	}
	return s
}

func resolveOrSelf(n *yaml.Node) *yaml.Node {
	if r := resolve(n); r != nil {
		return r
	}
	return n
}
