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

// networkRules are the rules of addresses.go, prefixes.go, vlans.go,
// cabling.go, asn.go, mtu.go and switches.go.
var networkRules = []string{
	RuleDuplicateAddress, RuleDuplicateMAC, RuleAddressOutsidePrefix, RuleAddressReserved,
	RuleAddressInPool, RuleInvalidPool, RulePrefixNotCanonical, RuleOverlappingPrefixes,
	RuleVLANRange, RuleVLANReused, RuleCableUnknownDevice, RuleCableUnknownPort,
	RuleCablePortReused, RuleCableInvalid, RuleHWSKUUnknown, RuleBreakoutInvalid,
	RuleASNMissing, RuleASNCollision, RuleTunnelMTU, RuleInterfaceMTU,
}

// largeCloud writes a valid cloud of 5,000 hosts behind 192 leaves and 8
// spines, every host cabled to its leaf.
func largeCloud() fstest.MapFS {
	const hosts, leaves, spines = 5000, 192, 8
	var net, inv strings.Builder
	net.WriteString("switches:\n")
	for i := range spines {
		fmt.Fprintf(&net, "  - {name: spine-%d, role: spine, hwsku: Accton-AS7726-32X, loopback: 10.0.0.%d, mac: \"0c:c4:7a:00:00:%02x\",\n", i, i+1, i)
		net.WriteString("     breakouts: {Ethernet96: 4x25G, Ethernet100: 4x25G, Ethernet104: 4x25G, Ethernet108: 4x25G, Ethernet112: 4x25G, Ethernet116: 4x25G, Ethernet120: 4x25G}}\n")
	}
	for i := range leaves {
		fmt.Fprintf(&net, "  - {name: leaf-%d, role: leaf, hwsku: Accton-AS7326-56X, loopback: 10.0.1.%d, management_address: 10.128.255.%d, breakouts: {Ethernet52: 4x25G}}\n", i, i+1, i+1)
	}
	net.WriteString("cables:\n")
	for i := range leaves {
		fmt.Fprintf(&net, "  - {a: \"spine-%d:Ethernet%d\", b: \"leaf-%d:Ethernet48\"}\n", i%spines, (i/spines)*4, i)
		fmt.Fprintf(&net, "  - {a: \"spine-%d:Ethernet%d\", b: \"leaf-%d:Ethernet53\"}\n", (i+1)%spines, 96+i/spines, i)
	}
	for h := range hosts {
		fmt.Fprintf(&net, "  - {a: \"leaf-%d:Ethernet%d\", b: \"host-%d:eth1\"}\n", h/48, h%48, h)
	}
	net.WriteString(`networks:
  - {name: mgmt, role: management, prefix: 10.128.0.0/16, gateway: 10.128.0.1}
  - {name: internal, role: internal_api, prefix: 10.129.0.0/16, vlan: 20}
  - {name: tunnel, role: tunnel, prefix: 10.130.0.0/16, vlan: 40, mtu: 9000}
  - name: public
    role: external
    prefix: 203.0.113.0/24
    vlan: 100
    gateway: 203.0.113.1
    pools:
      - {start: 203.0.113.100, end: 203.0.113.200}
virtual_ips:
  - {name: internal, network: internal, address: 10.129.255.254}
  - {name: public, network: public, address: 203.0.113.10}
`)
	inv.WriteString("hosts:\n")
	for h := range hosts {
		a, b := h/250, h%250+2
		fmt.Fprintf(&inv, `  - name: host-%d
    roles: [compute]
    bmc: {address: 10.131.%d.%d}
    interfaces:
      - {name: eth0, mac: "52:54:00:00:%02x:%02x"}
      - {name: eth1, mac: "52:54:01:00:%02x:%02x", mtu: 9000}
    networks:
      mgmt: {interface: eth0, address: 10.128.%d.%d}
      internal: {interface: eth1, address: 10.129.%d.%d}
      tunnel: {interface: eth1, address: 10.130.%d.%d}
`, h, a, b, h>>8, h&255, h>>8, h&255, a, b, a, b, a, b)
	}
	return fstest.MapFS{
		"cloud.yaml":              {Data: []byte("name: big\ndomain: big.example.org\nregions: [{name: r, availability_zones: [{name: az}]}]\n")},
		"network.yaml":            {Data: []byte(net.String())},
		"inventory/hosts.yaml":    {Data: []byte(inv.String())},
		"services/openstack.yaml": {Data: []byte("openstack: {neutron: {tenant_mtu: 1500}}\n")},
	}
}

// The network rules are O(n log n): a cloud of 5,000 hosts and 200
// switches is checked in well under a second, without a diagnostic.
func TestNetworkRulesScale(t *testing.T) {
	if testing.Short() {
		t.Skip("large cloud")
	}
	c, loadDiags := model.LoadFS(largeCloud())
	for _, d := range loadDiags.Items() {
		t.Fatalf("load: %s", d)
	}
	if len(c.Hosts) != 5000 || len(c.Network.Switches) != 200 {
		t.Fatalf("got %d hosts, %d switches", len(c.Hosts), len(c.Network.Switches))
	}
	ck := &checker{c: c, d: &diag.List{}, hosts: c.HostsByName(), switches: c.SwitchesByName(), networks: c.NetworksByName()}
	want := map[string]bool{}
	for _, id := range networkRules {
		want[id] = true
	}
	start := time.Now()
	n := 0
	for _, r := range registry {
		if want[r.ID] {
			r.check(ck)
			n++
		}
	}
	elapsed := time.Since(start)
	if n != len(networkRules) {
		t.Fatalf("ran %d rules, want %d", n, len(networkRules))
	}
	for _, d := range ck.d.Items() {
		t.Errorf("unexpected: %s", d)
	}
	t.Logf("%d network rules over 5,000 hosts and 200 switches: %s", n, elapsed)
}
