package rabbitmq_test

// The rolling upgrade of a clustered service's package (issue 21, item
// 3): a lab of examples/lab (own prefix and addresses) with RabbitMQ, a
// rebuilt rabbitmq-server with a higher version in a local APT repository
// served from the machine, a release stream that pins it, and plan + apply
// with that stream while a probe publishes to and consumes from a quorum
// queue through every member every 100 ms and samples whether each
// member's AMQP listener answers. It checks: the upgrade goes host by host
// (each member's package change and restart before the next member's
// package), never two members down at once, a member is down only during
// its own restart by the engine (installing the package restarts nothing),
// every probe answered but those through a member during its restart, the
// new version on every member, no policy-rc.d left, status OK and a
// re-apply that changes nothing.
//
// It needs root and the lab's tools; run it alone:
//
//	go test ./internal/components/rabbitmq -run TestLabRabbitMQUpgrade -v -timeout 60m

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/engine"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/lab"
	"github.com/fundament-cloud/fundament/internal/plan"
	"github.com/fundament-cloud/fundament/internal/release"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/service"
	"github.com/fundament-cloud/fundament/internal/testutil/aptrepo"
	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

const (
	serverPackageName = "rabbitmq-server"
	serverUnitName    = "rabbitmq-server.service"
	upgradePrefix     = "fpu"
	upgradeNet        = "10.183."
	// upgradeStream is 2025.1 with the rebuilt rabbitmq-server.
	upgradeStream = "2025.1-upgrade-test"
	// upgradeSources is where the members find the rebuilt package.
	upgradeSources = "/etc/apt/sources.list.d/fundament-upgrade-test.sources"
)

// probeScript runs on a member until the file argv[3] exists: per member
// (argv[1]: name=address,...), every 100 ms, a "state" sample (does the
// member's AMQP listener answer the protocol header: up; refuse or close:
// down; no answer in 3 s: slow, a loaded host) and a "probe" (a publish
// and a get of the same message, back within 5 s, on a quorum queue whose
// leader is that member, through a connection to it, as the queued user (servicetest.Queued)
// with the password in the file argv[2]). One line per sample, to stdout.
const probeScript = `import os, socket, sys, threading, time, kombu
members = [m.split("=") for m in sys.argv[1].split(",")]
pw = open(sys.argv[2]).read().strip()
stop = sys.argv[3]
lock = threading.Lock()
def log(line):
    with lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
def every(f):
    while not os.path.exists(stop):
        t = time.time()
        f(t)
        time.sleep(max(0.0, 0.1 - (time.time() - t)))
def state(name, addr):
    def sample(t):
        st = "down"
        try:
            s = socket.create_connection((addr, 5672), 3)
            s.settimeout(3)
            s.sendall(b"AMQP\x00\x00\x09\x01")
            if len(s.recv(7)) > 0:
                st = "up"
            s.close()
        except socket.timeout:
            st = "slow"  # a loaded host, not a stopped server (refused at once)
        except Exception:
            pass
        log("%.3f state %s %s" % (t, name, st))
    every(sample)
def probe(name, addr):
    c = {}
    n = [0]
    def once(t):
        err = ""
        ok = False
        try:
            if "conn" not in c:
                conn = kombu.Connection("amqp://queued:%s@%s:5672/queued" % (pw, addr), connect_timeout=2)
                conn.connect()
                ch = conn.channel()
                # A new queue per connection: client-local puts its leader
                # on this member, also after the member's restart (a
                # queue's leader stays where a restart moved it, and a
                # restart of that other member would fail this probe).
                n[0] += 1
                q = kombu.Queue("fundament-upgrade-%s-%d" % (name, n[0]), durable=True, channel=ch,
                    queue_arguments={"x-queue-type": "quorum", "x-queue-leader-locator": "client-local"})
                q.declare()
                if n[0] > 1:
                    try:  # on a channel of its own: an error closes it
                        d = conn.channel()
                        d.queue_delete("fundament-upgrade-%s-%d" % (name, n[0] - 1))
                        d.close()
                    except Exception:
                        pass
                c.update(conn=conn, q=q, producer=kombu.Producer(ch))
            body = "%s %.3f" % (name, t)
            c["producer"].publish(body, routing_key=c["q"].name)
            while time.time() < t + 5:
                m = c["q"].get(no_ack=True)
                if m is None:
                    time.sleep(0.01)
                elif m.payload == body:
                    ok = True
                    break
            err = "" if ok else "no-message"
        except Exception as e:
            err = type(e).__name__
            try:
                c.pop("conn").release()
            except Exception:
                pass
            c.clear()
        log("%.3f probe %s %s %.3f %s" % (t, name, "ok" if ok else "fail", time.time() - t, err))
    every(once)
ts = [threading.Thread(target=f, args=m) for m in members for f in (state, probe)]
for t in ts:
    t.start()
for t in ts:
    t.join()
`

