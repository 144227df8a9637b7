package validate

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
)

// bigCloud builds a cloud of n hosts in racks of 40 with one leaf per
// rack, plus spines, to check that the rules scale.
func bigCloud(t testing.TB, n int, broken bool) *model.Cloud {
	t.Helper()
	racks := (n + 39) / 40
	var cloud, net, inv strings.Builder
	cloud.WriteString("name: big\nprofile: production\ndomain: big.example.org\nregions:\n  - name: r\n    availability_zones:\n      - name: az\n        racks: [")
	for r := 0; r < racks; r++ {
		if r > 0 {
			cloud.WriteString(", ")
		}
		fmt.Fprintf(&cloud, "rack-%d", r)
	}
	cloud.WriteString("]\n")

	net.WriteString("switches:\n")
	for s := 0; s < 4; s++ {
		fmt.Fprintf(&net, "  - {name: spine-%d, role: spine, hwsku: Accton-AS7726-32X, loopback: 10.0.0.%d}\n", s, s+1)
	}
	for r := 0; r < racks; r++ {
		fmt.Fprintf(&net, "  - {name: leaf-%d, role: leaf, hwsku: Accton-AS7326-56X, rack: rack-%d, loopback: 10.0.%d.%d}\n", r, r, 1+r/250, 1+r%250)
	}
	net.WriteString(`networks:
  - {name: mgmt, role: management, prefix: 10.128.0.0/16}
  - {name: internal, role: internal_api, prefix: 10.129.0.0/16, vlan: 20}
  - {name: storage, role: storage_public, prefix: 10.130.0.0/16, vlan: 30}
  - {name: replication, role: storage_cluster, prefix: 10.131.0.0/16, vlan: 31}
  - {name: tunnel, role: tunnel, prefix: 10.132.0.0/16, vlan: 40}
  - {name: public, role: external, prefix: 10.133.0.0/16, vlan: 100}
`)
	inv.WriteString("hosts:\n")
	for i := 0; i < n; i++ {
		role, nets := "compute", []string{"mgmt", "internal", "storage", "tunnel"}
		switch {
		case i < 3:
			role, nets = "control, network", []string{"mgmt", "internal", "storage", "tunnel", "public"}
		case i%3 == 0:
			role, nets = "storage", []string{"mgmt", "storage", "replication"}
		}
		if broken {
			nets = append(nets[1:], "nowhere")
		}
		fmt.Fprintf(&inv, "  - name: h-%d\n    roles: [%s]\n    rack: rack-%d\n    interfaces:\n      - {name: eth0}\n      - {name: eth1}\n      - {name: bond0, bond: {members: [eth0, eth1]}}\n    networks:\n", i, role, i/40)
		for k, nn := range nets {
			fmt.Fprintf(&inv, "      %s: {interface: bond0, address: 10.%d.%d.%d}\n", nn, 128+k, i/250, 1+i%250)
		}
		if role == "storage" {
			inv.WriteString("    disks: [{device: /dev/sdb}, {device: /dev/sdc}]\n")
		}
	}
	fsys := fstest.MapFS{
		"cloud.yaml":          {Data: []byte(cloud.String())},
		"network.yaml":        {Data: []byte(net.String())},
		"inventory/all.yaml":  {Data: []byte(inv.String())},
		"services/ceph.yaml":  {Data: []byte("ceph:\n  osds:\n    devices: [/dev/sdb, /dev/sdc, /dev/sdd]\n")},
		"services/other.yaml": {Data: []byte("galera:\n  placement:\n    hosts: [h-0, h-1, h-2, h-99999]\n")},
	}
	c, _ := model.LoadFS(fsys)
	if len(c.Hosts) != n {
		t.Fatalf("generated %d hosts, want %d", len(c.Hosts), n)
	}
	return c
}

// The host and service rules stay fast at the scale the brief names
// (5,000 hosts, 200 switches), also when most hosts are wrong.
func TestHostRulesScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test")
	}
	mine := map[string]bool{}
	for _, id := range []string{RuleUnknownRelease, RuleUnknownNetwork, RuleUnknownInterface, RuleUnknownRack, RuleUnknownHost,
		RuleBondInvalid, RuleRoleNetworkMissing, RuleServiceUnplaced, RuleQuorumSize, RuleQuorumDistinctHosts, RuleQuorumRackSpread,
		RuleCephOSDDeviceUndeclared, RuleCephOSDNoDevices, RuleCephPoolSize, RuleNameSyntax, RuleInvalidValue,
		RuleServiceNetworkMissing, RuleBondMultiSwitch, RuleMCLAGInvalid} {
		mine[id] = true
	}
	for _, broken := range []bool{false, true} {
		c := bigCloud(t, 5000, broken)
		ck := &checker{c: c, d: nil, hosts: c.HostsByName(), switches: c.SwitchesByName(), networks: c.NetworksByName(), services: c.ServiceList()}
		start := time.Now()
		for _, r := range registry {
			if !mine[r.ID] {
				continue
			}
			ck.d = &diag.List{}
			t0 := time.Now()
			r.check(ck)
			if items := ck.d.Items(); len(items) > 0 {
				t.Logf("broken=%v: %s: %d diagnostics, first: %s", broken, r.ID, len(items), items[0])
			}
			// Timings are reported, not asserted: a loaded CI machine is
			// no benchmark (BenchmarkCheck5000 is).
			if d := time.Since(t0); d > 100*time.Millisecond {
				t.Logf("broken=%v: rule %s took %v", broken, r.ID, d)
			}
		}
		total := time.Since(start)
		t.Logf("broken=%v: host and service rules over 5000 hosts: %v", broken, total)
	}
}
