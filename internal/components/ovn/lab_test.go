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
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
)

const (
	labPrefix = "fot"
	// labNet replaces examples/lab's 10.199.: clear of the labs of the
	// other tests and of a developer's examples/lab.
	labNet = "10.194."
)

type ovnLab struct{ *labtest.Lab }

// in runs a script on a lab host.
func (l *ovnLab) in(host, script string) string {
	l.T.Helper()
	return l.MustIn(host, script)
}

// status returns the OVN results of fundament status.
func (l *ovnLab) status() []health.Result { return l.Status("", "ovn") }

// waitStatus polls status until ok accepts the results.
func (l *ovnLab) waitStatus(what string, limit time.Duration, ok func([]health.Result) bool) []health.Result {
	l.T.Helper()
	return l.WaitStatus(what, limit, ok, "", "ovn")
}

func allOK(rs []health.Result) bool { return len(rs) > 0 && health.Worst(rs) == health.OK }

func TestLabOVN(t *testing.T) {
	// OVN and what it needs: the OpenStack components would want the
	// cloud's secrets, which this test does not generate.
	l := &ovnLab{labtest.New(t, labtest.Config{Prefix: labPrefix, Net: labNet, CloudName: "ovntest", Components: "fabric,ovn"})}
	c := l.Cloud
	t.Log(l.Up())
	start := time.Now()
	out := l.Must("apply", "--auto-approve")
	t.Logf("first apply in %s: %s", time.Since(start).Round(time.Second), labtest.LastLine(out))

	rs := l.waitStatus("all of OVN healthy", 5*time.Minute, allOK)
	for _, db := range []string{"ovn-nb-cluster", "ovn-sb-cluster"} {
		r := labtest.Find(rs, db)
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
		// Every member as remote: ovn-nbctl finds the leader wherever
		// it is now (a loaded machine sees elections).
		var remotes []string
		for _, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
			remotes = append(remotes, "tcp:"+c.HostsByName()[h].Networks["internal"].Address.String()+":6641")
		}
		nbDB := "OVN_NB_DB=" + strings.Join(remotes, ",") + " "
		l.in("ctl-1", `set -e
export `+nbDB+`
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
		l.in("ctl-1", nbDB+"ovn-nbctl --timeout=180 --wait=hv sync")
		for i, h := range []string{"cmp-1", "cmp-2"} {
			p := fmt.Sprintf("p%d", i+1)
			got := l.in("ctl-1", "ch=$(ovn-sbctl --no-leader-only --bare --columns=chassis find Port_Binding logical_port="+p+") && ovn-sbctl --no-leader-only --bare --columns=name list Chassis $ch")
			if got != h {
				t.Errorf("port %s is bound on %q, want %s", p, got, h)
			}
			if up := l.in("ctl-1", nbDB+"ovn-nbctl --timeout=60 lsp-get-up "+p); up != "up" {
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
		if out := l.Must("plan"); !strings.Contains(out, "No changes.") {
			t.Errorf("a re-plan changes something:\n%s", out)
		}
	})
	t.Run("a database host stops and starts", func(t *testing.T) {
		// The northbound leader, the hardest member to lose.
		nb := labtest.Find(l.status(), "ovn-nb-cluster")
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
		l.Must("lab", "stop", victim)
		rs := l.waitStatus("DEGRADED naming "+victim, 5*time.Minute, func(rs []health.Result) bool {
			for _, check := range []string{"ovn-nb-cluster", "ovn-sb-cluster"} {
				r := labtest.Find(rs, check)
				if r == nil || r.Status != health.Degraded || !slices.Contains(r.Hosts, victim) || !strings.Contains(r.Reason, victim) {
					return false
				}
			}
			return health.Worst(rs) == health.Degraded
		})
		t.Logf("with %s stopped:\n%s", victim, labtest.Describe(rs))
		var remotes []string
		for _, h := range others {
			remotes = append(remotes, "tcp:"+c.HostsByName()[h].Networks["internal"].Address.String()+":6641")
		}
		l.in(others[0], "ovn-nbctl --timeout=120 --db="+strings.Join(remotes, ",")+" ls-add sw-during-fault")
		l.Must("lab", "start", victim)
		l.waitStatus("all of OVN healthy again", 8*time.Minute, allOK)
		if got := l.in(victim, "ovn-nbctl --no-leader-only --db=unix:/var/run/ovn/ovnnb_db.sock --timeout=60 ls-list"); !strings.Contains(got, "sw-during-fault") {
			t.Errorf("%s did not catch up with the write made while it was down: %s", victim, got)
		}
		if out := l.Must("plan"); !strings.Contains(out, "No changes.") {
			t.Errorf("after the restart, a re-plan changes something:\n%s", out)
		}
	})
}
