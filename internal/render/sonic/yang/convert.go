package yang

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Result is a ConfigDB document converted to RFC 7951 YANG-JSON.
type Result struct {
	// JSON is the instance document: {"module:top": {"TABLE": {...}}}.
	JSON []byte
	// Modules are the names of the modules whose tables the data uses,
	// sorted.
	Modules []string
	// Cropped are tables no module defines. SONiC drops them before
	// validating (sonic_yang_ext "cropping"), and so does Convert.
	Cropped []string
}

// Convert maps ConfigDB JSON (TABLE -> key -> field -> value) onto the YANG
// models the way sonic-yang-mgmt does: a table is the container of that
// name inside its module's top container; a key naming a child container
// (DEVICE_METADATA|localhost) fills that container; any other key is split
// at '|' onto the key leaves of the table's list with as many keys as the
// key has parts. Values are typed by their leaf: numbers and booleans
// become JSON numbers and booleans, leaf-lists arrays (a ConfigDB string
// is split at ','; at ';' for NTP src_intf).
func (s *Schema) Convert(configDB []byte) (*Result, error) {
	var db map[string]json.RawMessage
	if err := json.Unmarshal(configDB, &db); err != nil {
		return nil, fmt.Errorf("config_db JSON: %w", err)
	}
	res := &Result{}
	out := map[string]map[string]any{} // "module:top" -> table -> content
	mods := map[string]bool{}
	for _, tname := range slices.Sorted(maps.Keys(db)) {
		t, ok := s.tables[tname]
		if !ok {
			// Cropped before its shape matters, as SONiC does.
			res.Cropped = append(res.Cropped, tname)
			continue
		}
		var rows map[string]map[string]any
		if err := json.Unmarshal(db[tname], &rows); err != nil {
			return nil, fmt.Errorf("table %s: %w", tname, err)
		}
		content, err := s.convertTable(t, rows)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", tname, err)
		}
		top := t.mod.name + ":" + t.parent.name
		if out[top] == nil {
			out[top] = map[string]any{}
		}
		out[top][tname] = content
		mods[t.mod.name] = true
	}
	var err error
	if res.JSON, err = json.MarshalIndent(out, "", "  "); err != nil {
		return nil, err
	}
	res.Modules = slices.Sorted(maps.Keys(mods))
	return res, nil
}

func (s *Schema) convertTable(t *node, rows map[string]map[string]any) (map[string]any, error) {
	content := map[string]any{}
	lists := map[string][]any{}
	for _, key := range slices.Sorted(maps.Keys(rows)) {
		fields := rows[key]
		if c := t.children[key]; c != nil && c.kind == "container" {
			obj, err := s.convertFields(c, fields, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			content[key] = obj
			continue
		}
		parts := strings.Split(key, "|")
		l := listFor(t, len(parts))
		if l == nil {
			return nil, fmt.Errorf("key %q has %d part(s), but no list of the table has that many keys%s", key, len(parts), describeLists(t))
		}
		keyed := map[string]string{}
		for i, k := range l.keys {
			keyed[k] = parts[i]
		}
		obj, err := s.convertFields(l, fields, keyed)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		lists[l.name] = append(lists[l.name], obj)
	}
	for name, entries := range lists {
		content[name] = entries
	}
	return content, nil
}

// listFor picks the list whose key has n parts.
func listFor(t *node, n int) *node {
	for _, l := range t.lists {
		if len(l.keys) == n {
			return l
		}
	}
	return nil
}

func describeLists(t *node) string {
	var ds []string
	for _, l := range t.lists {
		ds = append(ds, fmt.Sprintf("%s (%s)", l.name, strings.Join(l.keys, "|")))
	}
	if len(ds) == 0 {
		return ""
	}
	return ": " + strings.Join(ds, ", ")
}

func (s *Schema) convertFields(parent *node, fields map[string]any, keys map[string]string) (map[string]any, error) {
	obj := map[string]any{}
	for k, v := range keys {
		leaf := parent.children[k]
		if leaf == nil {
			return nil, fmt.Errorf("list %s has no key leaf %s", parent.name, k)
		}
		obj[k] = s.scalar(leaf, v)
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		v := fields[name]
		if _, isKey := keys[name]; isKey {
			continue
		}
		leaf := parent.children[name]
		if leaf == nil {
			if inner, keyLeaf, valLeaf := innerList(parent); inner != nil {
				// A list inside the list (CABLE_LENGTH): each field is an
				// entry, the field name its key and the value its leaf.
				val, err := s.value(valLeaf, v)
				if err != nil {
					return nil, fmt.Errorf("field %s: %w", name, err)
				}
				entries, _ := obj[inner.name].([]any)
				obj[inner.name] = append(entries, map[string]any{keyLeaf.name: s.scalar(keyLeaf, name), valLeaf.name: val})
				continue
			}
		}
		if leaf == nil || (leaf.kind != "leaf" && leaf.kind != "leaf-list") {
			// Unknown fields go through as strings so that yanglint
			// names them; dropping them would hide invented fields.
			obj[name] = fmt.Sprint(v)
			continue
		}
		val, err := s.value(leaf, v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
		obj[name] = val
	}
	return obj, nil
}

// innerList returns a list's only child list if that has one key and one
// other leaf, the shape sonic-yang-mgmt maps ConfigDB fields onto.
func innerList(l *node) (inner, key, val *node) {
	if l.kind != "list" || len(l.lists) != 1 {
		return nil, nil, nil
	}
	inner = l.lists[0]
	if len(inner.keys) != 1 || len(inner.children) != 2 {
		return nil, nil, nil
	}
	key = inner.children[inner.keys[0]]
	for _, c := range inner.children {
		if c != key {
			val = c
		}
	}
	if key == nil || val == nil || val.kind != "leaf" {
		return nil, nil, nil
	}
	return inner, key, val
}

func (s *Schema) value(leaf *node, v any) (any, error) {
	if leaf.kind == "leaf-list" {
		var items []string
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				str, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("list item %v is not a string", e)
				}
				items = append(items, str)
			}
		case string:
			sep := ","
			if leaf.name == "src_intf" {
				sep = ";" // NTP src_intf, see sonic_yang_ext
			}
			items = strings.Split(x, sep)
		default:
			return nil, fmt.Errorf("value %v is neither a string nor a list", v)
		}
		out := make([]any, len(items))
		for i, it := range items {
			out[i] = s.scalar(leaf, it)
		}
		return out, nil
	}
	str, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("value %v is not a string", v)
	}
	return s.scalar(leaf, str), nil
}

// scalar writes one ConfigDB string in the leaf's JSON encoding. A value
// that fits no encoding stays a string for yanglint to reject.
func (s *Schema) scalar(leaf *node, v string) any {
	k := s.leafKinds(leaf)
	switch {
	case k.number && isInteger(v):
		n, _ := strconv.ParseInt(v, 10, 64)
		return json.Number(strconv.FormatInt(n, 10)) // "007" is not a JSON number
	case k.boolean && (v == "true" || v == "false"):
		return v == "true"
	case k.empty && !k.str:
		return []any{nil}
	}
	return v
}

func isInteger(v string) bool {
	_, err := strconv.ParseInt(v, 10, 64)
	return err == nil
}
