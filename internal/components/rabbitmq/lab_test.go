package rabbitmq_test

// The RabbitMQ and Memcached integration test: a lab of examples/lab (on
// its own prefix and addresses), fundament apply --component
// rabbitmq,memcached, then the checks of issue 6: three running members,
// a quorum queue in a service vhost with three members that passes a
// message (kombu, which the image has through oslo.messaging), set/get
// on every Memcached instance, a re-apply that changes nothing, a member
// stopped (status DEGRADED naming it, the queue still works) and started
// again (status OK), and no secret in what plan, apply and status print.
//
// It needs root and the lab's tools; the lab image is built (debootstrap)
// the first time and cached. Run it alone:
//
//	go test ./internal/components/rabbitmq -run TestLabRabbitMQ -v -timeout 40m

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/cli"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/validate"
)

const (
	labPrefix = "frq"
	// labNet replaces examples/lab's 10.199.: clear of the labs of the
	// other tests and of a developer's examples/lab.
	labNet = "10.192."
)

type rabbitLab struct {
	t      *testing.T
	repo   string
	labDir string
	// secrets are every secret value of the repository: none may appear
	// in what plan, apply and status print (printed collects that).
	secrets []string
	printed strings.Builder
}

// fm runs fundament in-process. Its error names the command but not its
// arguments after "--" (a script may carry a password in its
// environment).
func (l *rabbitLab) fm(args ...string) (string, error) {
	all := append([]string{"--repo", l.repo}, args...)
	switch args[0] {
	case "lab":
		all = append([]string{"--repo", l.repo, "lab", "--prefix", labPrefix, "--lab-dir", l.labDir}, args[1:]...)
	case "apply", "plan", "status":
		all = append(all, "--ssh-key", filepath.Join(l.repo, ".fundament", "lab", "id_ed25519"))
	}
	var out, errb bytes.Buffer
	code := cli.Execute(all, &out, &errb)
	if args[0] == "apply" || args[0] == "plan" || args[0] == "status" {
		l.printed.WriteString(out.String() + errb.String())
	}
	if code != 0 {
		shown := args
		if i := slices.Index(args, "--"); i >= 0 {
			shown = args[:i+1]
		}
		return out.String(), fmt.Errorf("fundament %s: exit %d: %s%s", strings.Join(shown, " "), code, l.redact(out.String()), l.redact(errb.String()))
	}
	return out.String(), nil
}

func (l *rabbitLab) redact(s string) string {
	for _, v := range l.secrets {
		s = strings.ReplaceAll(s, v, "(secret)")
	}
	return s
}

func (l *rabbitLab) must(args ...string) string {
	l.t.Helper()
	out, err := l.fm(args...)
	if err != nil {
		l.t.Fatal(err)
	}
	return out
}

// in runs a script on a lab host; env (NAME=value) is passed without
// showing up in errors.
func (l *rabbitLab) in(host, script string, env ...string) string {
	l.t.Helper()
	args := append([]string{"lab", "exec", host, "--", "env"}, env...)
	return strings.TrimSpace(l.must(append(args, "sh", "-c", script)...))
}

// timed runs a phase and logs how long it took.
func (l *rabbitLab) timed(phase string, f func()) {
	l.t.Helper()
	start := time.Now()
	f()
	l.t.Logf("phase %-32s %s", phase, time.Since(start).Round(time.Second))
}

