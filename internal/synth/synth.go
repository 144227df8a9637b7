// Package synth writes synthetic configuration repositories of any size:
// valid production clouds for benchmarks and scale tests.
//
// The layout is a leaf-spine fabric of the embedded HWSKUs: every rack
// has two Accton-AS7326-56X leaves, an MC-LAG pair joined by a peer link,
// every host an LACP bond of two 25G NICs cabled to both leaves of its
// rack, and every leaf 100G uplinks to the Accton-AS7726-32X spines. Hosts are 3 control, 3 network, about 10%
// storage and the rest compute, dealt round-robin over the racks so that
// quorum members land in different racks. Each rack has its own
// inventory file.
package synth

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fundament-cloud/fundament/internal/hwsku"
)

// HWSKUs of the generated fabric.
const (
	LeafHWSKU  = "Accton-AS7326-56X"
	SpineHWSKU = "Accton-AS7726-32X"
)

// Layout is the fabric Plan chose for a number of hosts and switches.
type Layout struct {
	Hosts, Racks, Leaves, Spines int
	// HostsPerRack is the most hosts in one rack.
	HostsPerRack int
	// HostBreakouts are the leaf QSFP28 ports broken out 4x25G for hosts
	// when the 48 SFP28 ports do not suffice.
	HostBreakouts []string
	// Uplinks is the number of leaf-to-spine cables per leaf.
	Uplinks int
	// PeerLink is the leaf port of the MC-LAG peer link between the two
	// leaves of a rack (the last QSFP28 port).
	PeerLink string

	hostPorts   []string // leaf ports for hosts, in order
	uplinkPorts []string // leaf ports for spines, in order
	spinePorts  []string
}

const (
	targetPerRack = 40
	minRacks      = 3 // quorum-rack-spread wants 3 control hosts in 3 racks
	minSpines     = 2
	// minUplinks is how many spines each leaf reaches when spine ports are
	// scarce; with enough spine ports every leaf reaches every spine.
	minUplinks = 2
)

// Plan chooses the fabric for hosts hosts and switches switches: racks of
// about 40 hosts with two leaves each and the other switches as spines.
// When the switches do not suffice for 40-host racks, racks grow (the
// leaves' QSFP28 ports are broken out 4x25G for hosts) until the spines
// have a port for two uplinks of every leaf.
func Plan(hosts, switches int) (*Layout, error) {
	if hosts < 10 {
		return nil, fmt.Errorf("synth: %d hosts: a production cloud needs at least 10 (3 control, 3 network, 3 storage, 1 compute)", hosts)
	}
	leaf, ok1 := hwsku.Lookup(LeafHWSKU)
	spine, ok2 := hwsku.Lookup(SpineHWSKU)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("synth: HWSKUs %s and %s are not embedded", LeafHWSKU, SpineHWSKU)
	}
	var sfp, qsfp []string // leaf ports: 25G single-lane, 100G four-lane
	for _, p := range leaf.Ports {
		if len(p.Lanes) == 1 {
			sfp = append(sfp, p.Name)
		} else {
			qsfp = append(qsfp, p.Name)
		}
	}
	var spinePorts []string
	for _, p := range spine.Ports {
		if p.Speed == 100000 {
			spinePorts = append(spinePorts, p.Name)
		}
	}

	sMin := func(leaves int) int {
		return max(minSpines, ceilDiv(minUplinks*leaves, len(spinePorts)))
	}
	racks := max(minRacks, ceilDiv(hosts, targetPerRack))
	for racks > minRacks && switches-2*racks < sMin(2*racks) {
		racks--
	}
	if switches-2*racks < sMin(2*racks) {
		return nil, fmt.Errorf("synth: %d switches: %d racks need %d leaves and at least %d spines", switches, racks, 2*racks, sMin(2*racks))
	}
	l := &Layout{Hosts: hosts, Racks: racks, Leaves: 2 * racks, Spines: switches - 2*racks, spinePorts: spinePorts}
	l.HostsPerRack = ceilDiv(hosts, racks)

	// Host ports: the SFP28 ports, then QSFP28 ports broken out 4x25G.
	l.hostPorts = slices.Clone(sfp)
	q := 0
	for len(l.hostPorts) < l.HostsPerRack && q < len(qsfp)-minUplinks-1 {
		subs, err := leaf.Breakout(qsfp[q], "4x25G")
		if err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
		for _, s := range subs {
			l.hostPorts = append(l.hostPorts, s.Name)
		}
		l.HostBreakouts = append(l.HostBreakouts, qsfp[q])
		q++
	}
	if len(l.hostPorts) < l.HostsPerRack {
		return nil, fmt.Errorf("synth: %d hosts in %d racks is %d per rack, more than a leaf has ports for (%d); give more switches",
			hosts, racks, l.HostsPerRack, len(l.hostPorts))
	}
	l.uplinkPorts = qsfp[q : len(qsfp)-1]
	l.PeerLink = qsfp[len(qsfp)-1]
	// Leaf i's uplink k goes to spine (i+k) mod Spines: each spine gets at
	// most ceil(Leaves/Spines) cables per uplink index, and consecutive
	// leaves share a spine, so the fabric stays one connected whole even
	// when a leaf cannot reach every spine.
	l.Uplinks = min(len(l.uplinkPorts), l.Spines, len(spinePorts)/ceilDiv(l.Leaves, l.Spines))
	if l.Leaves*l.Uplinks < l.Spines {
		return nil, fmt.Errorf("synth: %d switches are too many for %d hosts: %d spines would be left without a cable", switches, hosts, l.Spines-l.Leaves*l.Uplinks)
	}
	return l, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Repo writes a repository with hosts hosts and switches switches into
