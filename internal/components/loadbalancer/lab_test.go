package loadbalancer_test

// The load balancer's integration test: a lab of examples/lab (on its own
// prefix and addresses) with the fabric and the load balancer applied;
// then one holder per virtual IP, the public endpoint answering TLS from
// the machine (through the lab's route to the external network) verified
// against the generated CA, a re-apply that changes nothing, HAProxy
// stopped on the holder (the virtual IPs move), and the holder powered off
// (they move, status is DEGRADED and names it) and on again (status OK).
//
// It needs root and the lab's tools; the lab image is built (debootstrap)
// the first time and cached. Run it alone:
//
//	go test ./internal/components/loadbalancer -run TestLabLoadBalancer -v -timeout 40m

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
)

const (
	labPrefix = "flb"
	// labNet replaces examples/lab's 10.199.: clear of the labs of the
	// other tests and of a developer's examples/lab.
	labNet = "10.193."
)

// components are what the test applies: the load balancer, and the
// fabric, whose leaves carry the VLANs between the hosts in the lab (the
// load balancer does not depend on switches: in production they are
// SONiC, configured outside the catalog).
const components = "fabric,loadbalancer"

var members = []string{"ctl-1", "ctl-2", "ctl-3"}

// failoverLimit bounds a failover: VRRP takes about 3.5 s (three adverts
// of 1 s and the skew), the track script up to 4 s; the rest is slack
// for a loaded machine.
const failoverLimit = 20 * time.Second

type lbLab struct{ *labtest.Lab }

// withoutBackends leaves out the load balancer's backends check: the APIs
// and Galera behind HAProxy are not deployed here.
func withoutBackends(rs []health.Result) []health.Result {
	var out []health.Result
	for _, r := range rs {
		if r.Check != "haproxy-backends" {
			out = append(out, r)
		}
	}
	return out
}

// status returns the load balancer's results of fundament status, but
// those of its backends.
func (l *lbLab) status() []health.Result { return withoutBackends(l.Status("", "loadbalancer")) }

func (l *lbLab) waitStatus(what string, limit time.Duration, ok func([]health.Result) bool) []health.Result {
	l.T.Helper()
	return withoutBackends(l.WaitStatus(what, limit, func(rs []health.Result) bool { return ok(withoutBackends(rs)) }, "", "loadbalancer"))
}

// in runs a script on a lab host.
func (l *lbLab) in(host, script string) string {
	l.T.Helper()
	return l.MustIn(host, script)
}

// allOK wants the vip, haproxy and keepalived results (2 + 3 + 3) OK.
func allOK(rs []health.Result) bool { return len(rs) == 8 && health.Worst(rs) == health.OK }

func find(rs []health.Result, check, target string) *health.Result {
	for i := range rs {
		if rs[i].Check == check && rs[i].Target == target {
			return &rs[i]
		}
	}
	return nil
}

// holders lists the members that have the address. It looks into their
// network namespaces directly (the lab names them <prefix>-<node>): a
// failover is timed by this, so it must be quick.
func (l *lbLab) holders(addr string, among []string) []string {
	l.T.Helper()
	var out []string
	for _, h := range among {
		got, err := exec.Command("ip", "-n", labPrefix+"-"+h, "-o", "addr", "show", "to", addr+"/32").Output()
		if err != nil {
			continue // a stopped node's namespace stays; an error is no holder either
		}
		if strings.TrimSpace(string(got)) != "" {
			out = append(out, h)
		}
	}
	return out
}

