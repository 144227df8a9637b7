package keystone_test

// The Keystone integration test: a lab of examples/lab (on its own prefix
// and addresses) with Galera, memcached, the load balancer, Keystone (and
// Placement, which examples/lab enables)
// applied, then the checks of issue 6: gophercloud gets a token through
// the public virtual IP from this machine and lists the catalog; Debian's
// openstack client with the generated clouds.yaml issues a token and lists
// the endpoints (here and on a control host); status is OK; a Fernet key
// rotation applied while a token is held leaves that token valid; a
// re-apply changes nothing; the host holding the virtual IPs stops: the
// VIP moves, tokens are still issued, Galera and RabbitMQ keep quorum
// (degraded), and once it is started again every layer is OK; no secret
// value appears in any output. It
// logs the time from `lab up` to a working Keystone.
//
// It needs root and the lab's tools; the lab image is built (debootstrap)
// the first time and cached.
//
//	go test ./internal/components/keystone -run TestLabKeystone -v -timeout 50m

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/openstack"
	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
)

const (
	labPrefix = "fks"
	// labNet replaces examples/lab's 10.199.: clear of the labs of the
	// other tests and of a developer's examples/lab.
	labNet = "10.190."
	cloud  = "kstest"
	// applied are the components the test applies (with what they
	// depend on: host networking on their hosts); fabric for the leaves'
	// gateway of the public network, the machine's route to the public
	// virtual IP; placement because examples/lab enables it: Keystone
	// registers it and HAProxy has its frontends, whose backends must
	// answer for the load balancer to be OK.
	applied = "fabric,galera,rabbitmq,memcached,loadbalancer,keystone,placement"
)

// disabled are the services of examples/lab the test turns off: Glance
// would need Ceph besides (its images are in the images pool).
var disabled = []string{"glance"}

type ksLab struct{ *labtest.Lab }

// status returns the Keystone results of fundament status.
func (l *ksLab) status() []health.Result { return l.Status("keystone", "keystone") }

// waitResults polls status until ok accepts the results of the layers
// (each a component of the same name).
func (l *ksLab) waitResults(what string, limit time.Duration, ok func([]health.Result) bool, layers ...string) []health.Result {
	l.T.Helper()
	return l.WaitStatus(what, limit, ok, strings.Join(layers, ","), layers...)
}

// connect gets a token through the public virtual IP with the clouds.yaml
// `fundament openstack clouds-yaml` wrote, retrying up to limit.
func connect(t *testing.T, cloudsYAML string, limit time.Duration) *openstack.Client {
	t.Helper()
	start := time.Now()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		c, err := openstack.ConnectCloudsYAML(ctx, cloudsYAML, cloud)
		cancel()
		if err == nil {
			return c
		}
		if time.Since(start) > limit {
			t.Fatalf("no token through the public virtual IP after %s: %v", limit, err)
		}
		time.Sleep(5 * time.Second)
	}
}