// dir, which must not hold a repository yet.
func Repo(dir string, hosts, switches int) error {
	l, err := Plan(hosts, switches)
	if err != nil {
		return err
	}
	return l.Write(dir)
}

// host is a generated host.
type host struct {
	index int // 0-based, over all hosts
	name  string
	role  string
	rack  int // 0-based
	slot  int // port index on the rack's leaves
}

func (l *Layout) hosts() []host {
	storage := max(3, l.Hosts/10)
	out := make([]host, l.Hosts)
	perRack := make([]int, l.Racks)
	counts := map[string]int{}
	for i := range out {
		role := "compute"
		switch {
		case i < 3:
			role = "control"
		case i < 6:
			role = "network"
		case i < 6+storage:
			role = "storage"
		}
		counts[role]++
		prefix := map[string]string{"control": "ctl", "network": "net", "storage": "stor", "compute": "cmp"}[role]
		rack := i % l.Racks
		out[i] = host{index: i, name: fmt.Sprintf("%s-%d", prefix, counts[role]), role: role, rack: rack, slot: perRack[rack]}
		perRack[rack]++
	}
	return out
}

func rackName(r int) string { return fmt.Sprintf("r%d", r+1) }

func leafName(rack, side int) string { return fmt.Sprintf("leaf-%d", 2*rack+side+1) }

// addr gives host i an address in 10.<second>.0.0/16, clear of the
// first /24 (gateway, virtual IPs) and of .0 and .255 of every /24.
func addr(second, i int) string {
	return fmt.Sprintf("10.%d.%d.%d", second, 1+i/250, 1+i%250)
}

func mac(nic, i int) string {
	return fmt.Sprintf("52:54:%02x:%02x:%02x:%02x", nic, (i>>16)&0xff, (i>>8)&0xff, i&0xff)
}

var osdDevices = []string{"/dev/sdb", "/dev/sdc", "/dev/sdd", "/dev/sde"}

