package cli

// The lab's integration test: a real three-host lab (plus one switch) on
// this machine, from the repository in testdata/labrepo. It needs root,
// debootstrap and Debian's mirror the first time (the base image is then
// cached under /var/cache/fundament/images and the test takes seconds).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/lab"
	"github.com/fundament-cloud/fundament/internal/state"
	"github.com/fundament-cloud/fundament/internal/transport"
)

const labTestPrefix = "fmt"

func requireLab(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the lab is not brought up (make test runs this test)")
	}
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root (namespaces, interfaces, mounts); CI runs this test as root")
	}
	for _, p := range []string{"debootstrap", "ip", "nsenter", "unshare", "losetup", "ssh"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("the lab needs %s (make deps installs it)", p)
		}
	}
}

type labTest struct {
	t       *testing.T
	prefix  string // default labTestPrefix
	repo    string
	labDir  string
	timings []string
}

func (lt *labTest) fm(args ...string) (string, error) {
	lt.t.Helper()
	all := append([]string{"--repo", lt.repo}, args...)
	if len(args) > 0 && args[0] == "lab" {
		prefix := lt.prefix
		if prefix == "" {
			prefix = labTestPrefix
		}
		all = append([]string{"--repo", lt.repo, "lab", "--prefix", prefix, "--lab-dir", lt.labDir}, args[1:]...)
	}
	var out, errb bytes.Buffer
	if code := Execute(all, &out, &errb); code != 0 {
		return out.String(), errors.New("fundament " + strings.Join(args, " ") + ": exit " + strconv.Itoa(code) + ": " + errb.String())
	}
	return out.String(), nil
}

func (lt *labTest) must(args ...string) string {
	lt.t.Helper()
	out, err := lt.fm(args...)
	if err != nil {
		lt.t.Fatal(err)
	}
	return out
}

// in runs a shell command inside a node.
func (lt *labTest) in(node, script string) string {
	lt.t.Helper()
	return strings.TrimSpace(lt.must("lab", "exec", node, "--", "sh", "-c", script))
}

func (lt *labTest) timed(what string, start time.Time) {
	lt.timings = append(lt.timings, what+": "+time.Since(start).Round(10*time.Millisecond).String())
}

