package loadbalancer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
)

// memberProblem says what keeps a member from serving or taking over a
// virtual IP ("" when nothing does).
func memberProblem(v memberView) string {
	switch {
	case v.Err != nil:
		return fmt.Sprintf("%s is unreachable (%v)", v.Host, v.Err)
	case v.HAProxy != "active":
		return fmt.Sprintf("%s: haproxy is %s", v.Host, orUnknown(v.HAProxy))
	case v.Keepalived != "active":
		return fmt.Sprintf("%s: keepalived is %s", v.Host, orUnknown(v.Keepalived))
	}
	return ""
}

// evaluateVIP wants exactly one member holding the virtual IP, and every
// other member ready to take it over: no holder is DOWN (the endpoint is
// unreachable), two or more are DEGRADED (split brain: the network
// between them is cut, or they cannot hear each other), and so is a
// member whose HAProxy or keepalived is down or that cannot be reached.
// The result names the members at fault, or every member when it is OK
// or DOWN.
func evaluateVIP(vip vip, views []memberView) health.Result {
	r := health.Result{Target: vip.Name}
	var all, holders, faulty, problems []string
	for _, v := range views {
		all = append(all, v.Host)
		if v.Err == nil && v.Addrs[vip.Addr] {
			holders = append(holders, v.Host)
		}
		if p := memberProblem(v); p != "" {
			faulty = append(faulty, v.Host)
			problems = append(problems, p)
		}
	}
	r.Hosts = all
	switch {
	case len(holders) == 0:
		r.Status, r.Reason = health.Down, fmt.Sprintf("%s is held by no member: the endpoint is unreachable", vip.Addr)
	case len(holders) > 1:
		r.Status, r.Reason, r.Hosts = health.Degraded, fmt.Sprintf("%s is held by %s at once (split brain: they do not hear each other's VRRP)", vip.Addr, strings.Join(holders, " and ")), holders
	case len(problems) > 0:
		r.Status, r.Reason, r.Hosts = health.Degraded, fmt.Sprintf("%s is held by %s", vip.Addr, holders[0]), faulty
	default:
		r.Status, r.Reason = health.OK, fmt.Sprintf("%s is held by %s", vip.Addr, holders[0])
	}
	if len(problems) > 0 {
		r.Reason += "; " + strings.Join(problems, "; ")
	}
	return r
}

// evaluateHAProxy: HAProxy runs on the member and answers on its
// statistics socket; the reason sums up its backends.
func evaluateHAProxy(t *topology, v memberView) health.Result {
	r := health.Result{Target: v.Host, Hosts: []string{v.Host}}
	switch {
	case v.Err != nil:
		r.Status, r.Reason = health.Down, fmt.Sprintf("unreachable: %v", v.Err)
	case v.HAProxy != "active":
		r.Status, r.Reason = health.Down, "haproxy.service is "+orUnknown(v.HAProxy)
	case v.StatsErr != "":
		r.Status, r.Reason = health.Degraded, "running, but its statistics cannot be read: "+v.StatsErr
	default:
		var parts []string
		for _, b := range t.backendNames() {
			ss := v.Servers[b]
			up := 0
			for _, s := range ss {
				if s.up() {
					up++
				}
			}
			parts = append(parts, fmt.Sprintf("%s %d/%d up", b, up, len(ss)))
		}
		r.Status, r.Reason = health.OK, "running"
		if len(parts) > 0 {
			r.Reason += "; backends " + strings.Join(parts, ", ")
		}
	}
	return r
}

// evaluateKeepalived: keepalived runs on the member; the reason says
// which virtual IPs the member holds.
func evaluateKeepalived(t *topology, v memberView) health.Result {
	r := health.Result{Target: v.Host, Hosts: []string{v.Host}}
	switch {
	case v.Err != nil:
		r.Status, r.Reason = health.Down, fmt.Sprintf("unreachable: %v", v.Err)
	case v.Keepalived != "active":
		r.Status, r.Reason = health.Down, "keepalived.service is "+orUnknown(v.Keepalived)
	default:
		var held []string
		for _, vip := range t.VIPs {
			if v.Addrs[vip.Addr] {
				held = append(held, vip.Name)
			}
		}
		r.Status, r.Reason = health.OK, "running, holds no virtual IP"
		if len(held) > 0 {
			r.Reason = "running, holds " + strings.Join(held, ", ")
		}
	}
	return r
}

// evaluateBackends reports each backend as HAProxy sees it, on the member
// that holds the internal virtual IP (else the first that answers): OK
// when every server is up, DEGRADED when some are down, DOWN when none
// is up (the API, or the database, is unreachable through the virtual
// IPs). Results name the servers' hosts that are down, or all of them.
func evaluateBackends(t *topology, views []memberView) []health.Result {
	var seer *memberView
	for i := range views {
		v := &views[i]
		if v.Err != nil || v.HAProxy != "active" || v.StatsErr != "" {
			continue
		}
		if seer == nil {
			seer = v
		}
		if in := t.vip("internal"); in != nil && v.Addrs[in.Addr] {
			seer = v
			break
		}
	}
	var out []health.Result
	for _, b := range t.backendNames() {
		r := health.Result{Target: b, Hosts: t.backendHosts(b)}
		if seer == nil {
			r.Status, r.Reason = health.Down, "no member's HAProxy can be asked"
			out = append(out, r)
			continue
		}
		var up, down []string
		var active, backups []string
		for _, s := range seer.Servers[b] {
			if !s.up() {
				down = append(down, fmt.Sprintf("%s %s (%s)", s.Name, s.Status, orUnknown(s.Check)))
				continue
			}
			up = append(up, s.Name)
			if s.Backup {
				backups = append(backups, s.Name)
			} else {
				active = append(active, s.Name)
			}
		}
		total := len(up) + len(down)
		r.Reason = fmt.Sprintf("%d/%d up as %s's HAProxy sees them", len(up), total, seer.Host)
		if b == "galera" && len(up) > 0 {
			serving := strings.Join(active, ", ")
			if serving == "" {
				serving = backups[0] + " (a backup)"
			}
			r.Reason += "; connections go to " + serving
		}
		switch {
		case total == 0:
			r.Status, r.Reason = health.Down, fmt.Sprintf("%s's HAProxy has no backend %s", seer.Host, b)
		case len(up) == 0:
			r.Status = health.Down
		case len(down) > 0:
			r.Status = health.Degraded
		default:
			r.Status = health.OK
		}
		if len(down) > 0 {
			sort.Strings(down)
			r.Reason += "; down: " + strings.Join(down, ", ")
			r.Hosts = nil
			for _, d := range down {
				name, _, _ := strings.Cut(d, " ")
				r.Hosts = append(r.Hosts, name)
			}
		}
		out = append(out, r)
	}
	return out
}

// backendNames are the backends of haproxy.cfg, in its order.
func (t *topology) backendNames() []string {
	var out []string
	for _, a := range t.APIs {
		out = append(out, a.Name)
	}
	if len(t.Galera) > 0 && t.vip("internal") != nil {
		out = append(out, "galera")
	}
	return out
}

func (t *topology) backendHosts(b string) []string {
	servers := t.Galera
	for _, a := range t.APIs {
		if a.Name == b {
			servers = a.Servers
		}
	}
	var out []string
	for _, s := range servers {
		out = append(out, s.Host)
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
