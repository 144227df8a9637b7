package sonic

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/fundament-cloud/fundament/internal/model"
)

// attachment is a switch port cabled to a host interface.
type attachment struct {
	port string
	host *model.Host
	// carrier is the host interface the networks are attached to: the
	// cabled NIC, or the bond it is a member of.
	carrier *model.Interface
	vlans   []int // the VLANs of the networks on carrier, sorted
}

// lacp reports whether the port belongs to an 802.3ad bond, which the
// switch must answer with a PortChannel; the other bond modes need
// nothing from the switch, so their members are plain ports.
func (a attachment) lacp() bool { return a.carrier.Bond != nil && a.carrier.Bond.Mode == "802.3ad" }

// attachments lists the host-facing ports of a switch, by port name.
func (f *Fabric) attachments(sw *model.Switch) ([]attachment, error) {
	links := f.links[sw.Name]
	var out []attachment
	for _, port := range slices.Sorted(maps.Keys(links)) {
		p := links[port]
		if p.host == nil {
			continue
		}
		nic := p.host.Interface(p.port)
		if nic == nil {
			return nil, fmt.Errorf("port %s is cabled to %s, which host %s does not declare (validate reports cable-unknown-port)", port, p, p.host.Name)
		}
		a := attachment{port: port, host: p.host, carrier: nic}
		for _, i := range p.host.Interfaces {
			if i.Bond != nil && slices.Contains(i.Bond.Members, nic.Name) {
				a.carrier = i
				break
			}
		}
		var err error
		if a.vlans, err = f.carriedVLANs(a, sw); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// carriedVLANs returns the VLANs of the networks the host attaches to the
// port's carrier interface.
func (f *Fabric) carriedVLANs(a attachment, sw *model.Switch) ([]int, error) {
	var vlans []int
	for _, name := range slices.Sorted(maps.Keys(a.host.Networks)) {
		if a.host.Networks[name].Interface != a.carrier.Name {
			continue
		}
		n := f.networks[name]
		if n == nil {
			return nil, fmt.Errorf("host %s is attached to network %s, which network.yaml does not define (validate reports unknown-network)", a.host.Name, name)
		}
		if n.VLAN == 0 {
			return nil, fmt.Errorf("host %s carries network %s untagged on %s, which is cabled to %s:%s; "+
				"the leaves bridge host networks by VLAN, so give network %s a vlan (%s)",
				a.host.Name, name, a.carrier.Name, sw.Name, a.port, name, n.At("vlan"))
		}
		vlans = append(vlans, n.VLAN)
	}
	slices.Sort(vlans)
	return vlans, nil
}

// domain is a switch together with its MC-LAG peer, sorted by name: the
// switches that must agree on PortChannel names and carry each other's
// VLANs over the peer link.
func (f *Fabric) domain(sw *model.Switch) []*model.Switch {
	p := f.switches[sw.MCLAGPeer]
	if p == nil || p == sw || p.MCLAGPeer != sw.Name {
		return []*model.Switch{sw}
	}
	pair := []*model.Switch{sw, p}
	slices.SortFunc(pair, func(x, y *model.Switch) int { return cmp.Compare(x.Name, y.Name) })
	return pair
}

// lag is a PortChannel: an 802.3ad host bond's members on the switches of
// a domain, or an MC-LAG pair's peer link (host nil).
type lag struct {
	name    string
	host    *model.Host
	bond    *model.Interface
	members map[string][]string // switch name -> its ports, sorted
	vlans   []int
	first   int // lowest port number of the members: the preferred number
}

// lags plans the PortChannels of a domain. A PortChannel is numbered after
// its lowest member port (the bond on Ethernet16 is PortChannel16), so
// that adding a host renumbers no other; of LAGs that want one number the
// first by name gets it and the others the next free numbers. Both switches of an MC-LAG pair compute the same plan, which is
// what makes the names match across the pair.
func (f *Fabric) lags(dom []*model.Switch) ([]*lag, error) {
	var out []*lag
	if len(dom) == 2 {
		pl := &lag{members: map[string][]string{}}
		for port, p := range f.links[dom[0].Name] {
			if p.sw == dom[1] {
				pl.members[dom[0].Name] = append(pl.members[dom[0].Name], port)
				pl.members[dom[1].Name] = append(pl.members[dom[1].Name], p.port)
			}
		}
		if len(pl.members) == 0 {
			return nil, fmt.Errorf("%s and %s are an MC-LAG pair, but no cable joins them; cable their peer link", dom[0].Name, dom[1].Name)
		}
		out = append(out, pl)
	}
	byBond := map[*model.Interface]*lag{}
	for _, sw := range dom {
		atts, err := f.attachments(sw)
		if err != nil {
			return nil, err
		}
		for _, a := range atts {
			if !a.lacp() {
				continue
			}
			l := byBond[a.carrier]
			if l == nil {
				l = &lag{host: a.host, bond: a.carrier, members: map[string][]string{}, vlans: a.vlans}
				byBond[a.carrier] = l
				out = append(out, l)
			}
			l.members[sw.Name] = append(l.members[sw.Name], a.port)
		}
	}
	for _, l := range out {
		l.first = -1
		for _, ports := range l.members {
			slices.SortFunc(ports, comparePorts)
			if n := portNumber(ports[0]); l.first < 0 || n < l.first {
				l.first = n
			}
		}
	}
	slices.SortFunc(out, func(x, y *lag) int {
		// The peer link first among LAGs that want one number, then by name.
		return cmp.Or(cmp.Compare(x.first, y.first), cmp.Compare(x.isHostBond(), y.isHostBond()), cmp.Compare(x.label(), y.label()))
	})
	// First every LAG that alone wants its number gets it, then the losers
	// of a clash take free numbers: a clash renumbers no one else.
	used := map[int]bool{}
	for _, l := range out {
		if !used[l.first] {
			used[l.first] = true
			l.name = fmt.Sprintf("PortChannel%d", l.first)
		}
	}
	for _, l := range out {
		if l.name != "" {
			continue
		}
		n := l.first
		for used[n] {
			n++
		}
		if n > 9999 {
			return nil, fmt.Errorf("no PortChannel number left for %s (SONiC allows PortChannel0..9999)", l.label())
		}
		used[n] = true
		l.name = fmt.Sprintf("PortChannel%d", n)
	}
	return out, nil
}

// isHostBond is 0 for the peer link and 1 for a host's bond.
func (l *lag) isHostBond() int {
	if l.host == nil {
		return 0
	}
	return 1
}

// label names a LAG in descriptions and messages.
func (l *lag) label() string {
	if l.host == nil {
		return "the MC-LAG peer link"
	}
	return l.host.Name + ":" + l.bond.Name
}

// portNumber is the number at the end of a port name (Ethernet48 -> 48).
func portNumber(name string) int {
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	n := 0
	for _, c := range name[i:] {
		if n > 1e6 {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// comparePorts orders port names by number (Ethernet2 before Ethernet10).
func comparePorts(a, b string) int {
	return cmp.Or(cmp.Compare(portNumber(a), portNumber(b)), cmp.Compare(a, b))
}