func TestLabLifecycle(t *testing.T) {
	requireLab(t)
	repo := t.TempDir()
	if err := os.CopyFS(repo, os.DirFS("testdata/labrepo")); err != nil {
		t.Fatal(err)
	}
	lt := &labTest{t: t, repo: repo, labDir: filepath.Join(t.TempDir(), "lab")}
	defer func() { t.Log("timings:\n  " + strings.Join(lt.timings, "\n  ")) }()
	// A lab left by an earlier, killed run of this test goes first.
	lt.fm("lab", "down")
	t.Cleanup(func() { lt.fm("lab", "down") })

	start := time.Now()
	// The base image alone: nothing of the cloud can be deployed on it,
	// so no apply (TestLabFabric applies).
	out := lt.must("lab", "up", "--base-only", "--no-apply")
	lt.timed("lab up (3 hosts, 1 switch)", start)
	contains(t, "lab up", out, "4 nodes up and reachable over SSH")
	start = time.Now()
	contains(t, "lab up again", lt.must("lab", "up", "--base-only", "--no-apply"), "4 nodes up and reachable over SSH")
	lt.timed("lab up on a lab that is up", start)

	t.Run("status", func(t *testing.T) {
		var st struct {
			Nodes []lab.NodeStatus `json:"nodes"`
		}
		if err := json.Unmarshal([]byte(lt.must("lab", "status", "-o", "json")), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Nodes) != 4 {
			t.Fatalf("status lists %d nodes, want 4: %+v", len(st.Nodes), st.Nodes)
		}
		for _, n := range st.Nodes {
			if n.State != "running" || n.Systemd != "running" || n.Memory <= 0 {
				t.Errorf("node %s: state %q, systemd %q, memory %d; want running, running, > 0", n.Name, n.State, n.Systemd, n.Memory)
			}
		}
	})

	t.Run("isolation", func(t *testing.T) {
		ids := map[string]string{}
		for _, h := range []string{"h1", "h2", "h3", "leaf-1"} {
			if got := lt.in(h, "hostname"); got != h {
				t.Errorf("hostname in %s is %q", h, got)
			}
			if got := lt.in(h, "cat /proc/1/comm"); got != "systemd" {
				t.Errorf("PID 1 of %s is %q, want systemd", h, got)
			}
			if got := lt.in(h, "systemctl is-system-running"); got != "running" {
				t.Errorf("systemd in %s is %q; failed units: %s", h, got, lt.in(h, "systemctl --failed --no-legend"))
			}
			id := lt.in(h, "cat /etc/machine-id")
			if other, dup := ids[id]; dup {
				t.Errorf("%s and %s share machine-id %s", h, other, id)
			}
			ids[id] = h
		}
		addrs := lt.in("h1", "ip -4 -o addr show scope global | awk '{print $2, $4}'")
		if addrs != "eth0 10.198.0.11/24" {
			t.Errorf("h1's addresses: %q, want only eth0 10.198.0.11/24", addrs)
		}
		if mac := lt.in("h1", "cat /sys/class/net/eth0/address"); mac != "52:54:00:00:00:01" {
			t.Errorf("h1's eth0 has MAC %s, want the inventory's 52:54:00:00:00:01", mac)
		}
		lt.in("h1", "echo h1 > /root/only-on-h1")
		if got := lt.in("h2", "test -e /root/only-on-h1 && echo shared || echo own"); got != "own" {
			t.Error("a file written on h1 is visible on h2")
		}
		if _, err := os.Stat("/root/only-on-h1"); err == nil {
			t.Error("a file written on h1 is visible on the machine")
		}
		if got := lt.in("h3", "blockdev --getsize64 /dev/vdb"); got != "1073741824" {
			t.Errorf("h3's /dev/vdb has %s bytes, want the inventory's 1G", got)
		}
	})

	t.Run("ssh with host-key checking", func(t *testing.T) {
		db, err := state.Open(filepath.Join(repo, StateDir))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dial := func(host, addr string) (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := transport.DialSSH(ctx, transport.SSHConfig{Host: host, Address: addr, User: "root",
				KeyFiles: []string{labKeyPath(repo)}, HostKeys: db.HostKeys()})
			if err != nil {
				return "", err
			}
			defer c.Close()
			res, err := c.Run(ctx, "hostname", nil)
			return strings.TrimSpace(string(res.Stdout)), err
		}
		for h, addr := range map[string]string{"h1": "10.198.0.11", "h2": "10.198.0.12", "h3": "10.198.0.13", "leaf-1": "10.198.0.2"} {
			if got, err := dial(h, addr); err != nil || got != h {
				t.Errorf("ssh %s: %q, %v", h, got, err)
			}
		}
		// The recorded key is enforced: h1's key recorded for h2 is refused.
		key, _, _ := db.HostKeys().Lookup("h1")
		real, _, _ := db.HostKeys().Lookup("h2")
		db.ForgetHostKey("h2")
		db.HostKeys().Record("h2", key)
		if _, err := dial("h2", "10.198.0.12"); err == nil {
			t.Error("h2 was reached although another host's key is recorded for it")
		}
		db.ForgetHostKey("h2")
		db.HostKeys().Record("h2", real)
	})

	t.Run("cut and heal", func(t *testing.T) {
		lt.in("h1", "ip addr add 10.198.20.11/24 dev eth1")
		lt.in("leaf-1", "ip addr add 10.198.20.254/24 dev Ethernet0")
		ping := "ping -c1 -W1 10.198.20.254 >/dev/null 2>&1 && echo ok || echo lost"
		if got := lt.in("h1", ping); got != "ok" {
			t.Fatalf("before the cut: %s", got)
		}
		start := time.Now()
		contains(t, "lab cut", lt.must("lab", "cut", "h1", "leaf-1"), "cut leaf-1:Ethernet0 <-> h1:eth1")
		lt.timed("lab cut", start)
		if got := lt.in("h1", ping); got != "lost" {
			t.Errorf("during the cut: %s", got)
		}
		if got := lt.in("leaf-1", "cat /sys/class/net/Ethernet0/operstate"); got != "down" {
			t.Errorf("leaf-1's Ethernet0 is %s during the cut", got)
		}
		contains(t, "lab status", lt.must("lab", "status"), "cut: leaf-1:Ethernet0 <-> h1:eth1")
		contains(t, "lab heal", lt.must("lab", "heal"), "healed leaf-1:Ethernet0 <-> h1:eth1")
		waitFor(t, "the link to carry again", func() bool { return lt.in("h1", ping) == "ok" })
	})

	t.Run("stop and start", func(t *testing.T) {
		lt.in("h2", "echo kept > /root/on-disk")
		start := time.Now()
		lt.must("lab", "stop", "h2")
		lt.timed("lab stop", start)
		if out, _ := exec.Command("ip", "netns", "pids", labTestPrefix+"-h2").Output(); len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("processes left in h2 after stop: %s", out)
		}
		if _, err := lt.fm("lab", "exec", "h2", "--", "true"); err == nil || !strings.Contains(err.Error(), "not running") {
			t.Errorf("exec on a stopped host: %v", err)
		}
		if got := lt.in("leaf-1", "cat /sys/class/net/Ethernet1/carrier 2>/dev/null || echo 0"); got != "0" {
			t.Errorf("leaf-1's port to h2 has carrier %s while h2 is off", got)
		}
		contains(t, "status", lt.must("lab", "status"), "h2      host    stopped")
		start = time.Now()
		lt.must("lab", "start", "h2")
		lt.timed("lab start (to SSH)", start)
		if got := lt.in("h2", "cat /root/on-disk"); got != "kept" {
			t.Errorf("h2 lost its disk across stop and start: %q", got)
		}
		if got := lt.in("h2", "systemctl is-system-running"); got != "running" {
			t.Errorf("h2 after start: systemd %s", got)
		}
	})

	t.Run("up completes a half-made lab", func(t *testing.T) {
		// What a crash in the middle of up leaves: a node not booted and a
		// cable not made.
		lt.must("lab", "stop", "h3")
		exec.Command("ip", "-n", labTestPrefix+"-h3", "link", "del", "eth1").Run()
		lt.must("lab", "up", "--base-only", "--no-apply")
		if got := lt.in("h3", "cat /sys/class/net/eth1/operstate"); got != "up" {
			t.Errorf("h3's cable after up: %s", got)
		}
	})

	start = time.Now()
	contains(t, "lab down", lt.must("lab", "down"), "is down")
	lt.timed("lab down", start)
	assertNoLabLeftovers(t, lt.labDir)
}

