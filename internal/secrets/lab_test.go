package secrets_test

// The secrets' lab test (issue 21): a lab of examples/lab (on its own
// prefix and addresses) with every component, and no secret value on any
// command line of any lab host, in any host's journal, logs or shell
// history. While the first apply, then a plan and an apply that rotate
// passwords of every component that has them (Galera's, RabbitMQ's,
// HAProxy's, Keystone's, and Keystone's Fernet keys) and change their
// configuration (Galera, memcached, Keystone), and the status checks
// between them run, a sampler reads the command line of every process of
// this machine every few milliseconds and of every process as it executes
// a program (the lab hosts' PID namespaces are children of this machine's,
// so their processes are this machine's too): it must find no secret value,
// old or new. Then each host's journal (every field, journalctl -o
// export), /var/log and root's shell history are searched. First, a canary
// put together on a lab host, in a shell's arguments, shows that the
// sampler sees the hosts' processes, short-lived ones too.
//
// It needs root and the lab's tools; the lab image is built (debootstrap)
// the first time and cached.
//
//	go test ./internal/secrets -run TestLabSecretsStayOffHosts -v -timeout 90m

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/cli"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/plan"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/secrets"
	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
	"github.com/fundament-cloud/fundament/internal/testutil/procscan"
)

const (
	labPrefix = "fsx"
	// labNet replaces examples/lab's 10.199.: clear of the labs of the
	// other tests and of a developer's examples/lab.
	labNet = "10.175."
	cloud  = "fsxtest"
	// sampleEvery is the interval of the full scans (a scan of the whole
	// machine takes a few milliseconds itself); the process connector
	// adds each process as it executes a program.
	sampleEvery = 5 * time.Millisecond
)

// rotated are the secrets the second apply brings to the hosts anew:
// passwords of Galera (its state transfer account, Keystone's database
// account), RabbitMQ, HAProxy and Keystone (its administrator), and every
// service's RabbitMQ password there is.
var rotated = []string{"galera-mariabackup", "keystone-db", "rabbitmq-admin", "haproxy-stats", "keystone-admin"}

// changed are the components the second apply must change.
var changed = []string{"galera", "rabbitmq", "memcached", "loadbalancer", "keystone"}

// settings are the configuration changes of the second apply: a setting
// of Galera, memcached and Keystone each (file, old text, new text).
var settings = [][3]string{
	{"services/infrastructure.yaml", "max_connections: 300", "max_connections: 310"},
	{"services/infrastructure.yaml", "memory_mb: 64", "memory_mb: 96"},
	{"services/openstack.yaml", "token_expiration: 3600", "token_expiration: 7200"},
}

// needles are the values looked for, with the secret each comes from.
type needles struct {
	names, values []string
}

func (n *needles) add(name, value string) {
	if len(value) >= 8 && !slices.Contains(n.values, value) {
		n.names, n.values = append(n.names, name), append(n.values, value)
	}
}

// read adds the values of the lab's secrets as they are now: each
// password or key whole; of a PEM private key each line of its body (a
// part of it is a leak too); public certificates are no secrets.
func (n *needles) read(t *testing.T, l *labtest.Lab) {
	t.Helper()
	store, err := secrets.Open(secrets.Options{RepoDir: l.Repo, CloudName: l.CloudName, IdentityFile: l.Identity})
	if err != nil {
		t.Fatal(err)
	}
	names, err := store.List()
	identifiers := secrets.Identifiers(l.Cloud)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		v, err := store.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		v = strings.TrimSpace(v)
		switch {
		case identifiers[name]:
			// Kept with the secrets, no credential (Ceph's fsid:
			// ceph.conf and Ceph's own logs carry it).
		case strings.Contains(v, "BEGIN CERTIFICATE"):
		case strings.Contains(v, "-----BEGIN"):
			for _, line := range strings.Split(v, "\n") {
				if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
					n.add(name, line)
				}
			}
		default:
			n.add(name, v)
		}
	}
	if len(n.values) == 0 {
		t.Fatal("the lab has no secret values to look for")
	}
}

func (n *needles) redact(s string) string {
	for i, v := range n.values {
		s = strings.ReplaceAll(s, v, "<secret "+n.names[i]+">")
	}
	return s
}

// sampled runs f while a sampler looks for the values on every command
// line, and fails the test for each one it found.
func sampled(t *testing.T, n *needles, what string, f func()) {
	t.Helper()
	s := procscan.Start(n.values, sampleEvery)
	start := time.Now()
	defer func() { report(t, n, what, s.Stop(), time.Since(start)) }()
	f()
}