// sample is one line of the probe's output.
type sample struct {
	At     time.Time
	Kind   string // state, probe
	Member string
	OK     bool // up, answered
	Detail string
}

func parseSamples(t *testing.T, out string) []sample {
	var ss []sample
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		sec, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("probe output %q", line)
		}
		s := sample{At: time.Unix(0, int64(sec*1e9)), Kind: f[1], Member: f[2], OK: f[3] == "up" || f[3] == "ok", Detail: f[3]}
		if len(f) > 4 {
			s.Detail = strings.Join(f[4:], " ")
		}
		ss = append(ss, s)
	}
	return ss
}

// window is when an action ran, from the apply's events.
type window struct{ From, To time.Time }

func (w window) has(at time.Time, slack time.Duration) bool {
	return !at.Before(w.From.Add(-slack)) && !at.After(w.To.Add(slack))
}

// actionWindows reads apply -o json's events: per host and resource, when
// the action started and when it ended (succeeded or failed).
func actionWindows(t *testing.T, out string) map[string]window {
	ws := map[string]window{}
	for _, line := range strings.Split(out, "\n") {
		var e engine.Event
		if json.Unmarshal([]byte(line), &e) != nil || e.Resource == "" {
			continue
		}
		k := e.Host + " " + e.Resource
		w := ws[k]
		switch e.Type {
		case engine.EventActionStarted:
			if w.From.IsZero() {
				w.From = e.Time
			}
		case engine.EventActionSucceeded, engine.EventActionFailed:
			w.To = e.Time
		}
		ws[k] = w
	}
	return ws
}

// gatesPassed reads apply -o json's events: per host, when the health
// gate of the rolling group after its batch passed (the group's checks:
// the cluster's status on its members).
func gatesPassed(out, group string) map[string]time.Time {
	gs := map[string]time.Time{}
	for _, line := range strings.Split(out, "\n") {
		var e engine.Event
		if json.Unmarshal([]byte(line), &e) != nil || e.Type != engine.EventGatePassed ||
			e.Resource != "group:"+group || e.Op != string(engine.GateAfter) {
			continue
		}
		for _, h := range strings.Split(e.Host, ",") {
			gs[h] = e.Time
		}
	}
	return gs
}

