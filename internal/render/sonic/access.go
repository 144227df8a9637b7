package sonic

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/fundament-cloud/fundament/internal/model"
)

// mclagDomainID is the MC-LAG domain of every pair. The ID only has to
// match between the two peers, and a switch is in one domain at most.
const mclagDomainID = "1"

// sagMAC is the static anycast gateway MAC all leaves answer a network's
// gateway address with: one fabric-wide, locally administered address.
const sagMAC = "02:fd:00:00:00:01"

// access writes what hosts attach to: PortChannels for 802.3ad bonds (and
// the MC-LAG peer link with its domain), VLAN membership of host ports,
// the VLANs, and an anycast gateway for the networks that have one.
func (b *builder) access() error {
	dom := b.f.domain(b.sw)
	vlans := map[int]bool{}
	var own []attachment
	for _, sw := range dom {
		atts, err := b.f.attachments(sw)
		if err != nil {
			return err
		}
		for _, a := range atts {
			for _, v := range a.vlans {
				vlans[v] = true // a pair bridges the VLANs of both
			}
		}
		if sw == b.sw {
			own = atts
		}
	}
	b.vlans = slices.Sorted(maps.Keys(vlans))

	lags, err := b.f.lags(dom)
	if err != nil {
		return err
	}
	for _, l := range lags {
		ports := l.members[b.sw.Name]
		if len(ports) == 0 {
			continue
		}
		carried, desc := l.vlans, l.label()
		if l.host == nil {
			// The peer link: all VLANs of the pair, no BGP, and the
			// MC-LAG session between the loopbacks.
			peer := b.mclagPeer(dom)
			if !peer.Loopback.Unmap().Is4() {
				return fmt.Errorf("MC-LAG peer %s has the loopback %s; the MC-LAG session needs IPv4", peer.Name, peer.Loopback)
			}
			carried, desc = b.vlans, "MC-LAG peer link to "+peer.Name
			for _, p := range ports {
				b.peerLink[p] = true
			}
			b.db.set("MCLAG_DOMAIN", mclagDomainID, Fields{
				"source_ip": b.loopback(), "peer_ip": peer.Loopback.Unmap().String(), "peer_link": l.name,
			})
		} else if len(l.members) == 2 {
			b.db.set("MCLAG_INTERFACE", key(mclagDomainID, l.name), Fields{"if_type": "PortChannel"})
		}
		b.db.set("PORTCHANNEL", l.name, Fields{
			"admin_status": "up", "min_links": "1", "mtu": portMTU, "lacp_key": "auto", "description": desc,
		})
		for _, p := range ports {
			b.db.set("PORTCHANNEL_MEMBER", key(l.name, p), Fields{})
		}
		b.vlanMembers(l.name, carried)
	}
	for _, a := range own {
		if !a.lacp() {
			b.vlanMembers(a.port, a.vlans)
		}
	}
	return b.vlanTables()
}

// mclagPeer is the other switch of a two-switch domain.
func (b *builder) mclagPeer(dom []*model.Switch) *model.Switch {
	if dom[0] == b.sw {
		return dom[1]
	}
	return dom[0]
}

// vlanMembers makes a port or PortChannel a tagged member of VLANs.
func (b *builder) vlanMembers(port string, vlans []int) {
	for _, v := range vlans {
		b.db.set("VLAN_MEMBER", key(vlanName(v), port), Fields{"tagging_mode": "tagged"})
	}
}

// vlanTables writes VLAN for every bridged VLAN and, where the network has
// a gateway, the gateway address as a static anycast gateway: the same
// address and MAC on every leaf, so a host's gateway is its own leaf.
func (b *builder) vlanTables() error {
	byVLAN := map[int]string{}
	for _, n := range b.f.c.Network.Networks {
		if n == nil || n.VLAN == 0 {
			continue
		}
		if other, dup := byVLAN[n.VLAN]; dup {
			return fmt.Errorf("networks %s and %s share VLAN %d (validate reports vlan-reused)", other, n.Name, n.VLAN)
		}
		byVLAN[n.VLAN] = n.Name
	}
	for _, v := range b.vlans {
		if v < 2 || v > 4094 {
			return fmt.Errorf("VLAN %d is outside 2..4094 (validate reports vlan-range)", v)
		}
		n := b.f.networks[byVLAN[v]]
		if n.MTU < 68 || n.MTU > 9216 {
			return fmt.Errorf("network %s has MTU %d; a SONiC VLAN takes 68..9216", n.Name, n.MTU)
		}
		name := vlanName(v)
		b.db.set("VLAN", name, Fields{
			"vlanid": strconv.Itoa(v), "admin_status": "up", "mtu": strconv.Itoa(n.MTU), "description": n.Name,
		})
		if !n.Gateway.IsValid() {
			continue
		}
		b.db.set("VLAN_INTERFACE", name, Fields{"static_anycast_gateway": "true"})
		b.db.set("VLAN_INTERFACE", key(name, fmt.Sprintf("%s/%d", n.Gateway.Unmap(), n.Prefix.Bits())), Fields{})
		b.db.set("SAG", "GLOBAL", Fields{"gateway_mac": sagMAC})
	}
	return nil
}

func vlanName(v int) string { return "Vlan" + strconv.Itoa(v) }
