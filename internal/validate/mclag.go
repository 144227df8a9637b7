package validate

import (
	"fmt"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Rule ids of MC-LAG pairs and the bonds that span switches.
const (
	RuleMCLAGInvalid    = "mclag-invalid"
	RuleBondMultiSwitch = "bond-multi-switch"
)

func init() {
	register(
		Rule{ID: RuleMCLAGInvalid, Summary: "a switch's mclag_peer names another leaf or border switch, which names it back", check: checkMCLAGPeers},
		Rule{ID: RuleBondMultiSwitch, Summary: "an 802.3ad bond whose members are cabled to two switches needs them to be MC-LAG peers (and is an error in the lab profile, whose switches cannot run MC-LAG); one cabled to three or more switches is an error", check: checkBondSwitches},
	)
}

// mclagRole reports whether a switch of role r can be half of an MC-LAG
// pair: leaves (towards servers) and border switches (towards routers).
func mclagRole(r model.SwitchRole) bool { return r == model.SwitchLeaf || r == model.SwitchBorder }

func checkMCLAGPeers(ck *checker) {
	var names []string // for suggestions, built on first use
	for _, s := range ck.c.Network.Switches {
		if s.MCLAGPeer == "" || ck.switches[s.Name] != s {
			continue // a second switch of a name is duplicate-name's
		}
		pos := s.At("mclag_peer")
		peer := ck.switches[s.MCLAGPeer]
		switch {
		case s.MCLAGPeer == s.Name:
			ck.d.Errorf(pos, RuleMCLAGInvalid, "switch %s names itself as its mclag_peer; name the other switch of its MC-LAG pair", s.Name)
			continue
		case peer == nil:
			what := "no switch is called %q"
			if ck.hosts[s.MCLAGPeer] != nil {
				what = "%q is a host, not a switch"
			}
			if names == nil {
				names = sortedKeys(ck.switches)
			}
			ck.d.Errorf(pos, RuleMCLAGInvalid, "switch %s names mclag_peer %q, but "+what+"%s",
				s.Name, s.MCLAGPeer, s.MCLAGPeer, orKnown(s.MCLAGPeer, names, "network.yaml has"))
			continue
		case s.Role != "" && !mclagRole(s.Role):
			ck.d.Errorf(pos, RuleMCLAGInvalid,
				"switch %s is a %s and cannot run MC-LAG; only leaf and border switches form MC-LAG pairs, remove mclag_peer", s.Name, s.Role)
			continue
		case peer.Role != "" && !mclagRole(peer.Role):
			ck.d.Errorf(pos, RuleMCLAGInvalid,
				"switch %s names mclag_peer %s, which is a %s (%s); only leaf and border switches form MC-LAG pairs",
				s.Name, peer.Name, peer.Role, peer.At("role"))
			continue
		}
		switch peer.MCLAGPeer {
		case s.Name:
		case "":
			ck.d.Errorf(pos, RuleMCLAGInvalid,
				"switch %s names mclag_peer %s, but %s (%s) names no mclag_peer; the two switches of a pair name each other, so set mclag_peer: %s on %s",
				s.Name, peer.Name, peer.Name, peer.At("name"), s.Name, peer.Name)
		default:
			ck.d.Errorf(pos, RuleMCLAGInvalid,
				"switch %s names mclag_peer %s, but %s names %s (%s); the two switches of a pair name each other",
				s.Name, peer.Name, peer.Name, peer.MCLAGPeer, peer.At("mclag_peer"))
		}
	}
}

// link is a host port cabled to a switch.
type link struct {
	member string
	sw     *model.Switch
	cable  diag.Pos
}

// hostLinks indexes, per host and port, the switch the port is cabled to.
// A port cabled twice (cable-port-reused) keeps its first cable.
func (ck *checker) hostLinks() map[*model.Host]map[string]link {
	out := map[*model.Host]map[string]link{}
	for _, c := range ck.c.Network.Cables {
		ends := [2]model.Endpoint{c.A, c.B}
		for i, e := range ends {
			h, sw := ck.hosts[e.Device], ck.switches[ends[1-i].Device]
			if h == nil || sw == nil || ck.switches[e.Device] != nil {
				continue
			}
			ports := out[h]
			if ports == nil {
				ports = map[string]link{}
				out[h] = ports
			}
			if _, dup := ports[e.Port]; !dup {
				ports[e.Port] = link{member: e.Port, sw: sw, cable: c.Pos}
			}
		}
	}
	return out
}

func checkBondSwitches(ck *checker) {
	if len(ck.c.Network.Cables) == 0 {
		return
	}
	links := ck.hostLinks()
	lab := !ck.production()
	for _, h := range ck.c.Hosts {
		ports := links[h]
		if len(ports) == 0 || !ck.primary(h) {
			continue
		}
		for _, i := range h.Interfaces {
			b := i.Bond
			if b == nil || b.Mode != "802.3ad" {
				continue
			}
			// The switches the members reach, in member order, with the
			// links to each.
			var switches []*model.Switch
			bySwitch := map[*model.Switch][]link{}
			for _, m := range b.Members {
				l, ok := ports[m]
				if !ok || m == i.Name {
					continue
				}
				if _, seen := bySwitch[l.sw]; !seen {
					switches = append(switches, l.sw)
				}
				bySwitch[l.sw] = append(bySwitch[l.sw], l)
			}
			if len(switches) < 2 {
				continue // one switch: an ordinary LAG
			}
			var parts []string
			for _, sw := range switches {
				var ms []string
				for _, l := range bySwitch[sw] {
					ms = append(ms, fmt.Sprintf("%s (cable at %s)", l.member, l.cable))
				}
				parts = append(parts, fmt.Sprintf("%s to %s", andList(ms), sw.Name))
			}
			cabling := andList(parts)
			pos := b.At("mode")
			switch {
			case lab:
				ck.d.Errorf(pos, RuleBondMultiSwitch,
					"bond %s of host %s is an 802.3ad (LACP) bond over %s switches: %s; an LACP bond across switches needs MC-LAG, which the lab's switches (FRR) cannot run: use mode: active-backup",
					i.Name, h.Name, spelled(len(switches)), cabling)
			case len(switches) > 2:
				ck.d.Errorf(pos, RuleBondMultiSwitch,
					"bond %s of host %s is an 802.3ad (LACP) bond over %s switches: %s; an LACP bond spans at most the two switches of an MC-LAG pair: cable its members to one pair, or use mode: active-backup",
					i.Name, h.Name, spelled(len(switches)), cabling)
			case !mclagPaired(switches[0], switches[1]):
				// One switch naming the other is a pair with a mistake,
				// which mclag-invalid reports once for all bonds.
				ck.d.Errorf(pos, RuleBondMultiSwitch,
					"bond %s of host %s is an 802.3ad (LACP) bond over two switches that are not an MC-LAG pair: %s; set mclag_peer on %s and %s to each other, cable the members to one switch, or use mode: active-backup",
					i.Name, h.Name, cabling, switches[0].Name, switches[1].Name)
			}
		}
	}
}

// mclagPaired reports whether a or b names the other as its MC-LAG peer.
func mclagPaired(a, b *model.Switch) bool {
	return a.MCLAGPeer == b.Name || b.MCLAGPeer == a.Name
}

// spelled spells small numbers out: "two switches", "12 switches".
func spelled(n int) string {
	if n >= 0 && n < 10 {
		return [...]string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}[n]
	}
	return fmt.Sprint(n)
}