func report(t *testing.T, n *needles, what string, r procscan.Report, d time.Duration) {
	t.Helper()
	t.Logf("%s: %d scans of every process (one each %s) and %d processes checked as they started, in %s; process connector: %v %v, %d events lost",
		what, r.Scans, (d / time.Duration(max(r.Scans, 1))).Round(time.Millisecond), r.Execs, d.Round(time.Second), r.Connector, r.Err, r.Lost)
	if r.Scans < 10 {
		t.Errorf("%s: only %d scans", what, r.Scans)
	}
	for _, h := range r.Hits {
		t.Errorf("%s: secret %s on a command line: %s", what, n.names[h.Value], h)
	}
}

func TestLabSecretsStayOffHosts(t *testing.T) {
	l := labtest.New(t, labtest.Config{Prefix: labPrefix, Net: labNet, CloudName: cloud, Secrets: true})
	start := time.Now()
	t.Log(l.Up())
	t.Logf("lab up --no-apply in %s", time.Since(start).Round(time.Second))

	t.Run("the sampler sees the hosts' command lines", func(t *testing.T) {
		b := make([]byte, 12)
		rand.Read(b)
		canary := "fsx-canary-" + hex.EncodeToString(b)
		s := procscan.Start([]string{canary}, sampleEvery)
		// Put together on the host: the command that enters it, on this
		// machine, has only the halves. Once for a second, then five
		// shells of 50 ms.
		half := len(canary) / 2
		l.MustIn("ctl-1", "c="+canary[:half]+"; c=\"$c\""+canary[half:]+"\n"+
			"sh -c \": $c; sleep 1; :\"\nfor i in 1 2 3 4 5; do sh -c \": $c; sleep 0.05; :\"; done")
		r := s.Stop()
		inHost := map[int]bool{}
		for _, h := range r.Hits {
			if !h.OwnNamespace {
				inHost[h.PID] = true
			}
		}
		t.Logf("canary seen in %d of 6 processes of ctl-1 (%d scans, %d execs checked, connector %v %v)", len(inHost), r.Scans, r.Execs, r.Connector, r.Err)
		if len(inHost) < 2 {
			t.Fatalf("the sampler saw the canary in %d processes of ctl-1, want the long one and a short one: %v", len(inHost), r.Hits)
		}
	})

	var n needles
	n.read(t, l)
	sampled(t, &n, "first apply of every component", func() {
		start := time.Now()
		out := l.Must("apply", "--auto-approve")
		t.Logf("first apply in %s: %s", time.Since(start).Round(time.Second), labtest.LastLine(out))
		waitOK(t, l)
	})

	// Rotate, and change settings.
	args := []string{"secrets", "generate", "--rotate", strings.Join(append(rotated, serviceRabbitMQ(t, l)...), ",")}
	t.Log(strings.TrimSpace(l.Must(args...)))
	l.Must("openstack", "rotate-keys", "fernet")
	for _, e := range settings {
		edit(t, l, e[0], e[1], e[2])
	}
	n.read(t, l) // the old values and the new
	t.Logf("looking for %d values of the lab's secrets, old and new", len(n.values))

	sampled(t, &n, "plan and apply of the rotation and the changes", func() {
		p, err := plan.Read(strings.NewReader(l.Must("plan", "-o", "json")))
		if err != nil {
			t.Fatalf("plan -o json: %v", err)
		}
		for _, c := range changed {
			if planned(p, c) == 0 {
				t.Errorf("the plan changes nothing of %s", c)
			}
		}
		start := time.Now()
		out := l.Must("apply", "--auto-approve")
		t.Logf("apply of the rotation and the changes in %s: %s", time.Since(start).Round(time.Second), labtest.LastLine(out))
		waitOK(t, l)
		if out := l.Must("plan"); !strings.Contains(out, "No changes.") {
			t.Errorf("a re-plan is not empty:\n%s", l.Redact(out))
		}
	})

	t.Run("journals, logs and shell histories", func(t *testing.T) {
		var nodes []string
		for _, h := range l.Cloud.Hosts {
			nodes = append(nodes, h.Name)
		}
		for _, s := range l.Cloud.Network.Switches {
			nodes = append(nodes, s.Name)
		}
		for _, node := range nodes {
			searchHost(t, l, &n, node)
		}
	})
	l.NoSecretShown(t)
}

