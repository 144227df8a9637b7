package ovn

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
)

// sbChassisScript lists the chassis and their encapsulations from a
// central member's southbound database (a follower answers too: reads
// need no leader).
var sbChassisScript = "set -e\n" +
	"ovn-sbctl --no-leader-only --timeout=20 --db=unix:" + sbDB.Sock + " --format=json --columns=name,other_config list Chassis\n" +
	"echo " + sbSeparator + "\n" +
	"ovn-sbctl --no-leader-only --timeout=20 --db=unix:" + sbDB.Sock + " --format=json --columns=chassis_name,type,ip list Encap\n"

const sbSeparator = "@@fundament-encap@@"

// controllerScript asks ovn-controller whether it is connected to the
// southbound database.
const controllerScript = "ovn-appctl --timeout=20 -t ovn-controller connection-status"

// sbChassis is a Chassis row with its Encap rows.
type sbChassis struct {
	Gateway bool // other_config:ovn-cms-options has enable-chassis-as-gw
	Encaps  []sbEncap
}

type sbEncap struct{ Type, IP string }

// ovsTable is ovn-sbctl's --format=json: rows of OVSDB values in the
// order of the headings.
type ovsTable struct {
	Headings []string            `json:"headings"`
	Data     [][]json.RawMessage `json:"data"`
}

// parseSBChassis reads sbChassisScript's output.
func parseSBChassis(out string) (map[string]*sbChassis, error) {
	chassisPart, encapPart, ok := strings.Cut(out, sbSeparator)
	if !ok {
		return nil, fmt.Errorf("southbound query: no Encap table in the output: %s", health.FirstLine(out))
	}
	chassisRows, err := parseOVSTable(chassisPart, "name", "other_config")
	if err != nil {
		return nil, fmt.Errorf("southbound Chassis table: %w", err)
	}
	encapRows, err := parseOVSTable(encapPart, "chassis_name", "type", "ip")
	if err != nil {
		return nil, fmt.Errorf("southbound Encap table: %w", err)
	}
	all := map[string]*sbChassis{}
	for _, row := range chassisRows {
		name, err := ovsString(row[0])
		if err != nil {
			return nil, fmt.Errorf("southbound Chassis name: %w", err)
		}
		cfg, err := ovsMap(row[1])
		if err != nil {
			return nil, fmt.Errorf("southbound Chassis %s other_config: %w", name, err)
		}
		all[name] = &sbChassis{Gateway: hasWord(cfg["ovn-cms-options"], "enable-chassis-as-gw")}
	}
	for _, row := range encapRows {
		var vals [3]string
		for i := range vals {
			if vals[i], err = ovsString(row[i]); err != nil {
				return nil, fmt.Errorf("southbound Encap row: %w", err)
			}
		}
		if ch := all[vals[0]]; ch != nil {
			ch.Encaps = append(ch.Encaps, sbEncap{Type: vals[1], IP: vals[2]})
		}
	}
	return all, nil
}