func TestLabRabbitMQUpgrade(t *testing.T) {
	l := &rabbitLab{labtest.New(t, labtest.Config{Prefix: upgradePrefix, Net: upgradeNet, CloudName: "upgradetest",
		Secrets: true, Components: "rabbitmq", Services: []*service.Service{servicetest.Queued}})}
	c := l.Cloud
	members := []string{"ctl-1", "ctl-2", "ctl-3"}
	l.Timed("lab up", func() { t.Log(l.Up()) })

	// The repository, served from the machine's address on the
	// management bridge: the package as the image has it, rebuilt on
	// ctl-1 with a higher version before anything configures the hosts
	// (its configuration files as Debian ships them), uploaded.
	top, err := lab.FromModel(c)
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	url := aptrepo.Serve(t, repo, top.Machine.Addr().String())
	old := l.in("ctl-1", "dpkg-query -W -f='${Version}' "+serverPackageName)
	newVersion := old + "+fm1"
	deb := serverPackageName + "_" + newVersion + "_all.deb"
	l.Timed("rebuild "+serverPackageName, func() {
		l.in("ctl-1", `sh -c "$S" rebuild `+serverPackageName+" '"+newVersion+"' /var/tmp/"+deb+" && curl -fsS -T /var/tmp/"+deb+" "+url+deb,
			"S="+aptrepo.RebuildScript)
	})
	if err := aptrepo.Write(repo); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(repo, deb)); err == nil {
		t.Logf("%s %s -> %s (%d bytes)", serverPackageName, old, newVersion, st.Size())
	}

	l.Timed("apply fabric", func() { l.Must("apply", "--auto-approve", "--component", "fabric") })
	l.Timed("apply rabbitmq", func() { t.Log(labtest.LastLine(l.Must("apply", "--auto-approve"))) })
	l.Timed("status OK", func() {
		l.WaitStatus("RabbitMQ healthy", 5*time.Minute, func(rs []health.Result) bool {
			return labtest.Find(rs, "rabbitmq-cluster") != nil && health.Worst(rs) == health.OK
		}, "rabbitmq", "rabbitmq")
	})

	// Every member's source of the new version, and its list (that
	// source's alone: the lab reaches no Debian mirror, and apt-get
	// update of every source waits minutes for each to time out).
	l.Timed("apt source", func() {
		for _, h := range members {
			l.in(h, `printf '%s' "$S" >`+upgradeSources+` && apt-get update -qq -o Dir::Etc::SourceList=`+upgradeSources+
				` -o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0`, "S="+aptrepo.Sources(url))
		}
	})
	// The stream that pins it, named by the lab copy's cloud.yaml.
	s, ok := release.Lookup(c.Spec.Release)
	if !ok {
		t.Fatalf("stream %s", c.Spec.Release)
	}
	s.Name = upgradeStream
	for name, comp := range s.Components {
		if _, ok := comp.Packages[serverPackageName]; ok {
			comp.Packages[serverPackageName] = newVersion
			s.Components[name] = comp
		}
	}
	if err := release.Register(s); err != nil {
		t.Fatal(err)
	}
	cloudYAML := filepath.Join(l.Repo, "cloud.yaml")
	b, err := os.ReadFile(cloudYAML)
	if err != nil {
		t.Fatal(err)
	}
	pin := "\nrelease: \"" + c.Spec.Release + "\"\n"
	if !strings.Contains(string(b), pin) {
		t.Fatalf("cloud.yaml has no %q", pin)
	}
	if err := os.WriteFile(cloudYAML, []byte(strings.Replace(string(b), pin, "\nrelease: \""+upgradeStream+"\"\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	// The probe, on ctl-1 (it outlives the restarts: another process).
	var addrs []string
	for _, h := range members {
		addrs = append(addrs, h+"="+c.HostsByName()[h].Networks["internal"].Address.String())
	}
	l.in("ctl-1", `umask 077; printf '%s' "$PW" >/root/fundament-probe.pw; printf '%s' "$S" >/root/fundament-probe.py; rm -f /root/fundament-probe.stop`,
		"PW="+l.Secret(servicetest.Queued.QueueSecret()), "S="+probeScript)
	l.in("ctl-1", "systemd-run --unit=fundament-upgrade-probe --property=StandardOutput=file:/var/tmp/fundament-probe.log "+
		"python3 /root/fundament-probe.py "+strings.Join(addrs, ",")+" /root/fundament-probe.pw /root/fundament-probe.stop")
	stopProbe := func() string {
		l.in("ctl-1", "touch /root/fundament-probe.stop; for i in $(seq 60); do systemctl is-active -q fundament-upgrade-probe || break; sleep 1; done; rm -f /root/fundament-probe.pw")
		return l.in("ctl-1", "cat /var/tmp/fundament-probe.log")
	}
	// Every member answers before the upgrade starts.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out := l.in("ctl-1", "tail -n 60 /var/tmp/fundament-probe.log 2>/dev/null || true")
		answered := 0
		for _, h := range members {
			if strings.Contains(out, " probe "+h+" ok ") {
				answered++
			}
		}
		if answered == len(members) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the probe gets no answer from every member:\n%s\n%s", out, l.in("ctl-1", "journalctl -u fundament-upgrade-probe -n 20 --no-pager"))
		}
		time.Sleep(2 * time.Second)
	}

	planFile := filepath.Join(t.TempDir(), "upgrade.plan")
	var applyOut string
	start := time.Now()
	l.Timed("plan", func() {
		t.Log(l.Must("plan", "-out", planFile))
		// Per member: the package changes, in the rolling group, and the
		// server restarts because of it.
		f, err := os.Open(planFile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p, err := plan.Read(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range members {
			want := map[string]resource.Op{"package:" + serverPackageName: resource.OpUpdate, "service:" + serverUnitName: resource.OpRestart}
			for _, it := range p.Host(h).Items {
				op, ok := want[it.Ref.ID.String()]
				if !ok {
					continue
				}
				delete(want, it.Ref.ID.String())
				if it.Change.Op != op || it.Group != "rabbitmq" {
					t.Errorf("%s %s: %s in group %q, want %s in the rolling group (%s)", h, it.Ref.ID, it.Change.Op, it.Group, op, it.Change.Reason)
				}
			}
			if len(want) > 0 {
				t.Errorf("%s: the plan lacks %v", h, want)
			}
		}
	})
	l.Timed("apply the upgrade", func() {
		var err error
		applyOut, err = l.Fm("apply", "-o", "json", planFile)
		if err != nil {
			t.Errorf("apply: %v", err)
		}
	})
	var samples []sample
	for _, s := range parseSamples(t, stopProbe()) {
		if !s.At.Before(start) {
			samples = append(samples, s)
		}
	}
	ws := actionWindows(t, applyOut)

	// Host by host: a member's package, then its restart, then the next
	// member's package.
	var prev window
	restarts := map[string]window{}
	for i, h := range members {
		pkg, svc := ws[h+" package:"+serverPackageName], ws[h+" service:"+serverUnitName]
		if pkg.From.IsZero() || svc.From.IsZero() || pkg.To.IsZero() || svc.To.IsZero() {
			t.Fatalf("%s: no package change or restart in the apply's events (package %v, service %v):\n%s", h, pkg, svc, l.Redact(applyOut))
		}
		t.Logf("%s: package %s .. %s, restart %s .. %s", h, pkg.From.Format("15:04:05.000"), pkg.To.Format("15:04:05.000"),
			svc.From.Format("15:04:05.000"), svc.To.Format("15:04:05.000"))
		if svc.From.Before(pkg.To) {
			t.Errorf("%s restarts before its package is upgraded", h)
		}
		if i > 0 && pkg.From.Before(prev.To) {
			t.Errorf("%s's package changes before %s's restart ended", h, members[i-1])
		}
		prev = svc
		restarts[h] = svc
	}
	// Between a member's restart and the next member's package, the
	// group's gate saw the member healthy.
	gates := gatesPassed(applyOut, "rabbitmq")
	for i, h := range members[:len(members)-1] {
		g, next := gates[h], ws[members[i+1]+" package:"+serverPackageName].From
		if g.IsZero() || g.Before(restarts[h].To) || g.After(next) {
			t.Errorf("%s: no health gate passed between its restart (ended %s) and %s's package (%s): %v",
				h, restarts[h].To.Format("15:04:05.000"), members[i+1], next.Format("15:04:05.000"), g)
			continue
		}
		t.Logf("%s: healthy (gate passed) at %s", h, g.Format("15:04:05.000"))
	}

	// The members' states: never two down at once, each down only during
	// its own restart by the engine (not while apt ran), and each was down
	// (the new version runs).
	const slack = 500 * time.Millisecond
	downSince := map[string]time.Time{}
	sawDown := map[string]bool{}
	slow := 0
	for _, s := range samples {
		if s.Kind != "state" {
			continue
		}
		if s.Detail == "slow" {
			slow++
			continue
		}
		if s.OK {
			delete(downSince, s.Member)
			continue
		}
		sawDown[s.Member] = true
		if _, ok := downSince[s.Member]; !ok {
			downSince[s.Member] = s.At
		}
		if len(downSince) > 1 {
			t.Errorf("%s: members down at once: %v", s.At.Format("15:04:05.000"), downSince)
		}
		if !restarts[s.Member].has(s.At, slack) {
			t.Errorf("%s: %s is down outside its restart (%v)", s.At.Format("15:04:05.000"), s.Member, restarts[s.Member])
		}
	}
	probes, failed := map[string]int{}, map[string]int{}
	for _, s := range samples {
		if s.Kind != "probe" {
			continue
		}
		probes[s.Member]++
		if s.OK {
			continue
		}
		failed[s.Member]++
		// A probe through a member that restarts fails until its
		// connection is back (a probe waits up to 5 s for its message).
		if !restarts[s.Member].has(s.At, 6*time.Second) {
			var during []string
			for _, h := range members {
				if restarts[h].has(s.At, 6*time.Second) {
					during = append(during, h)
				}
			}
			t.Errorf("%s: a probe through %s was not answered (%s) outside its restart (during the restart of %v)", s.At.Format("15:04:05.000"), s.Member, s.Detail, during)
		}
	}
	t.Logf("%d state samples got no answer within 3 s (a loaded machine)", slow)
	for _, h := range members {
		t.Logf("%s: %d probes, %d not answered (during its restart of %s)", h, probes[h], failed[h], restarts[h].To.Sub(restarts[h].From).Round(time.Millisecond))
		if !sawDown[h] {
			t.Errorf("%s was never seen down: did it restart?", h)
		}
		if probes[h] < 100 {
			t.Errorf("%s: only %d probes", h, probes[h])
		}
	}

	// The new version everywhere, no policy left, healthy, nothing more to
	// do.
	for _, h := range members {
		if v := l.in(h, "dpkg-query -W -f='${Version}' "+serverPackageName); v != newVersion {
			t.Errorf("%s has %s %s, want %s", h, serverPackageName, v, newVersion)
		}
		if out := l.in(h, "ls /usr/sbin/policy-rc.d* 2>/dev/null || true"); out != "" {
			t.Errorf("%s: left behind: %s", h, out)
		}
	}
	l.WaitStatus("RabbitMQ healthy after the upgrade", 5*time.Minute, func(rs []health.Result) bool {
		return labtest.Find(rs, "rabbitmq-cluster") != nil && health.Worst(rs) == health.OK
	}, "rabbitmq", "rabbitmq")
	if out := l.Must("plan"); !strings.Contains(out, "No changes.") {
		t.Errorf("after the upgrade, a plan changes something:\n%s", out)
	}
	t.Run("no secret printed", l.NoSecretShown)
}
