// Package sonic renders the config_db.json of each SONiC switch of the
// fabric from the model: ports from the HWSKU's port map, eBGP unnumbered
// between switches, EVPN-VXLAN for the host VLANs on the leaves, LAGs and
// MC-LAG for 802.3ad host bonds, and the switch's management settings. It
// is a pure function of the model; docs/sonic.md describes the output
// table by table.
package sonic

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/hwsku"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Fabric is the model indexed for rendering: who is cabled to which
// switch port, and each switch's ASN.
type Fabric struct {
	c        *model.Cloud
	order    []string // switch names in network.yaml order
	switches map[string]*model.Switch
	hosts    map[string]*model.Host
	networks map[string]*model.LogicalNetwork
	asns     map[string]uint32
	// links maps switch -> port -> what is at the other end of its cable.
	links map[string]map[string]peer
}

// peer is the far end of a cable: a switch port or a host interface.
type peer struct {
	sw   *model.Switch
	host *model.Host
	port string
}

func (p peer) String() string {
	if p.sw != nil {
		return p.sw.Name + ":" + p.port
	}
	return p.host.Name + ":" + p.port
}

// New indexes a cloud that validated without errors. What validation
// guarantees is checked again where the renderer depends on it, so a
// model that slipped through gives an error, not a broken config.
func New(c *model.Cloud) (*Fabric, error) {
	f := &Fabric{
		c:        c,
		switches: c.SwitchesByName(),
		hosts:    c.HostsByName(),
		networks: c.NetworksByName(),
		asns:     c.EffectiveASNs(),
		links:    map[string]map[string]peer{},
	}
	for _, s := range c.Network.Switches {
		if s != nil && f.switches[s.Name] == s {
			f.order = append(f.order, s.Name)
			f.links[s.Name] = map[string]peer{}
		}
	}
	for _, cb := range c.Network.Cables {
		ends := [2]model.Endpoint{cb.A, cb.B}
		for i, e := range ends {
			sw := f.switches[e.Device]
			if sw == nil {
				continue
			}
			other := ends[1-i]
			p := peer{sw: f.switches[other.Device], host: f.hosts[other.Device], port: other.Port}
			if p.sw == nil && p.host == nil {
				return nil, fmt.Errorf("cable %s - %s at %s: no host or switch %q", cb.A, cb.B, cb.Pos, other.Device)
			}
			if prev, dup := f.links[sw.Name][e.Port]; dup {
				return nil, fmt.Errorf("port %s is cabled twice (to %s and to %s)", e, prev, p)
			}
			f.links[sw.Name][e.Port] = p
		}
	}
	return f, nil
}

// Names returns the switch names in network.yaml order.
func (f *Fabric) Names() []string { return slices.Clone(f.order) }

// Lookup checks switch names and returns them in network.yaml order; an
// unknown name is an error that lists the switches there are.
func (f *Fabric) Lookup(names []string) ([]string, error) {
	if len(names) == 0 {
		return f.Names(), nil
	}
	want := map[string]bool{}
	for _, n := range names {
		if f.switches[n] == nil {
			return nil, fmt.Errorf("no switch %q in network.yaml (switches: %s)%s",
				n, strings.Join(f.order, ", "), diag.DidYouMean(n, f.order))
		}
		want[n] = true
	}
	var out []string
	for _, n := range f.order {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// Render builds the config_db.json of each named switch (all when none),
// keyed by switch name.
func (f *Fabric) Render(names ...string) (map[string][]byte, error) {
	names, err := f.Lookup(names)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		db, err := f.Switch(n)
		if err != nil {
			return nil, err
		}
		if out[n], err = db.Marshal(); err != nil {
			return nil, fmt.Errorf("switch %s: %w", n, err)
		}
	}
	return out, nil
}

// Switch builds one switch's ConfigDB.
func (f *Fabric) Switch(name string) (ConfigDB, error) {
	sw := f.switches[name]
	if sw == nil {
		_, err := f.Lookup([]string{name})
		return nil, err
	}
	b, err := f.newBuilder(sw)
	if err != nil {
		return nil, fmt.Errorf("switch %s: %w", name, err)
	}
	for _, step := range []func() error{b.system, b.management, b.portTables, b.access, b.routing, b.overlay} {
		if err := step(); err != nil {
			return nil, fmt.Errorf("switch %s: %w", name, err)
		}
	}
	return b.db, nil
}

// builder renders one switch; each step fills its tables.
type builder struct {
	f     *Fabric
	sw    *model.Switch
	sku   *hwsku.SKU
	ports []hwsku.Port
	asn   uint32
	db    ConfigDB
	// set by access: the VLANs the switch bridges, and its ports that
	// are the MC-LAG peer link (not fabric links, no BGP).
	vlans    []int
	peerLink map[string]bool
}

func (f *Fabric) newBuilder(sw *model.Switch) (*builder, error) {
	sku, ok := hwsku.Lookup(sw.HWSKU)
	if !ok {
		return nil, fmt.Errorf("unknown HWSKU %q (validate reports hwsku-unknown)", sw.HWSKU)
	}
	ports, err := sku.PortsWithBreakouts(sw.Breakouts)
	if err != nil {
		return nil, fmt.Errorf("breakouts: %w (validate reports breakout-invalid)", err)
	}
	asn, ok := f.asns[sw.Name]
	if !ok {
		return nil, fmt.Errorf("no ASN (validate reports asn-missing)")
	}
	if !sw.Loopback.Unmap().Is4() {
		return nil, fmt.Errorf("loopback %s is not an IPv4 address; SONiC needs one for the BGP router id and the VXLAN source", sw.Loopback)
	}
	exists := map[string]bool{}
	lanes := map[string]string{}
	for _, p := range ports {
		exists[p.Name] = true
		k := fmt.Sprint(slices.Sorted(slices.Values(p.Lanes)))
		if other, dup := lanes[k]; dup {
			return nil, fmt.Errorf("ports %s and %s are both on lanes %v (validate reports breakout-invalid)", other, p.Name, k)
		}
		lanes[k] = p.Name
	}
	for port := range f.links[sw.Name] {
		if !exists[port] {
			return nil, fmt.Errorf("cabled port %s is not a port of %s (validate reports cable-unknown-port)", port, sku.Name)
		}
	}
	return &builder{f: f, sw: sw, sku: sku, ports: ports, asn: asn, db: ConfigDB{}, peerLink: map[string]bool{}}, nil
}

// loopback is the switch's IPv4 loopback address.
func (b *builder) loopback() string { return b.sw.Loopback.Unmap().String() }
