package sonic

import (
	"fmt"
	"io"
	"maps"
	"slices"
)

// ownership says how far Fundament owns a table of config_db.json.
type ownership int

const (
	// ownRows: Fundament's rows are the table; other rows and fields are
	// to be removed.
	ownRows ownership = iota
	// ownFields: Fundament adds and removes rows, but of a row it owns
	// only the fields it writes; fields the platform or an operator set
	// (PORT fec, DEVICE_METADATA buffer_model, ...) stay.
	ownFields
)

// managed are the tables the renderer writes. The rest of a switch's
// config_db.json (FEATURE, CRM, ACLs, ...) is not Fundament's and is left
// out of a diff. VERSIONS is not compared: db_migrator advances it on the
// switch.
var managed = map[string]ownership{
	"BGP_GLOBALS": ownRows, "BGP_GLOBALS_AF": ownRows, "BGP_NEIGHBOR": ownRows, "BGP_NEIGHBOR_AF": ownRows,
	"BREAKOUT_CFG": ownRows, "DEVICE_METADATA": ownFields, "DNS_NAMESERVER": ownRows, "INTERFACE": ownRows,
	"LOOPBACK_INTERFACE": ownRows, "MCLAG_DOMAIN": ownRows, "MCLAG_INTERFACE": ownRows,
	"MGMT_INTERFACE": ownRows, "MGMT_PORT": ownFields, "MGMT_VRF_CONFIG": ownRows, "NTP": ownFields,
	"NTP_SERVER": ownRows, "PORT": ownFields, "PORTCHANNEL": ownRows, "PORTCHANNEL_MEMBER": ownRows,
	"ROUTE_MAP": ownRows, "ROUTE_MAP_SET": ownRows, "ROUTE_REDISTRIBUTE": ownRows, "SAG": ownRows,
	"SYSLOG_SERVER": ownRows, "VLAN": ownRows, "VLAN_INTERFACE": ownRows, "VLAN_MEMBER": ownRows,
	"VXLAN_EVPN_NVO": ownRows, "VXLAN_TUNNEL": ownRows, "VXLAN_TUNNEL_MAP": ownRows,
}

// Change is a row that differs between a switch's current ConfigDB and
// the rendered one.
type Change struct {
	Table  string        `json:"table"`
	Key    string        `json:"key"`
	Op     string        `json:"op"` // add, remove or change
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field of a changed (or added) row.
type FieldChange struct {
	Field string `json:"field"`
	Op    string `json:"op"` // add, remove or change
	Old   any    `json:"old,omitempty"`
	New   any    `json:"new,omitempty"`
}

// Diff compares a switch's current ConfigDB with the rendered one, table
// by table in the tables Fundament manages, sorted by table and key. It
// also returns the tables of current it leaves alone.
func Diff(current, desired ConfigDB) (changes []Change, unmanaged []string) {
	tables := map[string]bool{}
	for t := range current {
		if _, ok := managed[t]; ok {
			tables[t] = true
		} else if t != "VERSIONS" {
			unmanaged = append(unmanaged, t)
		}
	}
	for t := range desired {
		if _, ok := managed[t]; ok {
			tables[t] = true
		}
	}
	slices.Sort(unmanaged)
	for _, t := range slices.Sorted(maps.Keys(tables)) {
		cur, want := current[t], desired[t]
		keys := map[string]bool{}
		for k := range cur {
			keys[k] = true
		}
		for k := range want {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			c, inCur := cur[k]
			w, inWant := want[k]
			switch {
			case !inCur:
				changes = append(changes, Change{Table: t, Key: k, Op: "add", Fields: fieldDiff(nil, w, ownRows)})
			case !inWant:
				changes = append(changes, Change{Table: t, Key: k, Op: "remove"})
			default:
				if fd := fieldDiff(c, w, managed[t]); len(fd) > 0 {
					changes = append(changes, Change{Table: t, Key: k, Op: "change", Fields: fd})
				}
			}
		}
	}
	return changes, unmanaged
}

func fieldDiff(cur, want Fields, own ownership) []FieldChange {
	names := map[string]bool{}
	for f := range want {
		names[f] = true
	}
	if own == ownRows {
		for f := range cur {
			names[f] = true
		}
	}
	var out []FieldChange
	for _, f := range slices.Sorted(maps.Keys(names)) {
		c, inCur := cur[f]
		w, inWant := want[f]
		switch {
		case !inCur:
			out = append(out, FieldChange{Field: f, Op: "add", New: w})
		case !inWant:
			out = append(out, FieldChange{Field: f, Op: "remove", Old: c})
		case fieldString(c) != fieldString(w):
			out = append(out, FieldChange{Field: f, Op: "change", Old: c, New: w})
		}
	}
	return out
}

// Counts tallies changes by operation.
func Counts(changes []Change) (add, change, remove int) {
	for _, c := range changes {
		switch c.Op {
		case "add":
			add++
		case "remove":
			remove++
		default:
			change++
		}
	}
	return add, change, remove
}

// WriteDiff prints changes readably: + for rows to add (with their
// fields), ~ for rows to change (with the fields that change), - for rows
// to remove.
func WriteDiff(w io.Writer, name string, changes []Change, unmanaged []string) {
	add, change, remove := Counts(changes)
	if len(changes) == 0 {
		fmt.Fprintf(w, "%s: no changes\n", name)
	} else {
		fmt.Fprintf(w, "%s: %d to add, %d to change, %d to remove\n", name, add, change, remove)
	}
	sign := map[string]string{"add": "+", "remove": "-", "change": "~"}
	for _, c := range changes {
		fmt.Fprintf(w, "  %s %s %s\n", sign[c.Op], c.Table, c.Key)
		for _, f := range c.Fields {
			switch {
			case c.Op == "add":
				fmt.Fprintf(w, "      %s: %s\n", f.Field, fieldString(f.New))
			case f.Op == "add":
				fmt.Fprintf(w, "      + %s: %s\n", f.Field, fieldString(f.New))
			case f.Op == "remove":
				fmt.Fprintf(w, "      - %s: %s\n", f.Field, fieldString(f.Old))
			default:
				fmt.Fprintf(w, "      %s: %s -> %s\n", f.Field, fieldString(f.Old), fieldString(f.New))
			}
		}
	}
	switch n := len(unmanaged); {
	case n == 1:
		fmt.Fprintf(w, "  (1 table Fundament does not manage is left as it is: %s)\n", unmanaged[0])
	case n > 1:
		fmt.Fprintf(w, "  (%d tables Fundament does not manage are left as they are)\n", n)
	}
}
