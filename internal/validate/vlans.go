package validate

import "github.com/fundament-cloud/fundament/internal/model"

// Rule ids of the VLAN rules.
const (
	RuleVLANRange  = "vlan-range"
	RuleVLANReused = "vlan-reused"
)

// VLAN ids a network may use; 0 means untagged. SONiC reserves VLAN 1 as
// its default VLAN, 4095 is reserved by 802.1Q.
const (
	minVLAN = 2
	maxVLAN = 4094
)

func init() {
	register(
		Rule{ID: RuleVLANRange, Summary: "a network's vlan is 0 (untagged) or 2..4094 (SONiC reserves VLAN 1 as its default VLAN)", check: checkVLANRange},
		Rule{ID: RuleVLANReused, Summary: "no two networks use the same VLAN", check: checkVLANReused},
	)
}

func validVLAN(v int) bool { return v == 0 || (v >= minVLAN && v <= maxVLAN) }

func checkVLANRange(ck *checker) {
	for _, n := range ck.c.Network.Networks {
		switch {
		case validVLAN(n.VLAN):
		case n.VLAN == 1:
			ck.d.Errorf(n.At("vlan"), RuleVLANRange, "VLAN 1 is SONiC's default VLAN and cannot carry a network; use %d..%d, or 0 for untagged", minVLAN, maxVLAN)
		default:
			ck.d.Errorf(n.At("vlan"), RuleVLANRange, "VLAN %d is out of range; use %d..%d, or 0 for untagged", n.VLAN, minVLAN, maxVLAN)
		}
	}
}

func checkVLANReused(ck *checker) {
	first := map[int]*model.LogicalNetwork{}
	for _, n := range ck.c.Network.Networks {
		if n.VLAN == 0 || !validVLAN(n.VLAN) {
			continue
		}
		if f, ok := first[n.VLAN]; ok {
			ck.d.Errorf(n.At("vlan"), RuleVLANReused, "VLAN %d is already used by network %q at %s; each network needs its own VLAN", n.VLAN, f.Name, f.At("vlan"))
			continue
		}
		first[n.VLAN] = n
	}
}