// serviceRabbitMQ lists the services' RabbitMQ passwords of the lab.
func serviceRabbitMQ(t *testing.T, l *labtest.Lab) []string {
	store, err := secrets.Open(secrets.Options{RepoDir: l.Repo, CloudName: l.CloudName, IdentityFile: l.Identity})
	if err != nil {
		t.Fatal(err)
	}
	names, err := store.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range names {
		if strings.HasSuffix(name, "-rabbitmq") {
			out = append(out, name)
		}
	}
	return out
}

func edit(t *testing.T, l *labtest.Lab, file, old, new string) {
	t.Helper()
	p := filepath.Join(l.Repo, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", file, old)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// planned counts the component's changes in the plan.
func planned(p *plan.Plan, component string) int {
	n := 0
	for _, h := range p.Hosts {
		for _, it := range h.Items {
			if it.Component == component && it.Change.Op != resource.OpNone {
				n++
			}
		}
	}
	return n
}

func waitOK(t *testing.T, l *labtest.Lab) {
	t.Helper()
	l.WaitStatus("every check OK", 15*time.Minute, func(rs []health.Result) bool {
		for _, r := range rs {
			if r.Status != health.OK {
				return false
			}
		}
		return len(rs) > 0
	}, "")
}

// searchHost looks for the values in a node's journal (every field of
// every entry), in the files under /var/log and in shell histories.
func searchHost(t *testing.T, l *labtest.Lab, n *needles, node string) {
	t.Helper()
	journal, err := inNode(l, node, "journalctl -o export --no-pager")
	if err != nil {
		t.Errorf("%s: journalctl: %v", node, err)
	}
	if len(journal) == 0 {
		t.Errorf("%s: empty journal", node)
	}
	for _, entry := range bytes.Split(journal, []byte("\n\n")) {
		for i, v := range n.values {
			if bytes.Contains(entry, []byte(v)) {
				t.Errorf("%s: secret %s in the journal: %s", node, n.names[i], n.redact(describeEntry(entry)))
			}
		}
	}
	// GNU tar exits 1 when a file changed while it read it (a service
	// still logging); the file is in the archive all the same.
	archive, err := inNode(l, node, `cd / && find var/log root home -xdev \( -path var/log/journal -prune \) -o `+
		`\( -type f \( -path 'var/log/*' -o -name '.*history*' \) -print0 \) 2>/dev/null | `+
		`{ tar --null -T - -cf - --warning=no-file-changed; rc=$?; [ "$rc" -le 1 ]; }`)
	if err != nil {
		t.Errorf("%s: tar of /var/log and histories: %v", node, err)
	}
	var files, histories []string
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("%s: reading the tar: %v", node, err)
			break
		}
		var r io.Reader = tr
		if strings.HasSuffix(h.Name, ".gz") {
			if r, err = gzip.NewReader(tr); err != nil {
				continue
			}
		}
		b, _ := io.ReadAll(r)
		files = append(files, h.Name)
		if strings.Contains(filepath.Base(h.Name), "history") {
			histories = append(histories, h.Name)
		}
		for i, v := range n.values {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s: secret %s in /%s", node, n.names[i], h.Name)
			}
		}
	}
	t.Logf("%s: journal of %d KiB; %d files under /var/log; shell histories: %v", node, len(journal)>>10, len(files)-len(histories), histories)
}

// inNode runs a script on a lab node (not through fundament's transport:
// the lab enters the node), its output not recorded with fundament's.
func inNode(l *labtest.Lab, node, script string) ([]byte, error) {
	var out, errb bytes.Buffer
	code := cli.Execute([]string{"--repo", l.Repo, "lab", "--prefix", l.Prefix, "--lab-dir", l.Dir, "exec", node, "--", "sh", "-c", script}, &out, &errb)
	if code != 0 {
		return out.Bytes(), fmt.Errorf("exit %d: %s", code, l.Redact(errb.String()))
	}
	return out.Bytes(), nil
}

// describeEntry names a journal entry by its unit, identifier, command and
// message (journalctl -o export: FIELD=value lines; binary fields are
// left out).
func describeEntry(entry []byte) string {
	var parts []string
	for _, line := range strings.Split(string(entry), "\n") {
		for _, f := range []string{"_SYSTEMD_UNIT=", "SYSLOG_IDENTIFIER=", "_CMDLINE=", "MESSAGE="} {
			if strings.HasPrefix(line, f) {
				v := line
				if len(v) > 300 {
					v = v[:300] + "..."
				}
				parts = append(parts, v)
			}
		}
	}
	return strings.Join(parts, " ")
}
