package validate

import (
	"strings"
	"testing"
)

// Bonds that bond-multi-switch leaves alone.
func TestBondMultiSwitchAllowed(t *testing.T) {
	inv := `hosts:
  - name: cmp-1
    roles: [compute]
    rack: r1
    interfaces:
      - {name: eth0, mac: "52:54:00:00:00:21"}
      - {name: eth1}
      - {name: eth2}
      - {name: eth3}
      - {name: eth4}
      - {name: eth5}
      - {name: eth6}
      # Both members on one switch: an ordinary LAG.
      - {name: bond0, bond: {members: [eth1, eth2]}}
      # active-backup needs nothing from the switches.
      - {name: bond1, bond: {members: [eth3, eth4], mode: active-backup}}
      # leaf-2 names leaf-3 but not back: mclag-invalid's, not the bond's.
      - {name: bond2, bond: {members: [eth5, eth6]}}
    networks:
      mgmt: {interface: eth0, address: 10.10.0.21}
      internal: {interface: bond0, address: 10.20.0.21}
      storage: {interface: bond0, address: 10.30.0.21}
      tunnel: {interface: bond0, address: 10.40.0.21}
`
	net := readBase(t, "network.yaml")
	net = strings.Replace(net, "rack: r2, loopback: 10.0.1.2}", "rack: r2, loopback: 10.0.1.2, mclag_peer: leaf-3}", 1)
	net = strings.Replace(net, `  - {a: "leaf-1:Ethernet1", b: "cmp-1:eth1"}`+"\n", `  - {a: "leaf-1:Ethernet1", b: "cmp-1:eth1"}
  - {a: "leaf-1:Ethernet3", b: "cmp-1:eth2"}
  - {a: "leaf-1:Ethernet4", b: "cmp-1:eth3"}
  - {a: "leaf-2:Ethernet4", b: "cmp-1:eth4"}
  - {a: "leaf-2:Ethernet5", b: "cmp-1:eth5"}
  - {a: "leaf-3:Ethernet5", b: "cmp-1:eth6"}
`, 1)
	got := diagnose(t, baseWith(t, map[string]string{"inventory/compute.yaml": inv, "network.yaml": net}))
	want := "network.yaml:7:100: error: switch leaf-2 names mclag_peer leaf-3, but leaf-3 (network.yaml:8:12) names no mclag_peer; the two switches of a pair name each other, so set mclag_peer: leaf-2 on leaf-3 [mclag-invalid]"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
