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
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/service"
	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

const (
	labPrefix = "frq"
	// labNet replaces examples/lab's 10.199.: clear of the labs of the
	// other tests and of a developer's examples/lab.
	labNet = "10.192."
)

type rabbitLab struct{ *labtest.Lab }

// in runs a script on a lab host; env (NAME=value) is passed without
// showing up in errors.
func (l *rabbitLab) in(host, script string, env ...string) string {
	l.T.Helper()
	args := append([]string{"lab", "exec", host, "--", "env"}, env...)
	return strings.TrimSpace(l.Must(append(args, "sh", "-c", script)...))
}

func (l *rabbitLab) waitStatus(what string, limit time.Duration, ok func([]health.Result) bool) []health.Result {
	l.T.Helper()
	rs := l.WaitStatus(what, limit, ok, "rabbitmq,memcached", "rabbitmq", "memcached")
	l.T.Logf("%s:\n%s", what, labtest.Describe(rs))
	return rs
}

func bothOK(rs []health.Result) bool {
	return labtest.Find(rs, "rabbitmq-cluster") != nil && labtest.Find(rs, "memcached-instances") != nil && health.Worst(rs) == health.OK
}

// queueScript declares the quorum queue (the vhost's default type), or
// finds it, publishes a message and gets it back, over the members of
// argv[1], as the test's service user (servicetest.Queued).
const queueScript = `import os, sys, time, kombu
urls = ";".join("amqp://queued:%s@%s/queued" % (os.environ["PW"], h) for h in sys.argv[1].split(","))
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
	l := &rabbitLab{labtest.New(t, labtest.Config{Prefix: labPrefix, Net: labNet, CloudName: "rabbitmqtest", Secrets: true,
		Services: []*service.Service{servicetest.Queued}})}
	c := l.Cloud
	queuePW := l.Secret(servicetest.Queued.QueueSecret())
	l.Timed("lab up", func() { t.Log(l.Up()) })
	// The lab's switches carry the internal API VLAN between the hosts;
	// --component follows dependencies between resources, and nothing of
	// a host depends on the switches.
	l.Timed("apply fabric", func() { l.Must("apply", "--auto-approve", "--component", "fabric") })
	l.Timed("apply rabbitmq,memcached", func() {
		out := l.Must("apply", "--auto-approve", "--component", "rabbitmq,memcached")
		// Where the time goes: the members' starts, joins, gates.
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "rabbitmq-server.service") || strings.Contains(line, "command:rabbitmq/") || strings.Contains(line, "group:") {
				if strings.HasPrefix(strings.TrimSpace(line), "ok") || strings.HasPrefix(strings.TrimSpace(line), "gate") {
					t.Log(strings.TrimSpace(line))
				}
			}
		}
		t.Log(labtest.LastLine(out))
	})
	l.Timed("status OK", func() { l.waitStatus("RabbitMQ and Memcached healthy", 5*time.Minute, bothOK) })

	members := []string{"ctl-1", "ctl-2", "ctl-3"}
	var amqp, memcached []string
	for _, h := range members {
		a := c.HostsByName()[h].Networks["internal"].Address.String()
		amqp = append(amqp, a+":5672")
		memcached = append(memcached, a+":11211")
	}
	pw := "PW=" + queuePW

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
		if strings.Contains(users, "guest") || !strings.Contains(users, "admin\t[administrator]") || !strings.Contains(users, "queued\t[]") {
			t.Errorf("users:\n%s", users)
		}
		vhosts := l.in("ctl-1", "rabbitmqctl -s list_vhosts name default_queue_type")
		for _, v := range []string{"queued\tquorum"} {
			if !strings.Contains(vhosts, v) {
				t.Errorf("vhosts lack %q:\n%s", v, vhosts)
			}
		}
	})
	t.Run("quorum queue", func(t *testing.T) {
		if out := l.in("ctl-1", "python3 -c \"$S\" "+strings.Join(amqp, ","), pw, "S="+queueScript); !strings.HasPrefix(out, "passed via") {
			t.Fatalf("the message did not pass: %s", l.Redact(out))
		}
		var qs []struct {
			Name    string   `json:"name"`
			Type    string   `json:"type"`
			Members []string `json:"members"`
			Online  []string `json:"online"`
		}
		out := l.in("ctl-2", "rabbitmqctl -q list_queues -p queued name type members online --formatter json")
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
		l.Timed("no-op re-apply", func() {
			if out := l.Must("apply", "--auto-approve", "--component", "rabbitmq,memcached"); !strings.Contains(out, "No changes.") {
				t.Errorf("a re-apply changes something:\n%s", out)
			}
		})
	})
	t.Run("a member stops and starts", func(t *testing.T) {
		// The first member: it leads the test queue (declared through
		// it) and makes the accounts.
		victim := "ctl-1"
		l.Timed("lab stop "+victim, func() { l.Must("lab", "stop", victim) })
		l.Timed("status DEGRADED", func() {
			l.waitStatus("DEGRADED naming "+victim, 5*time.Minute, func(rs []health.Result) bool {
				for _, check := range []string{"rabbitmq-cluster", "memcached-instances"} {
					r := labtest.Find(rs, check)
					if r == nil || r.Status != health.Degraded || !slices.Equal(r.Hosts, []string{victim}) || !strings.Contains(r.Reason, victim) {
						return false
					}
				}
				return true
			})
		})
		if out := l.in("ctl-2", "python3 -c \"$S\" "+strings.Join(amqp, ","), pw, "S="+queueScript); !strings.HasPrefix(out, "passed via") {
			t.Errorf("with %s stopped the message did not pass: %s", victim, l.Redact(out))
		}
		l.Timed("lab start "+victim, func() { l.Must("lab", "start", victim) })
		l.Timed("status OK again", func() { l.waitStatus("RabbitMQ and Memcached healthy again", 10*time.Minute, bothOK) })
		if out := l.Must("plan", "--component", "rabbitmq,memcached"); !strings.Contains(out, "No changes.") {
			t.Errorf("after the restart, a re-plan changes something:\n%s", out)
		}
	})
	t.Run("no secret printed", l.NoSecretShown)
}