// Write writes the repository.
func (l *Layout) Write(dir string) error {
	if l.Hosts > 250*200 {
		return fmt.Errorf("synth: at most %d hosts", 250*200)
	}
	hosts := l.hosts()
	w := &writer{dir: dir}
	w.file("cloud.yaml", func(b *bufio.Writer) { l.cloud(b) })
	w.file("network.yaml", func(b *bufio.Writer) { l.network(b, hosts) })
	for r := 0; r < l.Racks; r++ {
		w.file(filepath.Join("inventory", fmt.Sprintf("rack-%03d.yaml", r+1)), func(b *bufio.Writer) {
			fmt.Fprintf(b, "# Rack %s: %s and %s.\ndefaults:\n  rack: %s\n  ssh: {user: fundament}\nhosts:\n",
				rackName(r), leafName(r, 0), leafName(r, 1), rackName(r))
			for _, h := range hosts {
				if h.rack == r {
					writeHost(b, h)
				}
			}
		})
	}
	w.file(filepath.Join("services", "ceph.yaml"), func(b *bufio.Writer) {
		fmt.Fprintf(b, "ceph:\n  osds:\n    devices: [%s]\n", strings.Join(osdDevices, ", "))
	})
	w.file(filepath.Join("services", "openstack.yaml"), func(b *bufio.Writer) {
		b.WriteString("openstack:\n  neutron:\n    tenant_mtu: 1500\n  nova:\n    cpu_allocation_ratio: 4.0\n")
	})
	return w.err
}

func (l *Layout) cloud(b *bufio.Writer) {
	b.WriteString("name: synth\nprofile: production\nrelease: \"2025.1\"\ndomain: synth.example.org\n")
	b.WriteString("regions:\n  - name: RegionOne\n    availability_zones:\n")
	zones := min(3, l.Racks)
	for z := 0; z < zones; z++ {
		var racks []string
		for r := z; r < l.Racks; r += zones {
			racks = append(racks, rackName(r))
		}
		fmt.Fprintf(b, "      - name: az%d\n        racks: [%s]\n", z+1, strings.Join(racks, ", "))
	}
	b.WriteString("ntp_servers: [10.10.0.1]\ndns_servers: [10.10.0.1]\n")
}

func (l *Layout) network(b *bufio.Writer, hosts []host) {
	b.WriteString("fabric:\n  asn_scheme: osism\nswitches:\n")
	sw := 0
	for s := 0; s < l.Spines; s++ {
		fmt.Fprintf(b, "  - {name: spine-%d, role: spine, hwsku: %s, loopback: 10.0.0.%d, management_address: %s, mac: \"%s\"}\n",
			s+1, SpineHWSKU, s+1, switchMgmt(sw), mac(0x80, sw))
		sw++
	}
	var breakouts string
	if len(l.HostBreakouts) > 0 {
		parts := make([]string, len(l.HostBreakouts))
		for i, p := range l.HostBreakouts {
			parts[i] = p + ": 4x25G"
		}
		breakouts = ", breakouts: {" + strings.Join(parts, ", ") + "}"
	}
	for i := 0; i < l.Leaves; i++ {
		// Leaf loopbacks 10.0.1.1 on: osism derives unique ASNs from the
		// third and fourth octet.
		// The two leaves of a rack are an MC-LAG pair: hosts bond across them.
		fmt.Fprintf(b, "  - {name: leaf-%d, role: leaf, hwsku: %s, rack: %s, loopback: 10.0.%d.%d, management_address: %s, mac: \"%s\", mclag_peer: leaf-%d%s}\n",
			i+1, LeafHWSKU, rackName(i/2), 1+i/250, 1+i%250, switchMgmt(sw), mac(0x80, sw), i^1+1, breakouts)
		sw++
	}

	b.WriteString("cables:\n")
	used := make([]int, l.Spines)
	for i := 0; i < l.Leaves; i++ {
		for k := 0; k < l.Uplinks; k++ {
			s := (i + k) % l.Spines // see Plan
			fmt.Fprintf(b, "  - {a: \"spine-%d:%s\", b: \"leaf-%d:%s\"}\n", s+1, l.spinePorts[used[s]], i+1, l.uplinkPorts[k])
			used[s]++
		}
	}
	for r := 0; r < l.Racks; r++ {
		fmt.Fprintf(b, "  - {a: \"%s:%s\", b: \"%s:%s\"}\n", leafName(r, 0), l.PeerLink, leafName(r, 1), l.PeerLink)
	}
	for _, h := range hosts {
		for side := 0; side < 2; side++ {
			fmt.Fprintf(b, "  - {a: \"%s:%s\", b: \"%s:eth%d\"}\n", leafName(h.rack, side), l.hostPorts[h.slot], h.name, side+1)
		}
	}

	b.WriteString(`networks:
  - {name: mgmt, role: management, prefix: 10.10.0.0/16, gateway: 10.10.0.1}
  - {name: internal, role: internal_api, prefix: 10.20.0.0/16, vlan: 20, mtu: 9000}
  - {name: storage, role: storage_public, prefix: 10.30.0.0/16, vlan: 30, mtu: 9000}
  - {name: replication, role: storage_cluster, prefix: 10.31.0.0/16, vlan: 31, mtu: 9000}
  - {name: tunnel, role: tunnel, prefix: 10.40.0.0/16, vlan: 40, mtu: 9000}
  - name: public
    role: external
    prefix: 203.0.113.0/24
    vlan: 100
    gateway: 203.0.113.1
    pools:
      - {start: 203.0.113.100, end: 203.0.113.200}
virtual_ips:
  - {name: internal, network: internal, address: 10.20.0.10}
  - {name: public, network: public, address: 203.0.113.10}
`)
}

