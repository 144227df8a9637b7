package cli

// End-to-end tests of plan, apply, runs, logs and lock against real sshd
// servers on 127.0.0.1 (internal/testutil/sshd). Three servers play the
// hosts h1, h2 and h3; they share this machine's file system, so every
// custom set writes below <tmp>/<host>/ only. They need root and OpenSSH's
// server and skip otherwise.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/testutil/sshd"
)

// childArgsEnv makes the test binary a fundament process: TestMain runs
// Execute with these (JSON) arguments instead of the tests. The kill -9
// test needs an apply in a process of its own.
const childArgsEnv = "FUNDAMENT_E2E_CHILD_ARGS"

// The hosts' lease directories (<root>/<host>) and the lease TTL of a
// child: its hosts share this machine's /run with every other test.
const (
	childLeaseRootEnv = "FUNDAMENT_E2E_LEASE_ROOT"
	childLeaseTTLEnv  = "FUNDAMENT_E2E_LEASE_TTL"
)

func TestMain(m *testing.M) {
	if root := os.Getenv(childLeaseRootEnv); root != "" {
		leaseDir = func(host string) string { return filepath.Join(root, host) }
	}
	if ttl, err := time.ParseDuration(os.Getenv(childLeaseTTLEnv)); err == nil {
		leaseTTL = ttl
	}
	if a := os.Getenv(childArgsEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(Execute(args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

var e2eHosts = []string{"h1", "h2", "h3"}

// e2e is a configuration repository whose hosts are real sshd servers.
type e2e struct {
	t    *testing.T
	repo string
	tmp  string // the hosts' directories: tmp/h1, tmp/h2, tmp/h3
	// leases holds each host's lease directory (leases/h1, ...): the
	// "hosts" share this machine, and the tests of other packages (and
	// worktrees) running at the same time must not share their leases.
	leases string
	srv    map[string]*sshd.Server
	keys   string // --ssh-key value
	outs   []string
	start  time.Time
}

func newE2E(t *testing.T, opts ...sshd.Option) *e2e {
	t.Helper()
	sshd.Require(t)
	e := &e2e{t: t, repo: t.TempDir(), tmp: t.TempDir(), leases: t.TempDir(), srv: map[string]*sshd.Server{}, start: time.Now()}
	setLeases(t, e.leases, leaseTTL)
	t.Cleanup(func() { t.Logf("%s took %v", t.Name(), time.Since(e.start).Round(time.Millisecond)) })
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("FUNDAMENT_AGE_IDENTITY", "")
	t.Setenv("FUNDAMENT_SSH_KEY", "")
	var keys []string
	for _, h := range e2eHosts {
		s := sshd.Start(t, opts...)
		e.srv[h] = s
		keys = append(keys, s.ClientKeyFile)
		if err := os.MkdirAll(filepath.Join(e.tmp, h), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.keys = strings.Join(keys, ",")
	// The hosts' keys: h1's and h2's pinned in the inventory, h3's in the
	// repository's known_hosts (nothing is trusted on first use).
	e.write("cloud.yaml", `name: e2e
profile: lab
domain: e2e.fundament.test
ssh_known_hosts: ssh_known_hosts
regions:
  - name: RegionOne
    availability_zones:
      - {name: az1, racks: [r1]}
`)
	// The hosts are reached at ssh.address; their management addresses
	// only need to be valid.
	e.write("network.yaml", `networks:
  - {name: mgmt, role: management, prefix: 127.0.0.0/8}
  - {name: internal, role: internal_api, prefix: 10.250.1.0/24}
  - {name: tunnel, role: tunnel, prefix: 10.250.2.0/24}
`)
	// The infrastructure services must run somewhere, and OVN's
	// controller needs a compute host: h1 is one. Nothing deploys them
	// yet; only the custom component compiles resources.
	e.write("inventory/hosts.yaml", fmt.Sprintf(`defaults:
  rack: r1
hosts:
  - name: h1
    roles: [manager, compute]
    ssh: {address: 127.0.0.1, port: %d, user: root, host_key: %q}
    interfaces: [{name: lo}]
    networks:
      mgmt: {interface: lo, address: 127.0.0.11}
      internal: {interface: lo, address: 10.250.1.11}
      tunnel: {interface: lo, address: 10.250.2.11}
  - name: h2
    roles: [manager]
    ssh: {address: 127.0.0.1, port: %d, user: root, host_key: %q}
    interfaces: [{name: lo}]
    networks:
      mgmt: {interface: lo, address: 127.0.0.12}
  - name: h3
    roles: [manager]
    ssh: {address: 127.0.0.1, port: %d, user: root}
    interfaces: [{name: lo}]
    networks:
      mgmt: {interface: lo, address: 127.0.0.13}
`, e.srv["h1"].Port, hostKey(e.srv["h1"]), e.srv["h2"].Port, hostKey(e.srv["h2"]), e.srv["h3"].Port))
	e.write("ssh_known_hosts", fmt.Sprintf("[h3]:%d %s\n", e.srv["h3"].Port, hostKey(e.srv["h3"])))
	e.write("services/infra.yaml", `galera: {placement: {hosts: [h1]}}
rabbitmq: {placement: {hosts: [h1]}}
memcached: {placement: {hosts: [h1]}}
ovn: {central: {hosts: [h1]}, gateways: {hosts: [h1]}}
ceph: {enabled: false}
openstack:
  keystone: {hosts: {hosts: [h1]}}
  glance: {enabled: false}
  placement: {enabled: false}
  nova: {enabled: false}
  neutron: {enabled: false}
  cinder: {enabled: false}
`)
	return e
}

// setLeases points this process's applies at the lease directories below
// root, with leases of ttl, until the test ends.
func setLeases(t *testing.T, root string, ttl time.Duration) {
	oldDir, oldTTL := leaseDir, leaseTTL
	leaseDir = func(host string) string { return filepath.Join(root, host) }
	leaseTTL = ttl
	t.Cleanup(func() { leaseDir, leaseTTL = oldDir, oldTTL })
}

// lease is the lease file of a host ("" when there is none).
func (e *e2e) lease(host string) string {
	b, _ := os.ReadFile(filepath.Join(e.leases, host, "apply.lease"))
	return string(b)
}

// write writes a file of the repository; {T} in content is the hosts'
// directory root.
func (e *e2e) write(rel, content string) {
	e.t.Helper()
	p := filepath.Join(e.repo, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(content, "{T}", e.tmp)), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// custom writes services/custom.yaml.
func (e *e2e) custom(yaml string) { e.t.Helper(); e.write("services/custom.yaml", "custom:\n"+yaml) }

// args completes a command line with the repository and, for the
// commands that reach hosts, the SSH keys.
func (e *e2e) args(args ...string) []string {
	out := append([]string{}, args...)
	out = append(out, "--repo", e.repo)
	if args[0] == "plan" || args[0] == "apply" {
		// The hosts are sshd servers on this machine: only the operators'
		// own resources, none of the cloud's components.
		out = append(out, "--ssh-key", e.keys, "--component", "custom")
	}
	return out
}

// run runs fundament in this process, keeping its output for the checks
// that no secret was printed.
func (e *e2e) run(args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	start := time.Now()
	code = Execute(e.args(args...), &out, &errb)
	e.t.Logf("fundament %s: exit %d in %v", strings.Join(args, " "), code, time.Since(start).Round(time.Millisecond))
	e.outs = append(e.outs, out.String(), errb.String())
	return code, out.String(), errb.String()
}

// must runs fundament and requires exit code want.
func (e *e2e) must(want int, args ...string) (stdout, stderr string) {
	e.t.Helper()
	code, out, errs := e.run(args...)
	if code != want {
		e.t.Fatalf("fundament %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errs)
	}
	return out, errs
}

func (e *e2e) path(host, rel string) string { return filepath.Join(e.tmp, host, rel) }

func (e *e2e) read(host, rel string) string {
	e.t.Helper()
	b, err := os.ReadFile(e.path(host, rel))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *e2e) exists(host, rel string) bool {
	_, err := os.Lstat(e.path(host, rel))
	return err == nil
}

// count is the number of lines of a counter file (0 when missing).
func (e *e2e) count(host, rel string) int {
	b, err := os.ReadFile(e.path(host, rel))
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

// runsJSON lists the recorded runs, newest first.
func (e *e2e) runs() []struct{ ID, Kind, Status, Summary string } {
	e.t.Helper()
	out, _ := e.must(ExitOK, "runs", "--limit", "0", "-o", "json")
	var runs []struct{ ID, Kind, Status, Summary string }
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		e.t.Fatalf("runs -o json: %v\n%s", err, out)
	}
	return runs
}

func (e *e2e) applyRuns() int {
	n := 0
	for _, r := range e.runs() {
		if r.Kind == "apply" {
			n++
		}
	}
	return n
}

// logs returns the actions of a run.
func (e *e2e) logs(run string) []struct{ Host, Resource, Op, Status, Output, Error string } {
	e.t.Helper()
	out, _ := e.must(ExitOK, "logs", run, "-o", "json")
	var l struct {
		Actions []struct{ Host, Resource, Op, Status, Output, Error string }
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		e.t.Fatalf("logs -o json: %v\n%s", err, out)
	}
	return l.Actions
}

func contains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// accounts returns names for a throwaway group and user (real on this
// machine, since the hosts share /etc) and removes them when the test ends.
func accounts(t *testing.T) (group, usr string) {
	b := make([]byte, 3)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	group, usr = "fundament-e2e-g"+suffix, "fundament-e2e-u"+suffix
	t.Cleanup(func() {
		exec.Command("userdel", usr).Run()
		exec.Command("groupdel", group).Run()
		exec.Command("groupdel", usr).Run()
	})
	return group, usr
}

func mtime(t *testing.T, p string) time.Time {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime()
}

// TestE2EConverge applies every resource kind that works without systemd,
// checks that a second plan and apply change nothing, that changes show
// field diffs, and that the secret a file holds appears in no output,
// plan file or state.
func TestE2EConverge(t *testing.T) {
	e := newE2E(t)
	group, usr := accounts(t)
	_, ansibleErr := exec.LookPath("ansible-playbook")
	playbook := ""
	if ansibleErr == nil {
		// No extra_vars: the model cannot decode them yet (see the report).
		e.write("playbooks/e2e.yml", `- hosts: all
  gather_facts: false
  vars: {ansible_python_interpreter: /usr/bin/python3}
  tasks:
    - ansible.builtin.shell: "echo run >> {T}/{{ inventory_hostname }}/playbook.count"
`)
		playbook = `
    playbooks:
      - {name: pb, playbook: playbooks/e2e.yml}`
	} else {
		t.Log("ansible-playbook is not on PATH: the playbook part is skipped")
	}
	sets := func(mode string) string {
		return fmt.Sprintf(`  - name: e2e-h1
    hosts: {hosts: [h1]}
    directories:
      - {path: "{T}/h1/d", mode: "0750"}
      - {path: "{T}/h1/owned", owner: %[2]s, group: %[1]s, mode: "0770"}
    groups:
      - {name: %[1]s}
    users:
      - {name: %[2]s, group: %[1]s, shell: /bin/sh}
    packages:
      - {name: coreutils}
    files:
      - {path: "{T}/h1/d/f", content: "hello\n", mode: "%[3]s"}
      - {path: "{T}/h1/owned/f", content: "mine\n", owner: %[2]s, group: %[1]s}
      - {path: "{T}/h1/secret", content_secret: keystone-admin, mode: "0600"}
    symlinks:
      - {path: "{T}/h1/link", target: "{T}/h1/d/f"}
    commands:
      - {name: once, script: "echo run >> {T}/h1/once.count"}
      - {name: guarded, script: "echo run >> {T}/h1/guarded.count; touch {T}/h1/guarded.done", guard: "test -f {T}/h1/guarded.done"}
  - name: e2e-h2
    hosts: {hosts: [h2]}
    files:
      - {path: "{T}/h2/f", content: "two\n"}%[4]s
  - name: e2e-h3
    hosts: {hosts: [h3]}
    files:
      - {path: "{T}/h3/f", content: "three\n"}
`, group, usr, mode, playbook)
	}
	e.custom(sets("0644"))
	e.must(ExitOK, "secrets", "generate")
	out, _ := e.must(ExitOK, "secrets", "show", "keystone-admin")
	secret1 := strings.TrimSpace(out)
	e.outs = e.outs[:len(e.outs)-2] // the one output allowed to hold it

	// First plan: everything is created.
	out, _ = e.must(ExitChanges, "plan", "--detailed-exitcode")
	contains(t, "first plan", out,
		"# h1", "# h2", "# h3",
		"+ create   directory:"+e.path("h1", "d"),
		"+ create   group:"+group,
		"+ create   user:"+usr,
		"+ create   file:"+e.path("h1", "d/f"),
		"+ create   file:"+e.path("h1", "secret"),
		"+ create   symlink:"+e.path("h1", "link"),
		"> run      command:e2e-h1/once (no guard",
		"> run      command:e2e-h1/guarded (guard exited 1",
		"+ create   file:"+e.path("h2", "f"),
		"+ create   file:"+e.path("h3", "f"))
	if strings.Contains(out, "coreutils") {
		t.Errorf("the installed package coreutils is planned:\n%s", out)
	}
	if ansibleErr == nil {
		contains(t, "first plan", out, "> run      ansible:e2e-h2/pb")
	}

	// Apply converges.
	out, _ = e.must(ExitOK, "apply", "--auto-approve")
	contains(t, "apply", out, "Apply complete:", "0 failed")
	if got := e.read("h1", "d/f"); got != "hello\n" {
		t.Errorf("d/f = %q", got)
	}
	if got := e.read("h1", "secret"); got != secret1 {
		t.Errorf("the secret file does not hold the secret (%d bytes)", len(got))
	}
	if target, err := os.Readlink(e.path("h1", "link")); err != nil || target != e.path("h1", "d/f") {
		t.Errorf("link -> %q, %v", target, err)
	}
	checkMode := func(rel string, want os.FileMode) {
		t.Helper()
		fi, err := os.Stat(e.path("h1", rel))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", rel, fi.Mode().Perm(), want)
		}
	}
	checkMode("d", 0o750)
	checkMode("d/f", 0o644)
	checkMode("secret", 0o600)
	checkMode("owned", 0o770)
	u, err := user.Lookup(usr)
	if err != nil {
		t.Fatalf("user %s: %v", usr, err)
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		t.Fatalf("group %s: %v", group, err)
	}
	if u.Gid != g.Gid {
		t.Errorf("user %s has gid %s, want %s (group %s)", usr, u.Gid, g.Gid, group)
	}
	for _, rel := range []string{"owned", "owned/f"} {
		var st syscall.Stat_t
		if err := syscall.Stat(e.path("h1", rel), &st); err != nil {
			t.Fatal(err)
		}
		if strconv.Itoa(int(st.Uid)) != u.Uid || strconv.Itoa(int(st.Gid)) != g.Gid {
			t.Errorf("%s is owned by %d:%d, want %s:%s", rel, st.Uid, st.Gid, u.Uid, g.Gid)
		}
	}
	if n := e.count("h1", "once.count"); n != 1 {
		t.Errorf("once ran %d times, want 1", n)
	}
	if n := e.count("h1", "guarded.count"); n != 1 {
		t.Errorf("guarded ran %d times, want 1", n)
	}
	if ansibleErr == nil {
		if n := e.count("h2", "playbook.count"); n != 1 {
			t.Errorf("the playbook ran %d times on h2, want 1", n)
		}
	}
	if got := e.read("h2", "f") + e.read("h3", "f"); got != "two\nthree\n" {
		t.Errorf("h2, h3 files: %q", got)
	}

	// Converged: no changes, and a second apply does nothing.
	mtimes := map[string]time.Time{}
	for _, rel := range []string{"d", "d/f", "secret", "link", "owned/f", "once.count"} {
		mtimes[rel] = mtime(t, e.path("h1", rel))
	}
	out, _ = e.must(ExitOK, "plan", "--detailed-exitcode")
	contains(t, "second plan", out, "No changes. Every host has its desired state.")
	applies := e.applyRuns()
	out, _ = e.must(ExitOK, "apply", "--auto-approve")
	contains(t, "second apply", out, "No changes.")
	if strings.Contains(out, "  ok ") {
		t.Errorf("the second apply acted:\n%s", out)
	}
	if n := e.applyRuns(); n != applies {
		// An apply without changes records no run; had it acted, its
		// actions would be in a new run.
		t.Errorf("the second apply recorded %d new runs", n-applies)
	}
	for rel, m := range mtimes {
		if got := mtime(t, e.path("h1", rel)); !got.Equal(m) {
			t.Errorf("%s was modified by the second apply", rel)
		}
	}
	if n := e.count("h1", "once.count"); n != 1 {
		t.Errorf("once ran %d times after two applies, want 1", n)
	}
	if ansibleErr == nil {
		if n := e.count("h2", "playbook.count"); n != 1 {
			t.Errorf("the playbook ran %d times after two applies, want 1", n)
		}
	}

	// Changes show their fields; the secret only that it changes.
	e.custom(sets("0600"))
	e.must(ExitOK, "secrets", "generate", "--rotate", "keystone-admin")
	out, _ = e.must(ExitOK, "secrets", "show", "keystone-admin")
	secret2 := strings.TrimSpace(out)
	e.outs = e.outs[:len(e.outs)-2]
	if secret2 == secret1 {
		t.Fatal("rotating did not change the secret")
	}
	planFile := filepath.Join(t.TempDir(), "cloud.plan")
	out, _ = e.must(ExitOK, "plan", "-out", planFile)
	contains(t, "plan after changes", out,
		"~ change   file:"+e.path("h1", "d/f"),
		`~ mode: "0644" -> "0600"`,
		"~ change   file:"+e.path("h1", "secret"),
		"~ content: (sensitive value changes)",
		"Plan: 0 to create, 2 to change, 0 to delete, 0 to run, 0 to restart.",
		"Saved the plan to "+planFile)
	out, _ = e.must(ExitOK, "apply", planFile)
	contains(t, "apply of the saved plan", out, "Apply complete: 2 succeeded")
	checkMode("d/f", 0o600)
	if got := e.read("h1", "secret"); got != secret2 {
		t.Error("the secret file does not hold the rotated secret")
	}
	if n := e.count("h1", "once.count"); n != 1 {
		t.Errorf("once ran %d times, want 1", n)
	}
	e.must(ExitOK, "plan", "--detailed-exitcode")

	// Every run's record, in text and JSON.
	for _, r := range e.runs() {
		e.must(ExitOK, "logs", r.ID)
		e.must(ExitOK, "logs", r.ID, "-o", "json")
	}
	e.must(ExitOK, "runs")
	e.must(ExitOK, "lock")

	// The secret is in no output, in no plan, in no state.
	files := []string{planFile}
	ents, _ := os.ReadDir(filepath.Join(e.repo, StateDir))
	for _, ent := range ents {
		files = append(files, filepath.Join(e.repo, StateDir, ent.Name()))
	}
	for i, s := range []string{secret1, secret2} {
		for j, o := range e.outs {
			if strings.Contains(o, s) {
				t.Errorf("secret %d appears in output %d", i+1, j)
			}
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("secret %d appears in %s", i+1, f)
			}
		}
	}
}

// oneFilePerHost is a custom set per host writing one file.
const oneFilePerHost = `  - name: e2e-h1
    hosts: {hosts: [h1]}
    files: [{path: "{T}/h1/f", content: "one\n"}]
  - name: e2e-h2
    hosts: {hosts: [h2]}
    files: [{path: "{T}/h2/f", content: "two\n"}]
  - name: e2e-h3
    hosts: {hosts: [h3]}
    files: [{path: "{T}/h3/f", content: "three\n"}]
`

// TestE2EHostDown: a host that is down fails the plan, and apply works on
// the others and says which host it did not reach.
func TestE2EHostDown(t *testing.T) {
	e := newE2E(t)
	e.custom(oneFilePerHost)
	e.srv["h3"].Stop()

	code, out, errs := e.run("plan", "--detailed-exitcode")
	if code != ExitNotOK {
		t.Fatalf("plan with h3 down: exit %d, want 1\n%s%s", code, out, errs)
	}
	contains(t, "plan", out, "# h3: cannot plan: host h3 unreachable", "+ create   file:"+e.path("h1", "f"), "1 host(s) could not be planned.")
	contains(t, "plan's errors", errs, "1 host(s) could not be observed: h3")
	if r := e.runs()[0]; r.Kind != "plan" || r.Status != "failed" || !strings.Contains(r.Summary, "1 unreachable") {
		t.Errorf("the plan's record: %+v", r)
	}

	code, out, errs = e.run("apply", "--auto-approve")
	if code != ExitNotOK {
		t.Fatalf("apply with h3 down: exit %d, want 1\n%s%s", code, out, errs)
	}
	contains(t, "apply", out, "skipped h3           the whole host: unreachable when planned",
		"Apply incomplete: 2 succeeded, 0 failed", "hosts not reached: h3")
	if e.read("h1", "f") != "one\n" || e.read("h2", "f") != "two\n" || e.exists("h3", "f") {
		t.Error("apply did not work on exactly the reachable hosts")
	}
	if r := e.runs()[0]; r.Kind != "apply" || r.Status != "failed" || !strings.Contains(r.Summary, "hosts not reached: h3") {
		t.Errorf("the apply's record: %+v", r)
	}

	// Back up: the rest is applied.
	e.srv["h3"].Restart()
	out, _ = e.must(ExitChanges, "plan", "--detailed-exitcode")
	contains(t, "plan with h3 back", out, "Plan: 1 to create, 0 to change")
	e.must(ExitOK, "apply", "--auto-approve")
	if e.read("h3", "f") != "three\n" {
		t.Error("h3 was not converged")
	}
	e.must(ExitOK, "plan", "--detailed-exitcode")
}

// TestE2EFailingCommand: a failing command fails the apply; what depends
// on it is skipped, everything else applied, and the record says so.
func TestE2EFailingCommand(t *testing.T) {
	e := newE2E(t)
	e.custom(oneFilePerHost + `  - name: cmds
    hosts: {hosts: [h2]}
    commands:
      - {name: dependent, script: "touch {T}/h2/dependent", after: [fail]}
      - {name: fail, script: "echo about to fail; echo bad thing >&2; exit 3"}
      - {name: independent, script: "touch {T}/h2/independent"}
`)
	code, out, errs := e.run("apply", "--auto-approve")
	if code != ExitNotOK {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	contains(t, "apply", out,
		"FAILED  h2           run command:cmds/fail: exit status 3: bad thing",
		"skipped h2           run command:cmds/dependent: dependency h2/command:cmds/fail failed",
		"Apply incomplete: 4 succeeded, 1 failed, 1 skipped",
		"failed: h2/command:cmds/fail",
		"  failed    h2           run command:cmds/fail: exit status 3: bad thing")
	if e.exists("h2", "dependent") {
		t.Error("the dependent command ran")
	}
	if !e.exists("h2", "independent") || e.read("h1", "f") != "one\n" || e.read("h2", "f") != "two\n" || e.read("h3", "f") != "three\n" {
		t.Error("unrelated resources were not applied")
	}
	run := e.runs()[0]
	if run.Kind != "apply" || run.Status != "failed" {
		t.Fatalf("newest run %+v", run)
	}
	out, _ = e.must(ExitOK, "logs", run.ID)
	contains(t, "logs", out, "h2 run command:cmds/fail attempt 1: failed", "error: exit status 3: bad thing",
		"| about to fail", "| bad thing", "h2 run command:cmds/dependent: skipped", "why: dependency h2/command:cmds/fail failed")
	status := map[string]string{}
	for _, a := range e.logs(run.ID) {
		status[a.Host+"/"+a.Resource] = a.Status
	}
	want := map[string]string{
		"h1/file:" + e.path("h1", "f"): "succeeded", "h2/file:" + e.path("h2", "f"): "succeeded", "h3/file:" + e.path("h3", "f"): "succeeded",
		"h2/command:cmds/fail": "failed", "h2/command:cmds/dependent": "skipped", "h2/command:cmds/independent": "succeeded",
	}
	if fmt.Sprint(status) != fmt.Sprint(want) {
		t.Errorf("recorded\n %v\nwant\n %v", status, want)
	}

	// Only the failed command and its dependent are left.
	out, _ = e.must(ExitChanges, "plan", "--detailed-exitcode")
	contains(t, "plan after the failure", out, "> run      command:cmds/fail", "> run      command:cmds/dependent", "Plan: 0 to create, 0 to change, 0 to delete, 2 to run")
}

// TestE2EStalePlan: a saved plan is refused when a host or the repository
// changed since it was made.
func TestE2EStalePlan(t *testing.T) {
	e := newE2E(t)
	e.custom(oneFilePerHost)
	e.must(ExitOK, "apply", "--auto-approve")
	e.custom(oneFilePerHost + `  - name: more
    hosts: {hosts: [h2]}
    files: [{path: "{T}/h2/g", content: "new\n"}]
`)
	planFile := filepath.Join(t.TempDir(), "p")

	// A host changed by hand.
	e.must(ExitOK, "plan", "-out", planFile)
	if err := os.WriteFile(e.path("h1", "f"), []byte("edited by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := e.run("apply", planFile)
	if code != ExitNotOK || !strings.Contains(errs, "the plan is stale: h1 changed since the plan was made") {
		t.Fatalf("stale (host): exit %d\n%s%s", code, out, errs)
	}
	if e.exists("h2", "g") || e.read("h1", "f") != "edited by hand\n" {
		t.Error("a stale plan was applied")
	}

	// The repository changed.
	e.must(ExitOK, "plan", "--out="+planFile)
	e.custom(strings.Replace(oneFilePerHost, `"two\n"`, `"two, edited\n"`, 1) + `  - name: more
    hosts: {hosts: [h2]}
    files: [{path: "{T}/h2/g", content: "new\n"}]
`)
	code, out, errs = e.run("apply", planFile)
	if code != ExitNotOK || !strings.Contains(errs, "the plan is stale: the configuration repository changed") {
		t.Fatalf("stale (repository): exit %d\n%s%s", code, out, errs)
	}
	if e.exists("h2", "g") {
		t.Error("a stale plan was applied")
	}

	// The repository changed in a command's script only.
	e.custom(oneFilePerHost + `  - name: cmd
    hosts: {hosts: [h3]}
    commands: [{name: c, script: "echo one >> {T}/h3/c.count"}]
`)
	e.must(ExitOK, "plan", "-out", planFile)
	e.custom(oneFilePerHost + `  - name: cmd
    hosts: {hosts: [h3]}
    commands: [{name: c, script: "echo two >> {T}/h3/c.count"}]
`)
	code, out, errs = e.run("apply", planFile)
	if code != ExitNotOK || !strings.Contains(errs, "the plan is stale: the configuration repository changed") {
		t.Fatalf("stale (script): exit %d\n%s%s", code, out, errs)
	}
	if e.exists("h3", "c.count") {
		t.Error("a stale plan ran a command")
	}

	// A fresh plan applies.
	e.must(ExitOK, "plan", "-out", planFile)
	out, _ = e.must(ExitOK, "apply", planFile)
	contains(t, "fresh plan", out, "Apply complete: 2 succeeded")
	if e.read("h1", "f") != "one\n" || e.read("h3", "c.count") != "two\n" {
		t.Error("the fresh plan was not applied")
	}

	// Another apply ran the plan's command meanwhile: the hosts look the
	// same (a command without a guard leaves no trace the observation
	// sees), but the state database recorded it done.
	e.custom(oneFilePerHost + `  - name: cmd
    hosts: {hosts: [h3]}
    commands: [{name: c, script: "echo three >> {T}/h3/c.count"}]
`)
	e.must(ExitOK, "plan", "-out", planFile)
	e.must(ExitOK, "apply", "--auto-approve")
	code, out, errs = e.run("apply", planFile)
	if code != ExitNotOK || !strings.Contains(errs, "the plan is stale: h3 (command:cmd/c: run when planned, none now) changed since the plan was made") {
		t.Fatalf("stale (recorded): exit %d\n%s%s", code, out, errs)
	}
	if got := e.read("h3", "c.count"); got != "two\nthree\n" {
		t.Errorf("the command ran again: %q", got)
	}
}

// child starts fundament in a process of its own (this test binary, see
// TestMain).
func (e *e2e) child(args ...string) (*exec.Cmd, *bytes.Buffer) {
	e.t.Helper()
	a, _ := json.Marshal(e.args(args...))
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(a), childLeaseRootEnv+"="+e.leases, childLeaseTTLEnv+"="+leaseTTL.String())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, &out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// Generous: a bound for a hang, not a speed check (CI machines are loaded).
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestE2ELockKillAndResume: while an apply runs, another is refused; the
// apply is killed (SIGKILL) in the middle of a command; its run shows as
// interrupted, its lock as stale until broken, and the next apply
// converges without repeating the steps that completed.
func TestE2ELockKillAndResume(t *testing.T) {
	e := newE2E(t)
	// slow waits (30 s at most) until the test releases it.
	e.custom(oneFilePerHost + `  - name: steps
    hosts: {hosts: [h3]}
    commands:
      - {name: first, script: "echo run >> {T}/h3/first.count"}
      - {name: slow, script: "echo run >> {T}/h3/slow.count; touch {T}/h3/slow.marker; i=0; while [ ! -e {T}/h3/release ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done"}
      - {name: last, script: "echo run >> {T}/h3/last.count", after: [slow]}
`)
	// Whatever happens, let the slow command end (the killed apply
	// leaves it running on the host).
	t.Cleanup(func() { os.WriteFile(e.path("h3", "release"), nil, 0o644) })

	cmd, childOut := e.child("apply", "--auto-approve")
	waitFor(t, "the slow command to start", func() bool { return e.exists("h3", "slow.marker") })

	// A second apply is refused while the first holds the lock.
	code, out, errs := e.run("apply", "--auto-approve")
	if code != ExitNotOK {
		t.Fatalf("concurrent apply: exit %d\n%s%s", code, out, errs)
	}
	contains(t, "concurrent apply", errs, "holds the lock", fmt.Sprintf("pid %d", cmd.Process.Pid), "wait for it to finish")
	out, _ = e.must(ExitOK, "lock")
	contains(t, "lock", out, fmt.Sprintf("held by pid %d", cmd.Process.Pid))
	if strings.Contains(out, "gone") {
		t.Errorf("a live holder is called gone:\n%s", out)
	}

	// kill -9 mid-apply.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // no zombie: the PID must be gone
	t.Logf("the killed apply printed:\n%s", childOut)
	if n := e.count("h3", "first.count"); n != 1 {
		t.Fatalf("first ran %d times before the kill", n)
	}

	runs := e.runs()
	var killed string
	for _, r := range runs {
		if r.Kind == "apply" {
			killed = r.ID
			if r.Status != "interrupted" {
				t.Errorf("the killed run is %s, want interrupted: %+v", r.Status, r)
			}
			break
		}
	}
	status := map[string]string{}
	for _, a := range e.logs(killed) {
		status[a.Resource] = a.Status
	}
	if status["command:steps/first"] != "succeeded" || status["command:steps/slow"] != "interrupted" {
		t.Errorf("the killed run's actions: %v", status)
	}
	out, _ = e.must(ExitOK, "lock")
	contains(t, "lock after the kill", out, fmt.Sprintf("held by pid %d", cmd.Process.Pid), "the process is gone", "fundament lock break")
	code, out, errs = e.run("apply", "--auto-approve")
	if code != ExitNotOK {
		t.Fatalf("apply with a stale lock: exit %d\n%s%s", code, out, errs)
	}
	contains(t, "apply with a stale lock", errs, "holds the lock", "its process is gone", "fundament lock break")
	out, _ = e.must(ExitOK, "lock", "break")
	contains(t, "lock break", out, fmt.Sprintf("broke the lock of pid %d", cmd.Process.Pid))
	out, _ = e.must(ExitOK, "lock")
	contains(t, "lock after break", out, "no apply holds the lock")

	// Resume: what completed is not repeated; the interrupted step runs
	// again (released at once now), and what came after it.
	os.WriteFile(e.path("h3", "release"), nil, 0o644)
	out, _ = e.must(ExitChanges, "plan", "--detailed-exitcode")
	contains(t, "plan after the kill", out, "> run      command:steps/slow", "> run      command:steps/last")
	if strings.Contains(out, "command:steps/first") || strings.Contains(out, "file:") {
		t.Errorf("the plan repeats completed steps:\n%s", out)
	}
	out, errs = e.must(ExitOK, "apply", "--auto-approve")
	contains(t, "resumed apply", out, "Apply complete: 2 succeeded")
	// The killed apply's leases: its process is gone, so they are taken
	// over at once rather than when they expire.
	contains(t, "resumed apply", errs, "note: h3: took over the lease of run "+killed, fmt.Sprintf("its process (pid %d on ", cmd.Process.Pid))
	for name, want := range map[string]int{"first": 1, "slow": 2, "last": 1} {
		if n := e.count("h3", name+".count"); n != want {
			t.Errorf("%s ran %d times, want %d", name, n, want)
		}
	}
	e.must(ExitOK, "plan", "--detailed-exitcode")
}

// TestE2EServiceWithoutSystemd: systemd is not PID 1 on this machine (a
// container), so a service cannot be managed. As documented
// (resource.Service), the plan says so and the apply fails that service,
// not what does not depend on it.
func TestE2EServiceWithoutSystemd(t *testing.T) {
	if b, err := os.ReadFile("/proc/1/comm"); err == nil && strings.TrimSpace(string(b)) == "systemd" {
		t.Skip("skipped: systemd runs this machine, and this test needs a machine without it")
	}
	e := newE2E(t)
	e.custom(oneFilePerHost + `  - name: svc
    hosts: {hosts: [h1]}
    files: [{path: "{T}/h1/svc.conf", content: "x\n"}]
    services: [{unit: fundament-e2e.service, restart_on: ["{T}/h1/svc.conf"]}]
`)
	out, _ := e.must(ExitChanges, "plan", "--detailed-exitcode")
	contains(t, "plan", out, "~ change   service:fundament-e2e.service (systemd is not running this host", `~ systemd: "false" -> "true"`)
	code, out, errs := e.run("apply", "--auto-approve")
	if code != ExitNotOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	contains(t, "apply", out, "FAILED  h1           update service:fundament-e2e.service: exit status 1: fundament: systemd is not running this host",
		"Apply incomplete: 4 succeeded, 1 failed")
	if e.read("h1", "svc.conf") != "x\n" || e.read("h3", "f") != "three\n" {
		t.Error("resources besides the service were not applied")
	}
}

// TestE2EInterrupt: an interrupt (SIGINT) ends the apply within seconds:
// no new action starts, the one in flight gets the grace, then is stopped
// and recorded interrupted, and the run is recorded cancelled. On its
// host the step is killed, or (the manager gone first) goes on holding
// the host lock: the next apply waits for it either way, never running
// the step beside it, then does the rest.
func TestE2EInterrupt(t *testing.T) {
	e := newE2E(t)
	e.custom(oneFilePerHost + `  - name: steps
    hosts: {hosts: [h3]}
    commands:
      - name: slow
        guard: "test -e {T}/h3/slow.count"
        script: "touch {T}/h3/slow.marker; i=0; while [ ! -e {T}/h3/release ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo run >> {T}/h3/slow.count"
      - {name: last, script: "echo run >> {T}/h3/last.count"}
`)
	t.Cleanup(func() { os.WriteFile(e.path("h3", "release"), nil, 0o644) })
	cmd, childOut := e.child("apply", "--auto-approve")
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitFor(t, "the slow command to start", func() bool { return e.exists("h3", "slow.marker") })
	interrupted := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(15 * time.Second):
		t.Fatal("the interrupted apply did not end")
	}
	t.Logf("the apply ended %v after the interrupt", time.Since(interrupted).Round(time.Millisecond))
	out := childOut.String()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitNotOK {
		t.Errorf("interrupted apply: %v, want exit 1\n%s", err, out)
	}
	contains(t, "interrupted apply", out, "Interrupted: no new action starts",
		"INTERRUPTED h3       run command:steps/slow: interrupted: the run was cancelled and the step did not end within the grace of 3s",
		"cancelled h3           run command:steps/last: the run was cancelled before it started",
		"0 failed, 0 skipped, 1 cancelled, 1 interrupted in")
	if e.exists("h3", "last.count") {
		t.Error("an action started after the interrupt")
	}
	run := e.runs()[0]
	if run.Kind != "apply" || run.Status != "cancelled" {
		t.Errorf("the interrupted run: %+v", run)
	}
	status := map[string]string{}
	for _, a := range e.logs(run.ID) {
		status[a.Resource] = a.Status
	}
	if status["command:steps/slow"] != "interrupted" || status["command:steps/last"] != "skipped" {
		t.Errorf("the interrupted run's actions: %v", status)
	}
	e.must(ExitOK, "lock") // released

	// The next apply cannot get past the step until it is released.
	next, nextOut := e.child("apply", "--auto-approve")
	nextDone := make(chan error, 1)
	go func() { nextDone <- next.Wait() }()
	select {
	case err := <-nextDone:
		t.Fatalf("the next apply ended (%v) while the step was held:\n%s", err, nextOut)
	case <-time.After(2 * time.Second):
	}
	if n := e.count("h3", "slow.count"); n != 0 {
		t.Fatalf("the step ended %d times while held", n)
	}
	os.WriteFile(e.path("h3", "release"), nil, 0o644)
	select {
	case err = <-nextDone:
	case <-time.After(60 * time.Second):
		t.Fatal("the next apply did not end")
	}
	if err != nil {
		t.Fatalf("the next apply: %v\n%s", err, nextOut)
	}
	t.Logf("the next apply printed:\n%s", nextOut)
	contains(t, "next apply", nextOut.String(), "Apply complete:", "run command:steps/last")
	if e.count("h3", "slow.count") != 1 || e.count("h3", "last.count") != 1 {
		t.Errorf("the step ran %d times, the last one %d", e.count("h3", "slow.count"), e.count("h3", "last.count"))
	}
}
