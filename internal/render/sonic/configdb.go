package sonic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ConfigDB is a SONiC config_db.json: table -> key -> field -> value. A
// value is a string, or a []string for a leaf-list (route_map_in, ...):
// the two shapes `config save` writes.
type ConfigDB map[string]map[string]Fields

// Fields are one row's fields.
type Fields map[string]any

// set adds a row, merging its fields into an existing row of that key.
func (db ConfigDB) set(table, key string, f Fields) {
	rows := db[table]
	if rows == nil {
		rows = map[string]Fields{}
		db[table] = rows
	}
	row := rows[key]
	if row == nil {
		row = Fields{}
		rows[key] = row
	}
	maps.Copy(row, f)
}

// key joins key parts the ConfigDB way.
func key(parts ...string) string { return strings.Join(parts, "|") }

// Marshal writes the document as SONiC's `config save` does (json.dump
// with indent=4 and sorted keys) plus a final newline, so the output is
// byte-for-byte stable and diffs cleanly against a saved file.
func (db ConfigDB) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(db); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ParseConfigDB reads a config_db.json, such as a switch's current
// /etc/sonic/config_db.json. Numbers and booleans become strings, as
// Redis stores every value as a string; anything that is not an object of
// objects of scalar or list fields is an error naming where it is.
func ParseConfigDB(data []byte) (ConfigDB, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a config_db.json: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a config_db.json: data after the top-level object")
	}
	if raw == nil {
		return nil, fmt.Errorf("not a config_db.json: the top level is null, not an object")
	}
	db := ConfigDB{}
	for _, table := range slices.Sorted(maps.Keys(raw)) {
		rows, ok := raw[table].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("table %s: want an object of rows, got %s", table, jsonKind(raw[table]))
		}
		db[table] = map[string]Fields{}
		for _, k := range slices.Sorted(maps.Keys(rows)) {
			obj, ok := rows[k].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s|%s: want an object of fields, got %s", table, k, jsonKind(rows[k]))
			}
			f := Fields{}
			for name, v := range obj {
				val, err := fieldValue(v)
				if err != nil {
					return nil, fmt.Errorf("%s|%s field %s: %w", table, k, name, err)
				}
				f[name] = val
			}
			db[table][k] = f
		}
	}
	return db, nil
}

func fieldValue(v any) (any, error) {
	if list, ok := v.([]any); ok {
		out := make([]string, len(list))
		for i, e := range list {
			s, ok := scalar(e)
			if !ok {
				return nil, fmt.Errorf("list item %d: want a string, got %s", i, jsonKind(e))
			}
			out[i] = s
		}
		return out, nil
	}
	s, ok := scalar(v)
	if !ok {
		return nil, fmt.Errorf("want a string or a list, got %s", jsonKind(v))
	}
	return s, nil
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return fmt.Sprint(x), true
	}
	return "", false
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// fieldString renders a value for messages and diffs.
func fieldString(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return fmt.Sprint(v)
}
