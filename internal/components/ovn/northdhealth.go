package ovn

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
)

// northdScript asks ovn-northd whether it holds the southbound lock.
const northdScript = "ovn-appctl --timeout=20 -t ovn-northd status"

// parseNorthdStatus reads `ovn-appctl -t ovn-northd status`: "Status:
// active", "standby" or "paused".
func parseNorthdStatus(out string) (string, error) {
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "Status" {
			switch v = strings.TrimSpace(v); v {
			case "active", "standby", "paused":
				return v, nil
			default:
				return "", fmt.Errorf("unknown ovn-northd status %q", v)
			}
		}
	}
	return "", fmt.Errorf("no status in the output of ovn-northd: %s", health.FirstLine(out))
}

// northdView is one central host's ovn-northd.
type northdView struct {
	Host   string
	Status string
	Err    error
}

// evaluateNorthd wants exactly one active ovn-northd (the one holding the
// southbound database's lock), and every other one standing by: none
// active is DOWN (logical flows are not updated), two are DEGRADED, and
// so is an instance that is stopped, paused or cannot be asked (one
// standby fewer), which the result then names in Hosts; otherwise it
// names every central host.
func evaluateNorthd(views []northdView) health.Result {
	r := health.Result{Target: "ovn-northd"}
	var all, active, standby, problems, faulty []string
	for _, v := range views {
		all = append(all, v.Host)
		switch {
		case v.Err != nil:
			faulty = append(faulty, v.Host)
			problems = append(problems, fmt.Sprintf("%s: %v", v.Host, v.Err))
		case v.Status == "active":
			active = append(active, v.Host)
		case v.Status == "standby":
			standby = append(standby, v.Host)
		default:
			faulty = append(faulty, v.Host)
			problems = append(problems, fmt.Sprintf("%s is %s", v.Host, v.Status))
		}
	}
	sort.Strings(problems)
	r.Hosts = all
	desc := "active on " + orNone(active) + ", standby on " + orNone(standby)
	switch {
	case len(active) == 0:
		r.Status, r.Reason = health.Down, "no active ovn-northd: logical flows are not updated; "+desc
	case len(active) > 1:
		r.Status, r.Reason = health.Degraded, "more than one active ovn-northd ("+strings.Join(active, ", ")+"): they hold the lock of different southbound databases"
	case len(problems) > 0:
		r.Status, r.Reason, r.Hosts = health.Degraded, desc, faulty
	default:
		r.Status, r.Reason = health.OK, desc
	}
	if len(problems) > 0 {
		r.Reason += "; " + strings.Join(problems, "; ")
	}
	return r
}

func orNone(hosts []string) string {
	if len(hosts) == 0 {
		return "none"
	}
	return strings.Join(hosts, ", ")
}