// switchMgmt gives switch i a management address in the last /24s of the
// management network, clear of the hosts' addresses.
func switchMgmt(i int) string {
	return fmt.Sprintf("10.10.%d.%d", 254-i/250, 1+i%250)
}

// networksOf lists the networks a role needs besides management.
var networksOf = map[string][]string{
	// Control hosts run the Ceph monitors and hold the virtual IPs.
	"control": {"internal", "storage", "public"},
	"network": {"internal", "tunnel", "public"},
	"storage": {"storage", "replication"},
	"compute": {"internal", "storage", "tunnel"},
}

var secondOctet = map[string]int{"mgmt": 10, "internal": 20, "storage": 30, "replication": 31, "tunnel": 40}

func writeHost(b *bufio.Writer, h host) {
	roles := h.role
	fmt.Fprintf(b, "  - name: %s\n    roles: [%s]\n", h.name, roles)
	fmt.Fprintf(b, "    bmc: {address: %s}\n", addr(9, h.index))
	b.WriteString("    interfaces:\n")
	fmt.Fprintf(b, "      - {name: eth0, mac: \"%s\"}\n", mac(0, h.index))
	fmt.Fprintf(b, "      - {name: eth1, mac: \"%s\", mtu: 9000}\n", mac(1, h.index))
	fmt.Fprintf(b, "      - {name: eth2, mac: \"%s\", mtu: 9000}\n", mac(2, h.index))
	b.WriteString("      - name: bond0\n        mtu: 9000\n        bond: {members: [eth1, eth2], mode: 802.3ad}\n")
	b.WriteString("    networks:\n")
	fmt.Fprintf(b, "      mgmt: {interface: eth0, address: %s}\n", addr(secondOctet["mgmt"], h.index))
	for _, n := range networksOf[h.role] {
		a := ""
		if n == "public" {
			a = fmt.Sprintf("203.0.113.%d", 11+h.index) // the 3 control and 3 network hosts
		} else {
			a = addr(secondOctet[n], h.index)
		}
		fmt.Fprintf(b, "      %s: {interface: bond0, address: %s}\n", n, a)
	}
	if h.role == "storage" {
		b.WriteString("    disks:\n")
		for _, d := range osdDevices {
			fmt.Fprintf(b, "      - {device: %s, size: 3.84T}\n", d)
		}
	}
}

// writer writes files below dir, keeping the first error.
type writer struct {
	dir string
	err error
}

func (w *writer) file(name string, fill func(*bufio.Writer)) {
	if w.err != nil {
		return
	}
	p := filepath.Join(w.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.err = err
		return
	}
	f, err := os.Create(p)
	if err != nil {
		w.err = err
		return
	}
	b := bufio.NewWriterSize(f, 64<<10)
	fill(b)
	if err := b.Flush(); err != nil {
		w.err = err
	}
	if err := f.Close(); err != nil && w.err == nil {
		w.err = err
	}
}
