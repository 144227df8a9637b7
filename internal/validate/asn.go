package validate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Rule ids of the BGP ASN rules.
const (
	RuleASNMissing   = "asn-missing"
	RuleASNCollision = "asn-collision"
)

func init() {
	register(
		Rule{ID: RuleASNMissing, Summary: "every switch has an ASN: set asn with asn_scheme explicit, or an IPv4 loopback (or asn) with asn_scheme osism", check: checkASNMissing},
		Rule{ID: RuleASNCollision, Summary: "no two switches share an ASN, except spines (which share one per interconnected group by design)", check: checkASNCollision},
	)
}

// osismASNPrefix is the leading "4200" of the osism scheme's ASNs, a
// 32-bit private ASN (RFC 6996: 4200000000-4294967294).
const osismASNPrefix = 4200_000_000

// osismASN derives a switch's ASN from its IPv4 loopback as OSISM does:
// 4200 followed by the third and fourth octet, three digits each
// (10.10.45.123 -> 4200045123).
func osismASN(s *model.Switch) (uint32, bool) {
	a := s.Loopback.Unmap()
	if !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return osismASNPrefix + uint32(b[2])*1000 + uint32(b[3]), true
}

// How an effective ASN came about.
const (
	asnExplicit = iota // the switch's asn
	asnDerived         // derived from the loopback (osism)
	asnGroup           // the lowest ASN of the switch's spine group (osism)
)

// switchASN is a switch's effective ASN and where it comes from.
type switchASN struct {
	sw     *model.Switch
	asn    uint32
	ok     bool
	source int
	group  []string // names of the spine group, for asnGroup
}

// pos is where the ASN is written or derived from.
func (a *switchASN) pos() diag.Pos {
	if a.source == asnExplicit {
		return a.sw.At("asn")
	}
	return a.sw.At("loopback")
}

// computeASNs resolves the ASN of every switch (the first of duplicate
// names only), in network.yaml order.
func computeASNs(c *model.Cloud) []*switchASN {
	byName := c.SwitchesByName()
	var out []*switchASN
	index := map[string]*switchASN{}
	osism := c.Network.Fabric.ASNScheme != model.ASNSchemeExplicit
	for _, s := range c.Network.Switches {
		if byName[s.Name] != s {
			continue
		}
		a := &switchASN{sw: s}
		switch {
		case s.ASN != 0:
			a.asn, a.ok, a.source = s.ASN, true, asnExplicit
		case osism:
			a.asn, a.ok = osismASN(s)
			a.source = asnDerived
		}
		out = append(out, a)
		index[s.Name] = a
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
		return s != nil && s.Role == model.SwitchSpine
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
	groups := map[string][]*switchASN{}
	for _, a := range out {
		if a.sw.Role == model.SwitchSpine {
			r := find(a.sw.Name)
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
			names[i] = m.sw.Name
			if m.ok && (lowest == 0 || m.asn < lowest) {
				lowest = m.asn
			}
		}
		if lowest == 0 {
			continue
		}
		for _, m := range members {
			if m.source != asnExplicit {
				m.asn, m.ok, m.source, m.group = lowest, true, asnGroup, names
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
// loopback under osism; asn-missing reports them) are left out. With
// duplicate switch names the first switch wins.
func EffectiveASNs(c *model.Cloud) map[string]uint32 {
	out := map[string]uint32{}
	for _, a := range computeASNs(c) {
		if a.ok {
			out[a.sw.Name] = a.asn
		}
	}
	return out
}

func checkASNMissing(ck *checker) {
	fabric := &ck.c.Network.Fabric
	for _, a := range computeASNs(ck.c) {
		if a.ok {
			continue
		}
		s := a.sw
		if fabric.ASNScheme == model.ASNSchemeExplicit {
			ck.d.Errorf(s.At("asn"), RuleASNMissing, "switch %q has no asn; asn_scheme explicit at %s requires one on every switch",
				s.Name, fabric.At("asn_scheme"))
		} else if s.Loopback.IsValid() {
			ck.d.Errorf(s.At("loopback"), RuleASNMissing, "switch %q has the IPv6 loopback %s, from which asn_scheme osism cannot derive an ASN (it needs IPv4); set asn",
				s.Name, s.Loopback)
		}
	}
}

func checkASNCollision(ck *checker) {
	byASN := map[uint32][]*switchASN{}
	for _, a := range computeASNs(ck.c) {
		if a.ok {
			byASN[a.asn] = append(byASN[a.asn], a)
		}
	}
	for _, asn := range slices.Sorted(maps.Keys(byASN)) {
		list := byASN[asn]
		if len(list) < 2 {
			continue
		}
		slices.SortStableFunc(list, func(x, y *switchASN) int { return comparePos(x.sw.Pos, y.sw.Pos) })
		var firstOther *switchASN // the first non-spine so far
		for i, a := range list {
			spine := a.sw.Role == model.SwitchSpine
			var clash *switchASN
			switch {
			case i == 0:
			case !spine:
				clash = list[0]
			default:
				clash = firstOther
			}
			if !spine && firstOther == nil {
				firstOther = a
			}
			if clash == nil {
				continue
			}
			ck.d.Errorf(a.pos(), RuleASNCollision, "switch %q has ASN %d%s, already used by switch %q at %s; only spines may share an ASN",
				a.sw.Name, a.asn, a.explain(), clash.sw.Name, clash.pos())
		}
	}
}

// explain says where a derived ASN comes from.
func (a *switchASN) explain() string {
	switch a.source {
	case asnDerived:
		return fmt.Sprintf(" (derived from loopback %s by asn_scheme osism)", a.sw.Loopback)
	case asnGroup:
		return fmt.Sprintf(" (the lowest ASN of its spine group %s)", strings.Join(a.group, ", "))
	}
	return ""
}
