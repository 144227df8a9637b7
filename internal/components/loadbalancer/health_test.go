package loadbalancer

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
)

// statHeader is the start of HAProxy's show stat header (the columns up
// to check_status; HAProxy 3.0 prints more after them).
const statHeader = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,"

// statLine is a line of show stat with the columns the checks read.
func statLine(px, sv, status, bck, check string) string {
	f := make([]string, 38)
	f[0], f[1], f[17], f[20], f[36] = px, sv, status, bck, check
	return strings.Join(f, ",")
}

func sampleStat(ks, galera [3]string) string {
	lines := []string{statHeader,
		statLine("stats", "FRONTEND", "OPEN", "", ""),
		statLine("keystone_internal", "FRONTEND", "OPEN", "", ""),
	}
	for i, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
		lines = append(lines, statLine(keystone.Service.Name, h, ks[i], "0", "L7OK"))
	}
	lines = append(lines, statLine(keystone.Service.Name, "BACKEND", "UP", "", ""))
	for i, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
		bck := "1"
		if i == 0 {
			bck = "0"
		}
		lines = append(lines, statLine("galera", h, galera[i], bck, "L7OK"))
	}
	return strings.Join(lines, "\n")
}

func probeOut(haproxy, keepalived string, addrs []string, stat string) string {
	var b strings.Builder
	b.WriteString("haproxy=" + haproxy + "\nkeepalived=" + keepalived + "\n")
	for _, a := range append([]string{"127.0.0.1", "10.199.0.11"}, addrs...) {
		b.WriteString("addr=" + a + "\n")
	}
	for _, line := range strings.Split(stat, "\n") {
		b.WriteString("stat=" + line + "\n")
	}
	return b.String()
}

func TestParseProbe(t *testing.T) {
	v := parseProbe("ctl-1", probeOut("active", "active", []string{"10.199.20.10"}, sampleStat([3]string{"UP", "DOWN", "UP 2/3"}, [3]string{"UP", "UP", "MAINT"})))
	if v.HAProxy != "active" || v.Keepalived != "active" || !v.Addrs[netip.MustParseAddr("10.199.20.10")] || v.StatsErr != "" {
		t.Fatalf("%+v", v)
	}
	ks := v.Servers[keystone.Service.Name]
	if len(ks) != 3 || !ks[0].up() || ks[1].up() || !ks[2].up() || ks[0].Check != "L7OK" {
		t.Errorf("keystone servers %+v", ks)
	}
	gs := v.Servers["galera"]
	if len(gs) != 3 || gs[0].Backup || !gs[1].Backup || gs[2].up() {
		t.Errorf("galera servers %+v", gs)
	}
	if _, ok := v.Servers["stats"]; ok {
		t.Error("a frontend counted as a backend")
	}
	if v := parseProbe("ctl-1", "haproxy=active\nkeepalived=active\nstats-error=socat is not installed\n"); v.StatsErr != "socat is not installed" || v.Servers != nil {
		t.Errorf("without socat: %+v", v)
	}
	if v := parseProbe("ctl-1", "haproxy=active\nstat=garbage\n"); v.StatsErr == "" {
		t.Errorf("garbage statistics parse: %+v", v)
	}
}

func labTopology(t *testing.T) *topology {
	return mustTopology(t, example.Load(t, "lab"))
}

// view makes a member's view: holding the given virtual IPs, with both
// services active unless down names one.
func view(host string, holds []string, down ...string) memberView {
	v := memberView{Host: host, HAProxy: "active", Keepalived: "active", Addrs: map[netip.Addr]bool{}}
	for _, a := range holds {
		v.Addrs[netip.MustParseAddr(a)] = true
	}
	for _, d := range down {
		switch d {
		case "haproxy":
			v.HAProxy = "inactive"
		case "keepalived":
			v.Keepalived = "failed"
		case "unreachable":
			v = memberView{Host: host, Err: errors.New("dial tcp: connection refused")}
		}
	}
	v.Servers, _ = parseStat(sampleStat([3]string{"UP", "UP", "UP"}, [3]string{"UP", "UP", "UP"}))
	return v
}

func TestEvaluateVIP(t *testing.T) {
	top := labTopology(t)
	internal := *top.vip("internal")
	const vip = "10.199.20.10"
	tests := []struct {
		name   string
		views  []memberView
		status health.Status
		hosts  []string
		reason string
	}{
		{"one holder", []memberView{view("ctl-1", []string{vip}), view("ctl-2", nil), view("ctl-3", nil)},
			health.OK, []string{"ctl-1", "ctl-2", "ctl-3"}, "10.199.20.10 is held by ctl-1"},
		{"no holder", []memberView{view("ctl-1", nil), view("ctl-2", nil), view("ctl-3", nil)},
			health.Down, []string{"ctl-1", "ctl-2", "ctl-3"}, "10.199.20.10 is held by no member: the endpoint is unreachable"},
		{"split brain", []memberView{view("ctl-1", []string{vip}), view("ctl-2", []string{vip}), view("ctl-3", nil)},
			health.Degraded, []string{"ctl-1", "ctl-2"}, "10.199.20.10 is held by ctl-1 and ctl-2 at once (split brain: they do not hear each other's VRRP)"},
		{"holder stopped, moved", []memberView{view("ctl-1", nil, "unreachable"), view("ctl-2", []string{vip}), view("ctl-3", nil)},
			health.Degraded, []string{"ctl-1"}, "10.199.20.10 is held by ctl-2; ctl-1 is unreachable (dial tcp: connection refused)"},
		{"haproxy down on a backup", []memberView{view("ctl-1", []string{vip}), view("ctl-2", nil), view("ctl-3", nil, "haproxy")},
			health.Degraded, []string{"ctl-3"}, "10.199.20.10 is held by ctl-1; ctl-3: haproxy is inactive"},
		{"keepalived down", []memberView{view("ctl-1", []string{vip}), view("ctl-2", nil, "keepalived"), view("ctl-3", nil)},
			health.Degraded, []string{"ctl-2"}, "10.199.20.10 is held by ctl-1; ctl-2: keepalived is failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := evaluateVIP(internal, tt.views)
			if r.Status != tt.status || !slices.Equal(r.Hosts, tt.hosts) || r.Reason != tt.reason || r.Target != "internal" {
				t.Errorf("got %s %v %q", r.Status, r.Hosts, r.Reason)
			}
		})
	}
}

