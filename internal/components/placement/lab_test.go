package placement_test

// The Placement integration test, the component kit's proof (issue 22):
// a lab of examples/lab (on its own prefix and addresses) with Galera,
// memcached, the load balancer, Keystone and Placement applied, where
// everything the shared components do for Placement comes from its
// declaration. From this machine, Debian's openstack client with the
// generated clouds.yaml (and osc-placement) finds Placement in the
// catalog, creates a resource provider with an inventory, gets it back
// as an allocation candidate and deletes it, through the public virtual
// IP with TLS; status is OK; a re-apply changes nothing; the host holding
// the virtual IPs stops and Placement still answers through them; no
// secret value appears in any output. It logs the time from `lab up` to
// a working Placement.
//
//	go test ./internal/components/placement -run TestLabPlacement -v -timeout 45m

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
)

const (
	labPrefix = "fpl"
	// labNet replaces examples/lab's 10.199.: clear of the other tests'.
	labNet = "10.186."
	cloud  = "pltest"
	// applied: Placement and what it needs (no RabbitMQ: Placement has no
	// queue); fabric for the machine's route to the public virtual IP.
	applied = "fabric,galera,memcached,loadbalancer,keystone,placement"
)

// disabled are the services of examples/lab the test turns off: the
// load balancer is OK only when every frontend's backends answer, and
// Glance's would need Ceph too.
var disabled = []string{"glance"}

// providerRoundTrip creates a resource provider with an inventory of
// VCPU, finds it as an allocation candidate, and deletes it: the
// database behind Placement written and read through the API.
func providerRoundTrip(t *testing.T, l *labtest.Lab, name string) {
	t.Helper()
	out := l.OpenStackUntil(t, 2*time.Minute, "resource", "provider", "create", name, "-f", "json")
	var rp struct{ UUID string }
	if err := json.Unmarshal([]byte(out), &rp); err != nil || rp.UUID == "" {
		t.Fatalf("resource provider create: %v\n%s", err, out)
	}
	defer func() {
		if out, err := l.OpenStack("resource", "provider", "delete", rp.UUID); err != nil {
			t.Errorf("resource provider delete: %v\n%s", err, out)
		}
	}()
	if out, err := l.OpenStack("resource", "provider", "inventory", "set", rp.UUID, "--resource", "VCPU=8", "-f", "json"); err != nil {
		t.Fatalf("inventory set: %v\n%s", err, out)
	}
	out, err := l.OpenStack("allocation", "candidate", "list", "--resource", "VCPU=2", "-f", "json")
	if err != nil || !strings.Contains(out, rp.UUID) {
		t.Errorf("allocation candidates for VCPU=2 lack %s (%v):\n%s", rp.UUID, err, out)
	}
}

