package ovn_test

// The OVN integration test: a lab of examples/lab (on its own prefix and
// addresses) with fundament apply, then the checks of issue 5: 3/3
// members per database with one leader, every chassis registered with its
// encapsulation IP, a logical switch with a port on each of two compute
// hosts bound on the right chassis and passing traffic over Geneve in the
// userspace datapath, a re-apply that changes nothing, and a database
// host stopped (the cluster keeps taking writes, status says DEGRADED and
// names it) and started again (it rejoins, status OK).
//
// It needs root and the lab's tools; the lab image is built (debootstrap)
// the first time and cached.

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
	"github.com/fundament-cloud/fundament/internal/components"
	"github.com/fundament-cloud/fundament/internal/components/ovn"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/networkd"
	"github.com/fundament-cloud/fundament/internal/validate"
)

const (
	labPrefix = "fot"
	// labNet replaces examples/lab's 10.199.: clear of the labs of the
	// other tests and of a developer's examples/lab.
	labNet = "10.194."
)

type ovnLab struct {
	t      *testing.T
	repo   string
	labDir string
	cloud  *model.Cloud
	// emulate is set while no component configures the hosts' networks:
	// the test then makes them itself (see emulateNetworks).
	emulate bool
}

func (l *ovnLab) fm(args ...string) (string, error) {
	all := append([]string{"--repo", l.repo}, args...)
	if args[0] == "lab" {
		all = append([]string{"--repo", l.repo, "lab", "--prefix", labPrefix, "--lab-dir", l.labDir}, args[1:]...)
	} else if args[0] == "apply" || args[0] == "plan" || args[0] == "status" {
		all = append(all, "--ssh-key", filepath.Join(l.repo, ".fundament", "lab", "id_ed25519"))
		// OVN and what it needs: the OpenStack components would want the
		// cloud's secrets, which this test does not generate.
		all = append(all, "--component", "fabric,ovn")
	}
	var out, errb bytes.Buffer
	if code := cli.Execute(all, &out, &errb); code != 0 {
		return out.String(), fmt.Errorf("fundament %s: exit %d: %s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String(), nil
}

func (l *ovnLab) must(args ...string) string {
	l.t.Helper()
	out, err := l.fm(args...)
	if err != nil {
		l.t.Fatal(err)
	}
	return out
}

// in runs a script on a lab host.
func (l *ovnLab) in(host, script string) string {
	l.t.Helper()
	return strings.TrimSpace(l.must("lab", "exec", host, "--", "sh", "-c", script))
}

// status returns the OVN results of fundament status.
func (l *ovnLab) status() []health.Result {
	l.t.Helper()
	out, _ := l.fm("status", "-o", "json")
	var st struct {
		Results []health.Result `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		l.t.Fatalf("status -o json: %v: %s", err, out)
	}
	var rs []health.Result
	for _, r := range st.Results {
		if r.Layer == "ovn" {
			rs = append(rs, r)
		}
	}
	return rs
}

// waitStatus polls status until ok accepts the results.
func (l *ovnLab) waitStatus(what string, limit time.Duration, ok func([]health.Result) bool) []health.Result {
	l.t.Helper()
	start := time.Now()
	for {
		rs := l.status()
		if ok(rs) {
			l.t.Logf("%s after %s", what, time.Since(start).Round(time.Second))
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

func allOK(rs []health.Result) bool { return len(rs) > 0 && health.Worst(rs) == health.OK }

func find(rs []health.Result, check string) *health.Result {
	for i := range rs {
		if rs[i].Check == check {
			return &rs[i]
		}
	}
	return nil
}

// emulateNetworks stands in for host networking on the OVN hosts until a
// component configures it: the lab's kernel has neither VLANs nor bonds,
// so each network's interface is a macvlan on the management bridge
// (separate prefixes on one segment), and the tunnel address goes on
// br-phy once OVS has made it (TunnelLayout's contract).
func (l *ovnLab) emulateNetworks(hosts ...string) {
	l.t.Helper()
	byName := l.cloud.HostsByName()
	for _, name := range hosts {
		h := byName[name]
		var script strings.Builder
		for _, n := range l.cloud.Network.Networks {
			att := h.Networks[n.Name]
			if att == nil || n.Role == model.NetManagement || n.Role == model.NetExternal {
				continue
			}
			iface := att.Interface
			if n.VLAN > 0 {
				iface = networkd.VLANInterface(att.Interface, n.VLAN)
			}
			// A MAC of the address, so that it is the same after a
			// restart (br-phy takes its port's MAC).
			a := att.Address.As4()
			mac := fmt.Sprintf("02:fe:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3])
			fmt.Fprintf(&script, "ip link show %[1]s >/dev/null 2>&1 || ip link add %[1]s link eth0 address %[2]s type macvlan mode bridge\nip link set %[1]s up\n", iface, mac)
			addr := fmt.Sprintf("%s/%d", att.Address, n.Prefix.Bits())
			if _, brPhy := ovn.TunnelLayout(l.cloud, h); n.Role == model.NetTunnel && brPhy {
				fmt.Fprintf(&script, "if ip link show br-phy >/dev/null 2>&1; then ip link set br-phy up; ip addr replace %s dev br-phy; fi\n", addr)
			} else {
				fmt.Fprintf(&script, "ip addr replace %s dev %s\n", addr, iface)
			}
		}
		l.in(name, script.String())
	}
}

func TestLabOVN(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root (namespaces, interfaces, mounts); CI runs this test as root")
	}
	for _, p := range []string{"debootstrap", "ip", "nsenter", "unshare", "ssh"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("the lab needs %s (make deps installs it)", p)
		}
	}
	if testing.Short() {
		t.Skip("the OVN lab takes minutes; not in -short")
	}
	repo := t.TempDir()
	if err := os.CopyFS(repo, os.DirFS("../../../examples/lab")); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(repo, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil {
			s := strings.ReplaceAll(string(b), "10.199.", labNet)
			s = strings.Replace(s, "\nname: lab\n", "\nname: ovntest\n", 1)
			err = os.WriteFile(p, []byte(s), 0o644)
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
	l := &ovnLab{t: t, repo: repo, labDir: filepath.Join(t.TempDir(), "lab"), cloud: c, emulate: true}
	for _, comp := range components.All() {
		if comp.Name() == "hostnet" {
			l.emulate = false
		}
	}
	l.fm("lab", "down") // what a killed run left
	t.Cleanup(func() {
		if _, err := l.fm("lab", "down"); err != nil {
			t.Logf("lab down: %v", err)
		}
	})
	if out, err := l.fm("lab", "up", "--no-apply", "--wait", "10m"); err != nil {
		t.Skipf("the lab cannot be built here: %v", err)
	} else {
		t.Log(strings.TrimSpace(out))
	}
	ovnHosts := []string{"ctl-1", "ctl-2", "ctl-3", "cmp-1", "cmp-2"}
	if l.emulate {
		t.Log("no host networking component: the test makes the OVN hosts' networks itself")
		l.emulateNetworks(ovnHosts...)
	}
	start := time.Now()
	out := l.must("apply", "--auto-approve")
	t.Logf("first apply in %s: %s", time.Since(start).Round(time.Second), lastLine(out))
	if l.emulate {
		l.emulateNetworks(ovnHosts...)
	}

	rs := l.waitStatus("all of OVN healthy", 5*time.Minute, allOK)
	for _, db := range []string{"ovn-nb-cluster", "ovn-sb-cluster"} {
		r := find(rs, db)
		if r == nil || !strings.Contains(r.Reason, "3/3 members, leader ") {
			t.Errorf("%s: %+v", db, r)
		}
	}
	t.Run("clusters", func(t *testing.T) {
		for _, db := range []string{"ovnnb_db.ctl OVN_Northbound", "ovnsb_db.ctl OVN_Southbound"} {
			ctl, name, _ := strings.Cut(db, " ")
			leaders := 0
			for _, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
				st := l.in(h, "ovn-appctl -t /var/run/ovn/"+ctl+" cluster/status "+name)
				if !strings.Contains(st, "Status: cluster member") || strings.Count(st, " at tcp:") != 3 {
					t.Errorf("%s on %s:\n%s", name, h, st)
				}
				if strings.Contains(st, "Role: leader") {
					leaders++
				}
			}
			if leaders != 1 {
				t.Errorf("%s has %d leaders", name, leaders)
			}
		}
	})
	t.Run("chassis", func(t *testing.T) {
		encaps := l.in("ctl-1", "ovn-sbctl --no-leader-only --format=csv --data=bare --no-headings --columns=chassis_name,type,ip list Encap | sort")
		var want []string
		for _, h := range c.Hosts {
			if h.HasRole(model.RoleCompute) || h.HasRole(model.RoleNetwork) {
				for _, n := range c.Network.Networks {
					if att := h.Networks[n.Name]; n.Role == model.NetTunnel && att != nil {
						want = append(want, h.Name+",geneve,"+att.Address.String())
					}
				}
			}
		}
		slices.Sort(want)
		if encaps != strings.Join(want, "\n") {
			t.Errorf("encapsulations:\n%s\nwant:\n%s", encaps, strings.Join(want, "\n"))
		}
	})
	t.Run("port bindings and traffic", func(t *testing.T) {
		l.in("ctl-1", `set -e
ovn-nbctl --timeout=120 --may-exist ls-add sw0
ovn-nbctl --timeout=120 --may-exist lsp-add sw0 p1 -- lsp-set-addresses p1 "50:54:00:00:00:01 192.168.50.1"
ovn-nbctl --timeout=120 --may-exist lsp-add sw0 p2 -- lsp-set-addresses p2 "50:54:00:00:00:02 192.168.50.2"`)
		for i, h := range []string{"cmp-1", "cmp-2"} {
			p := fmt.Sprintf("p%d", i+1)
			// An internal port of br-int in a namespace of its own is the
			// "instance"; OVS makes it a TAP, whose checksums are done in
			// software, so no offload needs turning off (a veth would).
			l.in(h, fmt.Sprintf(`set -e
ip netns add %[1]s 2>/dev/null || true
ovs-vsctl --timeout=60 --may-exist add-port br-int %[1]s -- set interface %[1]s type=internal external_ids:iface-id=%[1]s
for i in $(seq 30); do ip link show %[1]s >/dev/null 2>&1 && break; sleep 1; done
ip link set %[1]s netns %[1]s
ip -n %[1]s link set %[1]s address 50:54:00:00:00:0%[2]d
ip -n %[1]s addr replace 192.168.50.%[2]d/24 dev %[1]s
ip -n %[1]s link set %[1]s up`, p, i+1))
		}
		l.in("ctl-1", "ovn-nbctl --timeout=180 --wait=hv sync")
		for i, h := range []string{"cmp-1", "cmp-2"} {
			p := fmt.Sprintf("p%d", i+1)
			got := l.in("ctl-1", "ch=$(ovn-sbctl --no-leader-only --bare --columns=chassis find Port_Binding logical_port="+p+") && ovn-sbctl --no-leader-only --bare --columns=name list Chassis $ch")
			if got != h {
				t.Errorf("port %s is bound on %q, want %s", p, got, h)
			}
			if up := l.in("ctl-1", "ovn-nbctl --timeout=60 lsp-get-up "+p); up != "up" {
				t.Errorf("port %s is %s", p, up)
			}
		}
		// The first packets wait for OVS to resolve the other chassis'
		// tunnel address on br-phy: a minute of tries.
		ping := "for i in $(seq 30); do ip netns exec p1 ping -c 1 -W 2 192.168.50.2 >/dev/null && echo ok && exit 0; done; echo no reply"
		if got := l.in("cmp-1", ping); got != "ok" {
			t.Errorf("no traffic between the ports over Geneve; OVS routes and tunnel neighbours on cmp-1:\n%s",
				l.in("cmp-1", "ovs-appctl ovs/route/show; ovs-appctl tnl/neighbor/show; ip -br addr"))
		}
		if flows := l.in("cmp-1", "ovs-appctl dpctl/dump-flows | grep -c tnl_push || true"); flows == "0" {
			t.Error("the userspace datapath pushed no tunnel header: the traffic did not cross Geneve")
		}
	})
	t.Run("no-op re-apply", func(t *testing.T) {
		if out := l.must("plan"); !strings.Contains(out, "No changes.") {
			t.Errorf("a re-plan changes something:\n%s", out)
		}
	})
	t.Run("a database host stops and starts", func(t *testing.T) {
		// The northbound leader, the hardest member to lose.
		nb := find(l.status(), "ovn-nb-cluster")
		if nb == nil {
			t.Fatal("no ovn-nb-cluster result")
		}
		victim := strings.TrimSuffix(strings.SplitN(strings.SplitN(nb.Reason, "leader ", 2)[1], " ", 2)[0], ",")
		others := []string{}
		for _, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
			if h != victim {
				others = append(others, h)
			}
		}
		t.Logf("stopping %s, the northbound leader", victim)
		l.must("lab", "stop", victim)
		rs := l.waitStatus("DEGRADED naming "+victim, 5*time.Minute, func(rs []health.Result) bool {
			for _, check := range []string{"ovn-nb-cluster", "ovn-sb-cluster"} {
				r := find(rs, check)
				if r == nil || r.Status != health.Degraded || !slices.Contains(r.Hosts, victim) || !strings.Contains(r.Reason, victim) {
					return false
				}
			}
			return health.Worst(rs) == health.Degraded
		})
		t.Logf("with %s stopped:\n%s", victim, describe(rs))
		var remotes []string
		for _, h := range others {
			remotes = append(remotes, "tcp:"+c.HostsByName()[h].Networks["internal"].Address.String()+":6641")
		}
		l.in(others[0], "ovn-nbctl --timeout=120 --db="+strings.Join(remotes, ",")+" ls-add sw-during-fault")
		l.must("lab", "start", victim)
		if l.emulate {
			time.Sleep(5 * time.Second)
			l.emulateNetworks(victim)
		}
		l.waitStatus("all of OVN healthy again", 8*time.Minute, allOK)
		if got := l.in(victim, "ovn-nbctl --no-leader-only --db=unix:/var/run/ovn/ovnnb_db.sock --timeout=60 ls-list"); !strings.Contains(got, "sw-during-fault") {
			t.Errorf("%s did not catch up with the write made while it was down: %s", victim, got)
		}
		if out := l.must("plan"); !strings.Contains(out, "No changes.") {
			t.Errorf("after the restart, a re-plan changes something:\n%s", out)
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
