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

// asnPos is where a switch's ASN is written or derived from.
func asnPos(a *model.SwitchASN) diag.Pos {
	if a.Source == model.ASNExplicit {
		return a.Switch.At("asn")
	}
	return a.Switch.At("loopback")
}

func checkASNMissing(ck *checker) {
	fabric := &ck.c.Network.Fabric
	for _, a := range ck.c.SwitchASNs() {
		if a.OK {
			continue
		}
		s := a.Switch
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
	byASN := map[uint32][]*model.SwitchASN{}
	for _, a := range ck.c.SwitchASNs() {
		if a.OK {
			byASN[a.ASN] = append(byASN[a.ASN], a)
		}
	}
	for _, asn := range slices.Sorted(maps.Keys(byASN)) {
		list := byASN[asn]
		if len(list) < 2 {
			continue
		}
		slices.SortStableFunc(list, func(x, y *model.SwitchASN) int { return comparePos(x.Switch.Pos, y.Switch.Pos) })
		var firstOther *model.SwitchASN // the first non-spine so far
		for i, a := range list {
			spine := a.Switch.Role == model.SwitchSpine
			var clash *model.SwitchASN
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
			ck.d.Errorf(asnPos(a), RuleASNCollision, "switch %q has ASN %d%s, already used by switch %q at %s; only spines may share an ASN",
				a.Switch.Name, a.ASN, asnExplain(a), clash.Switch.Name, asnPos(clash))
		}
	}
}

// asnExplain says where a derived ASN comes from.
func asnExplain(a *model.SwitchASN) string {
	switch a.Source {
	case model.ASNDerived:
		return fmt.Sprintf(" (derived from loopback %s by asn_scheme osism)", a.Switch.Loopback)
	case model.ASNGroup:
		return fmt.Sprintf(" (the lowest ASN of its spine group %s)", strings.Join(a.Group, ", "))
	}
	return ""
}