func TestLabPlacement(t *testing.T) {
	l := labtest.New(t, labtest.Config{Prefix: labPrefix, Net: labNet, CloudName: cloud, Secrets: true, Components: applied, Disabled: disabled})
	start := time.Now()
	up := l.Up()
	t.Logf("lab up in %s: %s", time.Since(start).Round(time.Second), labtest.LastLine(up))
	applyStart := time.Now()
	out := l.Must("apply", "--auto-approve", "--component", applied)
	t.Logf("first apply (%s) in %s: %s", applied, time.Since(applyStart).Round(time.Second), labtest.LastLine(out))
	cloudsYAML := l.CloudsYAML() // the openstack client with python3-osc-placement
	l.OpenStackUntil(t, 5*time.Minute, "resource", "provider", "list")
	t.Logf("lab up to a working Placement (resource providers listed through the public virtual IP): %s", time.Since(start).Round(time.Second))

	t.Run("catalog", func(t *testing.T) {
		out, err := l.OpenStack("endpoint", "list", "--service", "placement", "-f", "value", "-c", "Interface", "-c", "URL")
		for _, want := range []string{"public https://" + labNet + "100.10:8778", "internal http://" + labNet + "20.10:8778"} {
			if err != nil || !strings.Contains(out, want) {
				t.Errorf("placement endpoints lack %q (%v):\n%s", want, err, out)
			}
		}
		out, err = l.OpenStack("role", "assignment", "list", "--user", "placement", "--project", "service", "--names", "-f", "value", "-c", "Role")
		if err != nil || out != "service" {
			t.Errorf("the placement user's roles on the service project: %q (%v), want service", out, err)
		}
	})

	t.Run("resource providers", func(t *testing.T) { providerRoundTrip(t, l, "fm-lab-rp") })

	t.Run("upgrade check on a host", func(t *testing.T) {
		// placement-status reads placement.conf and checks the database.
		out, err := l.In("ctl-2", "placement-status upgrade check")
		l.Record(out)
		if err != nil {
			t.Errorf("placement-status upgrade check on ctl-2: %v\n%s", err, out)
		}
	})

	t.Run("status", func(t *testing.T) {
		rs := l.WaitStatus("placement OK", 3*time.Minute, func(rs []health.Result) bool {
			return len(rs) == 4 && health.Worst(rs) == health.OK
		}, "placement", "placement")
		t.Logf("status:\n%s", labtest.Describe(rs))
	})

	t.Run("no-op re-apply", l.NoOpReapply)

	t.Run("the VIP holder stops", func(t *testing.T) {
		holder := l.Holder(labNet + "100.10")
		if holder == "" {
			t.Fatal("nobody holds the public virtual IP")
		}
		token, err := l.OpenStack("token", "issue", "-f", "value", "-c", "id")
		if err != nil {
			t.Fatalf("token issue: %v\n%s", err, token)
		}
		calls := startCaller(t, "https://"+labNet+"100.10:8778/resource_providers", token,
			filepath.Join(filepath.Dir(cloudsYAML), cloud+"-ca.pem"))
		time.Sleep(3 * time.Second)
		stopping := time.Now()
		l.Must("lab", "stop", holder)
		stopped := time.Now()
		providerRoundTrip(t, l, "fm-lab-rp-failover")
		t.Logf("%s stopped: a resource provider written and read through the public virtual IP (now on %s) after %s",
			holder, l.Holder(labNet+"100.10"), time.Since(stopped).Round(100*time.Millisecond))
		rs := l.WaitStatus("placement degraded by "+holder, 2*time.Minute, func(rs []health.Result) bool {
			return len(rs) == 4 && health.Worst(rs) == health.Down && rs[len(rs)-1].Status == health.OK
		}, "placement", "placement")
		t.Logf("with %s stopped:\n%s", holder, labtest.Describe(rs))
		// Requests in flight when the holder died must not leave
		// Placement's threads waiting on dead database connections.
		if time.Since(stopped) < time.Minute {
			time.Sleep(time.Minute - time.Since(stopped))
		}
		all := calls.Stop()
		d, failed, ok := outage(all, stopping)
		switch {
		case !ok:
			t.Errorf("%d of %d calls through the public virtual IP failed after %s stopped, the last of them too: Placement did not recover", failed, len(all), holder)
		case d > 45*time.Second:
			t.Errorf("calls through the public virtual IP failed for %s after %s stopped (%d failed), want under 45 s", d.Round(time.Second), holder, failed)
		default:
			t.Logf("a client calling all along: %d calls, %d failed, every call answered from %s after the stop", len(all), failed, d.Round(100*time.Millisecond))
		}
		l.Must("lab", "start", holder)
		started := time.Now()
		l.WaitStatus("every layer OK after "+holder+" started", 5*time.Minute, func(rs []health.Result) bool {
			return len(rs) > 0 && health.Worst(rs) == health.OK
		}, "galera,loadbalancer,keystone,placement", "galera", "loadbalancer", "keystone", "placement")
		t.Logf("%s started: status OK after %s", holder, time.Since(started).Round(time.Second))
	})

	t.Run("no secret in any output", l.NoSecretShown)
}