// parseOVSTable decodes a table and returns its rows with the columns
// named, in that order.
func parseOVSTable(text string, columns ...string) ([][]json.RawMessage, error) {
	var t ovsTable
	if err := json.Unmarshal([]byte(strings.TrimSpace(text)), &t); err != nil {
		return nil, err
	}
	idx := make([]int, len(columns))
	for i, c := range columns {
		idx[i] = -1
		for j, h := range t.Headings {
			if h == c {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("no column %s", c)
		}
	}
	var rows [][]json.RawMessage
	for _, d := range t.Data {
		row := make([]json.RawMessage, len(columns))
		for i, j := range idx {
			if j >= len(d) {
				return nil, fmt.Errorf("a row has %d values, fewer than the %d headings", len(d), len(t.Headings))
			}
			row[i] = d[j]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// ovsString decodes a string column (an empty set, ["set",[]], is "").
func ovsString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var tagged []json.RawMessage
	if err := json.Unmarshal(raw, &tagged); err != nil || len(tagged) != 2 {
		return "", fmt.Errorf("not a string: %s", raw)
	}
	var tag string
	var elems []string
	if json.Unmarshal(tagged[0], &tag) != nil || tag != "set" || json.Unmarshal(tagged[1], &elems) != nil || len(elems) > 1 {
		return "", fmt.Errorf("not a string: %s", raw)
	}
	if len(elems) == 1 {
		return elems[0], nil
	}
	return "", nil
}

// ovsMap decodes a string-to-string map column, ["map",[[k,v],...]].
func ovsMap(raw json.RawMessage) (map[string]string, error) {
	var tagged []json.RawMessage
	if err := json.Unmarshal(raw, &tagged); err != nil || len(tagged) != 2 {
		return nil, fmt.Errorf("not a map: %s", raw)
	}
	var tag string
	var pairs [][2]string
	if json.Unmarshal(tagged[0], &tag) != nil || tag != "map" || json.Unmarshal(tagged[1], &pairs) != nil {
		return nil, fmt.Errorf("not a map: %s", raw)
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		m[p[0]] = p[1]
	}
	return m, nil
}

// hasWord says whether a comma-separated option list has w.
func hasWord(list, w string) bool {
	for _, x := range strings.Split(list, ",") {
		if strings.TrimSpace(x) == w {
			return true
		}
	}
	return false
}

// parseConnectionStatus reads ovn-controller's connection-status.
func parseConnectionStatus(out string) (bool, error) {
	switch s := strings.TrimSpace(out); s {
	case "connected":
		return true, nil
	case "not connected":
		return false, nil
	default:
		return false, fmt.Errorf("unknown connection status %q", health.FirstLine(s))
	}
}

// controllerView is what a chassis' own ovn-controller said.
type controllerView struct {
	Connected bool
	Err       error
}

// evaluateChassis judges each chassis: registered in the southbound
// database under its host name, with one encapsulation of the model's
// type on its tunnel address, flagged as a gateway exactly when it is one,
// and its ovn-controller running and connected. A chassis that fails any
// of these is DEGRADED (the instances on it, or the routers it carries,
// are cut off; the rest of the network works). Without any southbound
// database to ask, the result is one DOWN for all chassis.
func evaluateChassis(t *topology, sb map[string]*sbChassis, sbErr error, ctrl map[string]controllerView) []health.Result {
	if sbErr != nil {
		r := health.Result{Target: "chassis", Status: health.Down, Reason: "no central member answered for the southbound database: " + sbErr.Error()}
		for _, ch := range t.Chassis {
			r.Hosts = append(r.Hosts, ch.Host)
		}
		return []health.Result{r}
	}
	var out []health.Result
	for _, ch := range t.Chassis {
		r := health.Result{Target: ch.Host, Hosts: []string{ch.Host}}
		var problems []string
		row := sb[ch.Host]
		if row == nil {
			problems = append(problems, "not registered in the southbound database")
		} else {
			want := sbEncap{Type: t.Encap, IP: ch.EncapIP.String()}
			switch {
			case len(row.Encaps) == 0:
				problems = append(problems, "registered without an encapsulation")
			case len(row.Encaps) > 1 || row.Encaps[0] != want:
				problems = append(problems, fmt.Sprintf("registered with encapsulation %s, want %s %s", describeEncaps(row.Encaps), want.Type, want.IP))
			}
			if row.Gateway != ch.Gateway {
				if ch.Gateway {
					problems = append(problems, "not registered as a gateway chassis (ovn-cms-options enable-chassis-as-gw)")
				} else {
					problems = append(problems, "registered as a gateway chassis, but is none")
				}
			}
		}
		switch v, ok := ctrl[ch.Host]; {
		case !ok:
		case v.Err != nil:
			problems = append(problems, "ovn-controller: "+v.Err.Error())
		case !v.Connected:
			problems = append(problems, "ovn-controller is not connected to the southbound database")
		}
		if len(problems) > 0 {
			r.Status, r.Reason = health.Degraded, strings.Join(problems, "; ")
		} else {
			role := "chassis"
			if ch.Gateway {
				role = "gateway chassis"
			}
			r.Status, r.Reason = health.OK, fmt.Sprintf("%s, %s %s, ovn-controller connected", role, t.Encap, ch.EncapIP)
		}
		out = append(out, r)
	}
	return out
}

func describeEncaps(es []sbEncap) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Type+" "+e.IP)
	}
	return strings.Join(out, ", ")
}