func TestEvaluateMembers(t *testing.T) {
	top := labTopology(t)
	tests := []struct {
		v                   memberView
		haproxy, keepalived string
	}{
		{view("ctl-1", []string{"10.199.20.10", "10.199.100.10"}), "OK running; backends keystone 3/3 up, galera 3/3 up", "OK running, holds internal, public"},
		{view("ctl-2", nil), "OK running; backends keystone 3/3 up, galera 3/3 up", "OK running, holds no virtual IP"},
		{view("ctl-3", nil, "haproxy", "keepalived"), "DOWN haproxy.service is inactive", "DOWN keepalived.service is failed"},
		{view("ctl-3", nil, "unreachable"), "DOWN unreachable: dial tcp: connection refused", "DOWN unreachable: dial tcp: connection refused"},
		{memberView{Host: "ctl-2", HAProxy: "active", Keepalived: "active", StatsErr: "socat is not installed"}, "DEGRADED running, but its statistics cannot be read: socat is not installed", "OK running, holds no virtual IP"},
	}
	for _, tt := range tests {
		h, k := evaluateHAProxy(top, tt.v), evaluateKeepalived(top, tt.v)
		if got := h.Status.String() + " " + h.Reason; got != tt.haproxy || !slices.Equal(h.Hosts, []string{tt.v.Host}) {
			t.Errorf("haproxy on %s: %s %v", tt.v.Host, got, h.Hosts)
		}
		if got := k.Status.String() + " " + k.Reason; got != tt.keepalived {
			t.Errorf("keepalived on %s: %s", tt.v.Host, got)
		}
	}
}

func TestEvaluateBackends(t *testing.T) {
	top := labTopology(t)
	withStat := func(v memberView, ks, galera [3]string) memberView {
		v.Servers, _ = parseStat(sampleStat(ks, galera))
		return v
	}
	up := [3]string{"UP", "UP", "UP"}
	// The holder of the internal virtual IP is the one asked.
	views := []memberView{
		withStat(view("ctl-1", nil), [3]string{"DOWN", "DOWN", "DOWN"}, up),
		withStat(view("ctl-2", []string{"10.199.20.10"}), [3]string{"UP", "DOWN", "UP"}, [3]string{"DOWN", "UP", "UP"}),
		view("ctl-3", nil, "unreachable"),
	}
	rs := evaluateBackends(top, views)
	want := []string{
		"keystone DEGRADED [ctl-2]: 2/3 up as ctl-2's HAProxy sees them; down: ctl-2 DOWN (L7OK)",
		"galera DEGRADED [ctl-1]: 2/3 up as ctl-2's HAProxy sees them; connections go to ctl-2 (a backup); down: ctl-1 DOWN (L7OK)",
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.Target+" "+r.Status.String()+" "+strings.Join([]string{"[", strings.Join(r.Hosts, " "), "]"}, "")+": "+r.Reason)
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	views[1] = withStat(views[1], [3]string{"DOWN", "DOWN", "DOWN"}, up)
	rs = evaluateBackends(top, views)
	if rs[0].Status != health.Down || rs[1].Status != health.OK || rs[1].Reason != "3/3 up as ctl-2's HAProxy sees them; connections go to ctl-1" {
		t.Errorf("keystone down, galera up: %+v", rs)
	}
	rs = evaluateBackends(top, []memberView{view("ctl-1", nil, "unreachable")})
	if len(rs) != 2 || rs[0].Status != health.Down || rs[0].Reason != "no member's HAProxy can be asked" {
		t.Errorf("no HAProxy: %+v", rs)
	}
}

func TestHealthChecksComponents(t *testing.T) {
	checks := Component{}.HealthChecks(example.Load(t, "lab"))
	var got []string
	for _, c := range checks {
		got = append(got, c.Layer+"/"+c.Name+"/"+c.Component)
	}
	want := []string{"loadbalancer/vip/loadbalancer", "loadbalancer/haproxy/loadbalancer", "loadbalancer/keepalived/loadbalancer", "loadbalancer/haproxy-backends/loadbalancer/backends"}
	if !slices.Equal(got, want) {
		t.Errorf("checks %v", got)
	}
}