func TestLabLoadBalancer(t *testing.T) {
	l := &lbLab{labtest.New(t, labtest.Config{Prefix: labPrefix, Net: labNet, CloudName: "lbtest", Secrets: true, Components: components})}
	c := l.Cloud
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, []byte(l.Must("secrets", "show", "tls-ca-cert")), 0o644); err != nil {
		t.Fatal(err)
	}
	internal, public := vipAddr(c, "internal"), vipAddr(c, "public")

	t.Cleanup(func() {
		if _, err := l.Fm("lab", "down"); err != nil {
			t.Logf("lab down: %v", err)
		}
		if out, _ := exec.Command("ip", "route", "show", labNet+"100.0/24").Output(); len(out) > 0 {
			t.Errorf("lab down left the route %s", out)
		}
	})
	t.Log(l.Up())
	t.Run("route to the external network", func(t *testing.T) {
		out, err := exec.Command("ip", "route", "show", labNet+"100.0/24").Output()
		if err != nil || !strings.Contains(string(out), "via "+labNet+"0.4 ") {
			t.Errorf("the machine's route to the public network: %q, %v", out, err)
		}
	})
	start := time.Now()
	out := l.Must("apply", "--auto-approve")
	t.Logf("first apply (%s) in %s: %s", components, time.Since(start).Round(time.Second), labtest.LastLine(out))

	rs := l.waitStatus("the load balancer healthy", 3*time.Minute, allOK)
	t.Logf("status:\n%s", labtest.Describe(rs))
	t.Run("one holder per virtual IP", func(t *testing.T) {
		for _, a := range []string{internal, public} {
			if hs := l.holders(a, members); len(hs) != 1 {
				t.Errorf("%s is held by %v", a, hs)
			}
		}
	})
	t.Run("TLS from the machine", func(t *testing.T) {
		code, err := getPublic(caFile, public, 10*time.Second)
		if err != nil || code != http.StatusServiceUnavailable {
			t.Errorf("https://%s:5000/: %d, %v (want 503: no Keystone behind HAProxy yet)", public, code, err)
		}
		if _, err := exec.LookPath("curl"); err == nil {
			out, err := exec.Command("curl", "-sS", "--max-time", "10", "--cacert", caFile, "-o", "/dev/null", "-w", "%{http_code}", "https://"+public+":5000/").CombinedOutput()
			if err != nil || string(out) != "503" {
				t.Errorf("curl --cacert: %s, %v", out, err)
			}
		}
		// The internal endpoint, from another member: plain HTTP.
		if got := l.in("ctl-2", "curl -s -o /dev/null -w '%{http_code}' http://"+internal+":5000/"); got != "503" {
			t.Errorf("http://%s:5000/ from ctl-2: %s", internal, got)
		}
	})
	t.Run("no-op re-apply", func(t *testing.T) {
		start := time.Now()
		if out := l.Must("apply", "--auto-approve"); !strings.Contains(out, "No changes.") {
			t.Errorf("a re-apply changes something:\n%s", out)
		}
		t.Logf("no-op re-apply in %s", time.Since(start).Round(100*time.Millisecond))
	})
	t.Run("haproxy stops on the holder", func(t *testing.T) {
		holder := l.holders(public, members)
		if len(holder) != 1 {
			t.Fatalf("public VIP held by %v", holder)
		}
		others := without(members, holder[0])
		t0 := time.Now()
		l.in(holder[0], "systemctl stop haproxy.service")
		moved := l.waitMove(public, others, failoverLimit)
		t.Logf("haproxy stopped on %s: %s took the public VIP after %s", holder[0], moved, time.Since(t0).Round(100*time.Millisecond))
		rs := l.waitStatus("DEGRADED naming "+holder[0], 2*time.Minute, func(rs []health.Result) bool {
			r := find(rs, "vip", "public")
			return r != nil && r.Status == health.Degraded && slices.Contains(r.Hosts, holder[0])
		})
		t.Logf("with haproxy stopped:\n%s", labtest.Describe(rs))
		l.in(holder[0], "systemctl start haproxy.service")
		l.waitStatus("the load balancer healthy again", 2*time.Minute, allOK)
	})
	t.Run("the holder powers off and on", func(t *testing.T) {
		holder := l.holders(public, members)
		if len(holder) != 1 {
			t.Fatalf("public VIP held by %v", holder)
		}
		victim, others := holder[0], without(members, holder[0])
		t0 := time.Now()
		l.Must("lab", "stop", victim)
		stopped := time.Since(t0)
		// Both the VRRP takeover and the endpoint answering again, as the
		// machine sees it.
		done := make(chan string, 1)
		go func() {
			for time.Since(t0) < 60*time.Second {
				if code, err := getPublic(caFile, public, time.Second); err == nil && code == http.StatusServiceUnavailable {
					done <- time.Since(t0).Round(100 * time.Millisecond).String()
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			done <- "never (60 s)"
		}()
		moved := l.waitMove(public, others, failoverLimit)
		took := time.Since(t0)
		answered := <-done
		t.Logf("%s powered off (lab stop took %s): %s holds the public VIP after %s; the public endpoint answers TLS again after %s",
			victim, stopped.Round(100*time.Millisecond), moved, took.Round(100*time.Millisecond), answered)
		rs := l.waitStatus("DEGRADED naming "+victim, 3*time.Minute, func(rs []health.Result) bool {
			for _, v := range []string{"internal", "public"} {
				r := find(rs, "vip", v)
				if r == nil || r.Status != health.Degraded || !slices.Contains(r.Hosts, victim) || !strings.Contains(r.Reason, victim) {
					return false
				}
			}
			return true
		})
		t.Logf("with %s off:\n%s", victim, labtest.Describe(rs))
		if hs := l.holders(internal, others); len(hs) != 1 {
			t.Errorf("the internal VIP is held by %v of %v", hs, others)
		}

		l.Must("lab", "start", victim)
		rs = l.waitStatus("the load balancer healthy after the restart", 5*time.Minute, allOK)
		t.Logf("after %s restarted:\n%s", victim, labtest.Describe(rs))
		// nopreempt: the virtual IPs stay where they moved.
		if hs := l.holders(public, members); len(hs) != 1 || hs[0] == victim {
			t.Errorf("after the restart, the public VIP is held by %v (want one member, not %s: nopreempt)", hs, victim)
		} else {
			t.Logf("the public VIP stays on %s", hs[0])
		}
		if code, err := getPublic(caFile, public, 10*time.Second); err != nil || code != http.StatusServiceUnavailable {
			t.Errorf("the public endpoint after the restart: %d, %v", code, err)
		}
		if out := l.Must("plan"); !strings.Contains(out, "No changes.") {
			t.Errorf("after the restart, a re-plan changes something:\n%s", out)
		}
	})
	// The HAProxy statistics password and the certificates' keys.
	t.Run("no secret in any output", l.NoSecretShown)
}

func vipAddr(c *model.Cloud, name string) string {
	for _, v := range c.Network.VirtualIPs {
		if v.Name == name {
			return v.Address.String()
		}
	}
	return ""
}

func without(hosts []string, h string) []string {
	var out []string
	for _, x := range hosts {
		if x != h {
			out = append(out, x)
		}
	}
	return out
}

// waitMove waits until one of the hosts holds the address and returns it.
func (l *lbLab) waitMove(addr string, among []string, limit time.Duration) string {
	l.T.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if hs := l.holders(addr, among); len(hs) == 1 {
			return hs[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.T.Fatalf("%s did not move to one of %v within %s", addr, among, limit)
	return ""
}

// getPublic asks the public endpoint for / over TLS, trusting only the
// generated CA, and returns the HTTP status.
func getPublic(caFile, addr string, timeout time.Duration) (int, error) {
	client, err := labtest.HTTPSClient(caFile, timeout)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+":5000/", nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