func (l *rabbitLab) status() []health.Result {
	l.t.Helper()
	out, _ := l.fm("status", "-o", "json")
	var st struct {
		Results []health.Result `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		l.t.Fatalf("status -o json: %v: %s", err, l.redact(out))
	}
	var rs []health.Result
	for _, r := range st.Results {
		if r.Layer == "rabbitmq" || r.Layer == "memcached" {
			rs = append(rs, r)
		}
	}
	return rs
}

func (l *rabbitLab) waitStatus(what string, limit time.Duration, ok func([]health.Result) bool) []health.Result {
	l.t.Helper()
	start := time.Now()
	for {
		rs := l.status()
		if ok(rs) {
			l.t.Logf("%s after %s:\n%s", what, time.Since(start).Round(time.Second), describe(rs))
			return rs
		}
		if time.Since(start) > limit {
			l.t.Fatalf("no %s after %s:\n%s", what, limit, describe(rs))
		}
		time.Sleep(10 * time.Second)
	}
}

func describe(rs []health.Result) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s %s %s %v: %s\n", r.Check, r.Target, r.Status, r.Hosts, r.Reason)
	}
	return b.String()
}

func find(rs []health.Result, check string) *health.Result {
	for i := range rs {
		if rs[i].Check == check {
			return &rs[i]
		}
	}
	return nil
}

func bothOK(rs []health.Result) bool {
	return find(rs, "rabbitmq-cluster") != nil && find(rs, "memcached-instances") != nil && health.Worst(rs) == health.OK
}

// queueScript declares the quorum queue (the vhost's default type), or
// finds it, publishes a message and gets it back, over the members of
// argv[1], as the nova user.
const queueScript = `import os, sys, time, kombu
urls = ";".join("amqp://nova:%s@%s/nova" % (os.environ["PW"], h) for h in sys.argv[1].split(","))
with kombu.Connection(urls, connect_timeout=10, failover_strategy="round-robin", transport_options={"max_retries": 5}) as conn:
    q = kombu.Queue("fundament-lab-test", durable=True, channel=conn.channel())
    q.declare()
    body = "hello %f" % time.time()
    with conn.Producer() as p:
        p.publish(body, routing_key="fundament-lab-test", retry=True)
    for _ in range(60):
        m = q.get(no_ack=False)
        if m is not None:
            m.ack()
            if m.payload == body:
                print("passed via", conn.as_uri())
                break
        else:
            time.sleep(0.5)
    else:
        print("no message back")
`

// memcacheScript sets and gets a key on each address of argv.
const memcacheScript = `import socket, sys
for a in sys.argv[1:]:
    host, port = a.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), 5)
    s.sendall(b"set fundament-lab 0 60 5\r\nhello\r\nget fundament-lab\r\nquit\r\n")
    data = b""
    while not data.endswith(b"END\r\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    print(a, "ok" if b"STORED\r\nVALUE fundament-lab 0 5\r\nhello\r\nEND\r\n" in data else "FAILED %r" % data)
`

func TestLabRabbitMQ(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root (namespaces, interfaces, mounts); CI runs this test as root")
	}
	for _, p := range []string{"debootstrap", "ip", "nsenter", "unshare", "ssh"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("the lab needs %s (make deps installs it)", p)
		}
	}
	if testing.Short() {
		t.Skip("the RabbitMQ lab takes minutes; not in -short")
	}
	// The model of examples/lab, not what a lab run there left (its
	// secrets/, .fundament/).
	repo := t.TempDir()
	src := "../../../examples/lab"
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if rel == "secrets" || rel == ".fundament" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(repo, rel), 0o755)
		}
		if !strings.HasSuffix(p, ".yaml") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil {
			s := strings.ReplaceAll(string(b), "10.199.", labNet)
			s = strings.Replace(s, "\nname: lab\n", "\nname: rabbitmqtest\n", 1)
			err = os.WriteFile(filepath.Join(repo, rel), []byte(s), 0o644)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, diags := validate.Check(repo)
	if diags.HasErrors() {
		t.Fatalf("the lab's copy is invalid: %v", diags.Items())
	}
	t.Setenv("FUNDAMENT_AGE_IDENTITY", filepath.Join(t.TempDir(), "age.key"))
	l := &rabbitLab{t: t, repo: repo, labDir: filepath.Join(t.TempDir(), "lab")}
	l.must("secrets", "generate")
	var list []struct {
		Name    string `json:"name"`
		Present bool   `json:"present"`
	}
	if err := json.Unmarshal([]byte(l.must("secrets", "list", "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Present {
			l.secrets = append(l.secrets, strings.TrimSpace(l.must("secrets", "show", s.Name)))
		}
	}
	novaPW := strings.TrimSpace(l.must("secrets", "show", "nova-rabbitmq"))

	l.fm("lab", "down") // what a killed run left
	t.Cleanup(func() {
		if _, err := l.fm("lab", "down"); err != nil {
			t.Logf("lab down: %v", err)
		}
	})
	l.timed("lab up", func() {
		if out, err := l.fm("lab", "up", "--no-apply", "--wait", "10m"); err != nil {
			t.Skipf("the lab cannot be built here: %v", err)
		} else {
			t.Log(strings.TrimSpace(out))
		}
	})
	// The lab's switches carry the internal API VLAN between the hosts;
	// --component follows dependencies between resources, and nothing of
	// a host depends on the switches.
	l.timed("apply fabric", func() { l.must("apply", "--auto-approve", "--component", "fabric") })
	l.timed("apply rabbitmq,memcached", func() {
		out := l.must("apply", "--auto-approve", "--component", "rabbitmq,memcached")
		// Where the time goes: the members' starts, joins, gates.
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "rabbitmq-server.service") || strings.Contains(line, "command:rabbitmq/") || strings.Contains(line, "group:") {
				if strings.HasPrefix(strings.TrimSpace(line), "ok") || strings.HasPrefix(strings.TrimSpace(line), "gate") {
					t.Log(strings.TrimSpace(line))
				}
			}
		}
		t.Log(lastLine(out))
	})
	l.timed("status OK", func() { l.waitStatus("RabbitMQ and Memcached healthy", 5*time.Minute, bothOK) })

	members := []string{"ctl-1", "ctl-2", "ctl-3"}
	var amqp, memcached []string
	for _, h := range members {
		a := c.HostsByName()[h].Networks["internal"].Address.String()
		amqp = append(amqp, a+":5672")
		memcached = append(memcached, a+":11211")
	}
	pw := "PW=" + novaPW

	t.Run("cluster", func(t *testing.T) {
		for _, h := range members {
			var st struct {
				Running []string `json:"running_nodes"`
			}
			out := l.in(h, "rabbitmqctl -q cluster_status --formatter json")
			if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Running) != 3 {
				t.Errorf("%s: running nodes %v (%v)", h, st.Running, err)
			}
		}
		users := l.in("ctl-1", "rabbitmqctl -s list_users")
		if strings.Contains(users, "guest") || !strings.Contains(users, "admin\t[administrator]") || !strings.Contains(users, "nova\t[]") {
			t.Errorf("users:\n%s", users)
		}
		vhosts := l.in("ctl-1", "rabbitmqctl -s list_vhosts name default_queue_type")
		for _, v := range []string{"nova\tquorum", "neutron\tquorum", "cinder\tquorum"} {
			if !strings.Contains(vhosts, v) {
				t.Errorf("vhosts lack %q:\n%s", v, vhosts)
			}
		}
	})
	t.Run("quorum queue", func(t *testing.T) {
		if out := l.in("ctl-1", "python3 -c \"$S\" "+strings.Join(amqp, ","), pw, "S="+queueScript); !strings.HasPrefix(out, "passed via") {
			t.Fatalf("the message did not pass: %s", l.redact(out))
		}
		var qs []struct {
			Name    string   `json:"name"`
			Type    string   `json:"type"`
			Members []string `json:"members"`
			Online  []string `json:"online"`
		}
		out := l.in("ctl-2", "rabbitmqctl -q list_queues -p nova name type members online --formatter json")
		if err := json.Unmarshal([]byte(out), &qs); err != nil || len(qs) != 1 || qs[0].Type != "quorum" || len(qs[0].Members) != 3 || len(qs[0].Online) != 3 {
			t.Errorf("the queue is no quorum queue on 3 members: %s (%v)", out, err)
		}
	})
	t.Run("memcached", func(t *testing.T) {
		out := l.in("ctl-1", "python3 -c \"$S\" "+strings.Join(memcached, " "), "S="+memcacheScript)
		if strings.Count(out, " ok") != 3 {
			t.Errorf("set/get:\n%s", out)
		}
	})
	t.Run("no-op re-apply", func(t *testing.T) {
		l.timed("no-op re-apply", func() {
			if out := l.must("apply", "--auto-approve", "--component", "rabbitmq,memcached"); !strings.Contains(out, "No changes.") {
				t.Errorf("a re-apply changes something:\n%s", out)
			}
		})
	})
	t.Run("a member stops and starts", func(t *testing.T) {
		// The first member: it leads the test queue (declared through
		// it) and makes the accounts.
		victim := "ctl-1"
		l.timed("lab stop "+victim, func() { l.must("lab", "stop", victim) })
		l.timed("status DEGRADED", func() {
			l.waitStatus("DEGRADED naming "+victim, 5*time.Minute, func(rs []health.Result) bool {
				for _, check := range []string{"rabbitmq-cluster", "memcached-instances"} {
					r := find(rs, check)
					if r == nil || r.Status != health.Degraded || !slices.Equal(r.Hosts, []string{victim}) || !strings.Contains(r.Reason, victim) {
						return false
					}
				}
				return true
			})
		})
		if out := l.in("ctl-2", "python3 -c \"$S\" "+strings.Join(amqp, ","), pw, "S="+queueScript); !strings.HasPrefix(out, "passed via") {
			t.Errorf("with %s stopped the message did not pass: %s", victim, l.redact(out))
		}
		l.timed("lab start "+victim, func() { l.must("lab", "start", victim) })
		l.timed("status OK again", func() { l.waitStatus("RabbitMQ and Memcached healthy again", 10*time.Minute, bothOK) })
		if out := l.must("plan", "--component", "rabbitmq,memcached"); !strings.Contains(out, "No changes.") {
			t.Errorf("after the restart, a re-plan changes something:\n%s", out)
		}
	})
	t.Run("no secret printed", func(t *testing.T) {
		printed := l.printed.String()
		for _, v := range l.secrets {
			if strings.Contains(printed, v) {
				t.Errorf("a secret value (%d characters) appears in the output of plan, apply or status", len(v))
			}
		}
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "Apply ") {
			return lines[i]
		}
	}
	return lines[len(lines)-1]
}