// assertNoLabLeftovers checks that nothing of the test lab is left on the
// machine: namespaces, interfaces, processes, cgroups, mounts, loop
// devices, files.
func assertNoLabLeftovers(t *testing.T, labDir string) {
	t.Helper()
	p := labTestPrefix
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), p+"-") {
		t.Errorf("namespaces left: %s", out)
	}
	if out, _ := exec.Command("ip", "-br", "link").Output(); strings.Contains(string(out), p+"br0") || strings.Contains(string(out), p+"-") {
		t.Errorf("interfaces left: %s", out)
	}
	if out, _ := exec.Command("losetup", "-a").Output(); strings.Contains(string(out), labDir) {
		t.Errorf("loop devices left: %s", out)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), labDir) || strings.Contains(string(mounts), "/run/netns/"+p+"-") {
		t.Errorf("mounts left: %s", mounts)
	}
	for _, root := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup", "/sys/fs/cgroup/memory"} {
		if _, err := os.Stat(filepath.Join(root, "fundament-lab-"+p)); err == nil {
			t.Errorf("cgroup %s left", filepath.Join(root, "fundament-lab-"+p))
		}
	}
	// A node's processes have their root in the node's directory.
	procs, _ := filepath.Glob("/proc/[0-9]*/root")
	for _, r := range procs {
		if dir, err := os.Readlink(r); err == nil && strings.HasPrefix(dir, labDir) {
			t.Errorf("process %s left, root %s", filepath.Base(filepath.Dir(r)), dir)
		}
	}
	if _, err := os.Stat(filepath.Join(labDir, p)); err == nil {
		t.Errorf("lab directory %s left", filepath.Join(labDir, p))
	}
}
