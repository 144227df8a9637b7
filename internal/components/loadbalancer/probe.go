package loadbalancer

import (
	"encoding/csv"
	"fmt"
	"net/netip"
	"strings"
)

// probeScript reports, read-only, what the checks need of a member: the
// state of both services, the addresses it holds, and HAProxy's
// statistics from its socket (show stat, CSV).
const probeScript = `printf 'haproxy=%s\n' "$(systemctl is-active haproxy.service 2>/dev/null | head -n 1)"
printf 'keepalived=%s\n' "$(systemctl is-active keepalived.service 2>/dev/null | head -n 1)"
ip -o addr show | while read -r _ dev _ addr _; do printf 'addr=%s\n' "${addr%/*}"; done
if ! command -v socat >/dev/null 2>&1; then
	echo 'stats-error=socat is not installed'
elif [ ! -S ` + statsSocket + ` ]; then
	echo 'stats-error=no statistics socket ` + statsSocket + `'
elif ! out=$(echo 'show stat' | socat -t 5 stdio unix-connect:` + statsSocket + ` 2>&1); then
	printf 'stats-error=%s\n' "$(echo "$out" | head -n 1)"
else
	echo "$out" | sed -n 's/^/stat=/p'
fi
`

// memberView is what the probe found on a member.
type memberView struct {
	Host string
	// Err: the member could not be probed (unreachable).
	Err        error
	HAProxy    string // systemctl is-active: active, inactive, failed, ...
	Keepalived string
	Addrs      map[netip.Addr]bool
	// Servers are HAProxy's servers by backend (nil with StatsErr).
	Servers  map[string][]serverState
	StatsErr string
}

// serverState is one line of show stat about a server.
type serverState struct {
	Name   string
	Status string // UP, DOWN, "UP 1/3", MAINT, no check, ...
	Backup bool
	Check  string // check_status: L7OK, L4CON, L7STS, ...
}

// up: the server takes traffic (going down but not yet down counts).
func (s serverState) up() bool {
	for _, p := range []string{"UP", "NOLB", "DRAIN", "no check"} {
		if strings.HasPrefix(s.Status, p) {
			return true
		}
	}
	return false
}

func parseProbe(host, out string) memberView {
	v := memberView{Host: host, Addrs: map[netip.Addr]bool{}}
	var stat []string
	for _, line := range strings.Split(out, "\n") {
		k, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch k {
		case "haproxy":
			v.HAProxy = val
		case "keepalived":
			v.Keepalived = val
		case "addr":
			if a, err := netip.ParseAddr(val); err == nil {
				v.Addrs[a] = true
			}
		case "stat":
			stat = append(stat, val)
		case "stats-error":
			v.StatsErr = val
		}
	}
	if v.StatsErr == "" {
		servers, err := parseStat(strings.Join(stat, "\n"))
		if err != nil {
			v.StatsErr = err.Error()
		}
		v.Servers = servers
	}
	return v
}

// parseStat reads HAProxy's show stat: a CSV whose header line starts
// with "# ", one line per frontend, backend and server.
func parseStat(out string) (map[string][]serverState, error) {
	out = strings.TrimPrefix(strings.TrimSpace(out), "# ")
	if out == "" {
		return nil, fmt.Errorf("HAProxy's statistics are empty")
	}
	r := csv.NewReader(strings.NewReader(out))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("HAProxy's statistics do not parse: %w", err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"pxname", "svname", "status", "bck", "check_status"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("HAProxy's statistics have no column %s", h)
		}
	}
	get := func(row []string, h string) string {
		if i := col[h]; i < len(row) {
			return row[i]
		}
		return ""
	}
	servers := map[string][]serverState{}
	for _, row := range rows[1:] {
		px, sv := get(row, "pxname"), get(row, "svname")
		if sv == "FRONTEND" || sv == "BACKEND" || px == "" {
			continue
		}
		servers[px] = append(servers[px], serverState{Name: sv, Status: get(row, "status"),
			Backup: get(row, "bck") == "1", Check: get(row, "check_status")})
	}
	return servers, nil
}
