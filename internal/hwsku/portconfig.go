package hwsku

import (
	"fmt"
	"slices"
	"strings"
)

// defaultColumns is what SONiC's portconfig.py assumes when a file has no
// header line.
var defaultColumns = []string{"name", "lanes", "alias", "index"}

// parsePortConfig parses a SONiC port_config.ini.
//
// It follows sonic-config-engine/portconfig.py: whitespace-separated columns;
// a '#' line containing a "name" column is the header and sets the column
// order for the rows after it; other '#' lines are comments; columns other
// than name, lanes, alias, index and speed (fec, valid_speeds, asic_port_name,
// ...) are accepted and ignored; a missing alias defaults to the name.
//
// It is stricter than SONiC where SONiC would silently produce a broken port
// table: malformed numbers, rows with one or with too many fields, duplicate
// names or aliases, and two ports with the same lane set (orchagent keys
// ports by lane set) are errors. A lane shared by two different lane sets is
// allowed because upstream ships one (Accton-AS7726-32X lane 128).
func parsePortConfig(data []byte) ([]Port, error) {
	cols := defaultColumns
	var ports []Port
	names := map[string]bool{}
	aliases := map[string]bool{}
	laneSets := map[string]string{} // sorted lanes -> port name

	for n, line := range strings.Split(string(data), "\n") {
		lineNo := n + 1
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			fields := strings.Fields(strings.TrimLeft(line, "#"))
			if !slices.Contains(fields, "name") {
				continue // plain comment
			}
			if err := checkHeader(fields); err != nil {
				return nil, fmt.Errorf("line %d: %w", lineNo, err)
			}
			cols = fields
			continue
		}

		fields := strings.Fields(line)
		if len(fields) < 2 {
			return nil, fmt.Errorf("line %d: need at least name and lanes, got %q", lineNo, line)
		}
		if len(fields) > len(cols) {
			return nil, fmt.Errorf("line %d: %d fields but header has %d columns", lineNo, len(fields), len(cols))
		}
		// Rows may stop before trailing optional columns (as in SONiC).
		row := map[string]string{}
		for i, f := range fields {
			row[cols[i]] = f
		}

		p, err := parseRow(row)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if names[p.Name] {
			return nil, fmt.Errorf("line %d: duplicate port name %q", lineNo, p.Name)
		}
		if aliases[p.Alias] {
			return nil, fmt.Errorf("line %d: duplicate alias %q", lineNo, p.Alias)
		}
		key := describeLanes(slices.Sorted(slices.Values(p.Lanes)))
		if other, dup := laneSets[key]; dup {
			return nil, fmt.Errorf("line %d: %s has the same lanes (%s) as %s", lineNo, p.Name, key, other)
		}
		names[p.Name], aliases[p.Alias], laneSets[key] = true, true, p.Name
		ports = append(ports, p)
	}
	if len(ports) == 0 {
		return nil, fmt.Errorf("no ports")
	}
	return ports, nil
}

func checkHeader(cols []string) error {
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c] {
			return fmt.Errorf("header repeats column %q", c)
		}
		seen[c] = true
	}
	if !seen["lanes"] {
		return fmt.Errorf("header has no lanes column")
	}
	return nil
}

func parseRow(row map[string]string) (Port, error) {
	var p Port
	var ok bool
	p.Name, ok = row["name"]
	if !ok {
		return p, fmt.Errorf("row has no name field")
	}
	if strings.HasPrefix(p.Name, "#") {
		// Would be read back as a comment if this port were ever written
		// out as the first column; no SONiC port is named like that.
		return p, fmt.Errorf("port name %q starts with '#'", p.Name)
	}
	lanes, ok := row["lanes"]
	if !ok {
		return p, fmt.Errorf("%s: no lanes field", p.Name)
	}
	seen := map[int]bool{}
	for _, s := range strings.Split(lanes, ",") {
		l, ok := atoi(s)
		if !ok {
			return p, fmt.Errorf("%s: bad lane %q in %q", p.Name, s, lanes)
		}
		if seen[l] {
			return p, fmt.Errorf("%s: lane %d listed twice", p.Name, l)
		}
		seen[l] = true
		p.Lanes = append(p.Lanes, l)
	}

	p.Alias = p.Name
	if a, ok := row["alias"]; ok {
		p.Alias = a
	}
	if s, ok := row["index"]; ok {
		if p.Index, ok = atoi(s); !ok {
			return p, fmt.Errorf("%s: bad index %q", p.Name, s)
		}
	}
	if s, ok := row["speed"]; ok {
		if p.Speed, ok = atoi(s); !ok || p.Speed == 0 {
			return p, fmt.Errorf("%s: bad speed %q", p.Name, s)
		}
	}
	return p, nil
}