func TestLabKeystone(t *testing.T) {
	l := &ksLab{labtest.New(t, labtest.Config{Prefix: labPrefix, Net: labNet, CloudName: cloud, Secrets: true, Components: applied, Disabled: disabled})}
	start := time.Now()
	up := l.Up()
	t.Logf("lab up in %s: %s", time.Since(start).Round(time.Second), labtest.LastLine(up))
	applyStart := time.Now()
	out := l.Must("apply", "--auto-approve", "--component", applied)
	t.Logf("first apply (%s) in %s: %s", applied, time.Since(applyStart).Round(time.Second), labtest.LastLine(out))

	ops := t.TempDir()
	cloudsYAML := filepath.Join(ops, "clouds.yaml")
	l.Must("openstack", "clouds-yaml", "--out", cloudsYAML)
	client := connect(t, cloudsYAML, 5*time.Minute)
	t.Logf("lab up to a working Keystone (a token through the public virtual IP): %s", time.Since(start).Round(time.Second))

	t.Run("gophercloud", func(t *testing.T) {
		tok, err := client.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if tok.User != "admin" || tok.Project != "admin" || time.Until(tok.ExpiresAt) < 50*time.Minute {
			t.Errorf("token: %+v", tok)
		}
		cat, err := client.Catalog()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"public": "https://" + labNet + "100.10:5000/v3", "internal": "http://" + labNet + "20.10:5000/v3"}
		for _, e := range cat {
			if e.Type == "identity" && e.Region == "RegionOne" && want[e.Interface] == e.URL {
				delete(want, e.Interface)
			}
		}
		if len(want) > 0 {
			t.Errorf("the catalog lacks %v: %+v", want, cat)
		}
	})

	t.Run("openstack client", func(t *testing.T) {
		if _, err := exec.LookPath("openstack"); err != nil {
			t.Fatal("no openstack here: apt-get install python3-openstackclient (.ci/apt-deps has it)")
		}
		for _, args := range [][]string{{"token", "issue", "-f", "json"}, {"endpoint", "list", "-f", "json"}} {
			cmd := exec.Command("openstack", append([]string{"--os-cloud", cloud}, args...)...)
			cmd.Env = append(os.Environ(), "OS_CLIENT_CONFIG_FILE="+cloudsYAML)
			out, err := cmd.CombinedOutput()
			l.Record(string(out))
			if err != nil {
				t.Errorf("openstack %s: %v\n%s", strings.Join(args, " "), err, out)
				continue
			}
			if args[0] == "endpoint" && !strings.Contains(string(out), "https://"+labNet+"100.10:5000/v3") {
				t.Errorf("endpoint list lacks the public identity endpoint:\n%s", out)
			}
		}
		// The admin's clouds.yaml on a control host.
		for _, c := range []string{cloud, cloud + "-public"} {
			out, err := l.In("ctl-2", "openstack --os-cloud "+c+" endpoint list -f value -c Interface -c URL")
			if err != nil || !strings.Contains(out, "internal http://"+labNet+"20.10:5000/v3") {
				t.Errorf("openstack --os-cloud %s on ctl-2: %v\n%s", c, err, out)
			}
		}
		out, err := l.In("ctl-1", "openstack --os-cloud "+cloud+" project show service -f value -c name")
		if err != nil || out != "service" {
			t.Errorf("the service project: %v %q", err, out)
		}
	})

	t.Run("status", func(t *testing.T) {
		limit := time.Now().Add(3 * time.Minute)
		for {
			rs := l.status()
			// Each host, the virtual IP, the identity catalog and the
			// catalog of the services Keystone registers (examples/lab
			// enables Placement).
			if len(rs) == 6 && health.Worst(rs) == health.OK {
				t.Logf("status:\n%s", labtest.Describe(rs))
				break
			}
			if time.Now().After(limit) {
				t.Fatalf("Keystone is not healthy after 3 minutes:\n%s", labtest.Describe(rs))
			}
			time.Sleep(10 * time.Second)
		}
	})

	t.Run("no-op re-apply", l.NoOpReapply)

	t.Run("fernet rotation while serving", func(t *testing.T) {
		held := connect(t, cloudsYAML, time.Minute) // a token of the current primary key
		l.Must("openstack", "rotate-keys", "fernet")
		start := time.Now()
		out := l.Must("apply", "--auto-approve", "--component", "keystone")
		t.Logf("apply of the rotated keys in %s: %s", time.Since(start).Round(time.Second), labtest.LastLine(out))
		got, err := l.In("ctl-3", "ls /etc/keystone/fernet-keys | sort -n | tr '\\n' ' '")
		if err != nil || got != "0 1 2" {
			t.Errorf("ctl-3's fernet keys: %q %v", got, err)
		}
		// The held token was encrypted with key 1, now a secondary key:
		// every host still validates it.
		for i := 0; i < 6; i++ {
			if _, err := held.Token(context.Background()); err != nil {
				t.Errorf("a token of the previous primary key: %v", err)
			}
		}
		fresh := connect(t, cloudsYAML, time.Minute)
		if _, err := fresh.Token(context.Background()); err != nil {
			t.Errorf("a token of the new primary key: %v", err)
		}
		if out := l.Must("plan", "--component", applied); !strings.Contains(out, "No changes.") {
			t.Errorf("after the rotation, a re-plan changes something:\n%s", out)
		}
	})

	t.Run("the VIP holder stops", func(t *testing.T) {
		holder := l.Holder(labNet + "100.10")
		if holder == "" {
			t.Fatal("nobody holds the public virtual IP")
		}
		l.Must("lab", "stop", holder)
		stopped := time.Now()
		client := connect(t, cloudsYAML, 2*time.Minute)
		if _, err := client.Token(context.Background()); err != nil {
			t.Fatalf("a token with %s stopped: %v", holder, err)
		}
		t.Logf("%s stopped: a token through the public virtual IP (now on %s) after %s", holder, l.Holder(labNet+"100.10"), time.Since(stopped).Round(100*time.Millisecond))
		// Galera and RabbitMQ keep quorum: degraded, naming the stopped
		// member, never down.
		rs := l.waitResults("galera and rabbitmq degraded by "+holder, 2*time.Minute, func(rs []health.Result) bool {
			return len(rs) == 2 && health.Worst(rs) == health.Degraded && slices.ContainsFunc(rs, func(r health.Result) bool { return slices.Contains(r.Hosts, holder) })
		}, "galera", "rabbitmq")
		t.Logf("with %s stopped:\n%s", holder, labtest.Describe(rs))
		l.Must("lab", "start", holder)
		started := time.Now()
		rs = l.waitResults("every layer OK after "+holder+" started", 5*time.Minute, func(rs []health.Result) bool {
			return len(rs) > 0 && health.Worst(rs) == health.OK
		}, "galera", "rabbitmq", "loadbalancer", "keystone")
		t.Logf("%s started: status OK after %s", holder, time.Since(started).Round(time.Second))
	})

	t.Run("no secret in any output", l.NoSecretShown)
}
