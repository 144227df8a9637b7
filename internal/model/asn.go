package model

import (
	"maps"
	"slices"
)

// osismASNPrefix is the leading "4200" of the osism scheme's ASNs, a
// 32-bit private ASN (RFC 6996: 4200000000-4294967294).
const osismASNPrefix = 4200_000_000

// ASNSource says how a switch's effective ASN came about.
type ASNSource int

const (
	ASNExplicit ASNSource = iota // the switch's asn
	ASNDerived                   // derived from the loopback (osism)
	ASNGroup                     // the lowest ASN of the switch's spine group (osism)
)

// SwitchASN is a switch's effective ASN and where it comes from. The ASN
// is a fact of the model (the renderers and validation read the same
// one), not a rule of validation.
type SwitchASN struct {
	Switch *Switch
	ASN    uint32
	OK     bool // false: the switch has none (asn-missing reports it)
	Source ASNSource
	Group  []string // the names of the spine group, for ASNGroup
}

// osismASN derives a switch's ASN from its IPv4 loopback as OSISM does:
// 4200 followed by the third and fourth octet, three digits each
// (10.10.45.123 -> 4200045123).
func osismASN(s *Switch) (uint32, bool) {
	a := s.Loopback.Unmap()
	if !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return osismASNPrefix + uint32(b[2])*1000 + uint32(b[3]), true
}

// SwitchASNs resolves the ASN of every switch (the first of duplicate
// names only), in network.yaml order.
func (c *Cloud) SwitchASNs() []*SwitchASN {
	byName := c.SwitchesByName()
	var out []*SwitchASN
	osism := c.Network.Fabric.ASNScheme != ASNSchemeExplicit
	for _, s := range c.Network.Switches {
		if byName[s.Name] != s {
			continue
		}
		a := &SwitchASN{Switch: s}
		switch {
		case s.ASN != 0:
			a.ASN, a.OK, a.Source = s.ASN, true, ASNExplicit
		case osism:
			a.ASN, a.OK = osismASN(s)
			a.Source = ASNDerived
		}
		out = append(out, a)
	}
	if !osism {
		return out
	}

	// Spines cabled to each other form groups that share the group's
	// lowest ASN (OSISM's spine-to-spine BFS), via union-find.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	isSpine := func(name string) bool {
		s := byName[name]
		return s != nil && s.Role == SwitchSpine
	}
	for _, cb := range c.Network.Cables {
		a, b := cb.A.Device, cb.B.Device
		if a == b || !isSpine(a) || !isSpine(b) {
			continue
		}
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	groups := map[string][]*SwitchASN{}
	for _, a := range out {
		if a.Switch.Role == SwitchSpine {
			r := find(a.Switch.Name)
			groups[r] = append(groups[r], a)
		}
	}
	for _, root := range slices.Sorted(maps.Keys(groups)) {
		members := groups[root]
		if len(members) < 2 {
			continue
		}
		var lowest uint32
		names := make([]string, len(members))
		for i, m := range members {
			names[i] = m.Switch.Name
			if m.OK && (lowest == 0 || m.ASN < lowest) {
				lowest = m.ASN
			}
		}
		if lowest == 0 {
			continue
		}
		for _, m := range members {
			if m.Source != ASNExplicit {
				m.ASN, m.OK, m.Source, m.Group = lowest, true, ASNGroup, names
			}
		}
	}
	return out
}

// EffectiveASNs returns the BGP ASN of every switch, by name, as the SONiC
// configuration will use it:
//
//   - a switch's explicit asn always wins;
//   - with asn_scheme osism, a switch without asn gets 4200 followed by the
//     third and fourth octet of its IPv4 loopback, three digits each
//     (10.10.45.123 -> 4200045123);
//   - with asn_scheme osism, spines cabled to each other (directly or through
//     other spines) form a group, and every member without an explicit asn
//     gets the group's lowest ASN (explicit ones included), as OSISM does.
//
// Switches without an ASN (asn_scheme explicit without asn, or an IPv6
// loopback under osism; validation's asn-missing reports them) are left
// out. With duplicate switch names the first switch wins.
func (c *Cloud) EffectiveASNs() map[string]uint32 {
	out := map[string]uint32{}
	for _, a := range c.SwitchASNs() {
		if a.OK {
			out[a.Switch.Name] = a.ASN
		}
	}
	return out
}
