package sonic

import (
	"maps"
	"slices"
	"strconv"
)

// bgpPaths is max_ebgp_paths: ECMP over up to this many uplinks, the
// value SONiC's own BGP templates use.
const bgpPaths = "64"

// fabricPolicy is the route map every fabric session imports and exports
// through. It permits everything; it exists because FRR's traditional
// profile enforces RFC 8212 (no eBGP routes without a policy), which the
// community YANG has no BGP_GLOBALS field to switch off.
const fabricPolicy = "FABRIC_ALLOW"

// afis are the address families every fabric session carries: the
// underlay for both IP versions (IPv4 over IPv6 next hops, RFC 8950) and
// the EVPN routes of the host VLANs.
var afis = []string{"ipv4_unicast", "ipv6_unicast", "l2vpn_evpn"}

// routing writes the loopback, eBGP unnumbered sessions on every
// switch-to-switch link (the MC-LAG peer link excepted) and the
// redistribution of connected routes (loopbacks, anycast gateways).
func (b *builder) routing() error {
	lo := b.loopback()
	b.db.set("LOOPBACK_INTERFACE", "Loopback0", Fields{})
	b.db.set("LOOPBACK_INTERFACE", key("Loopback0", lo+"/32"), Fields{})

	b.db.set("BGP_GLOBALS", "default", Fields{
		"local_asn":             strconv.FormatUint(uint64(b.asn), 10),
		"router_id":             lo,
		"load_balance_mp_relax": "true", // ECMP across spines of different ASNs
		"log_nbr_state_changes": "true",
	})
	b.db.set("BGP_GLOBALS_AF", key("default", "ipv4_unicast"), Fields{"max_ebgp_paths": bgpPaths})
	b.db.set("BGP_GLOBALS_AF", key("default", "ipv6_unicast"), Fields{"max_ebgp_paths": bgpPaths})
	evpn := Fields{}
	if len(b.vlans) > 0 {
		evpn["advertise-all-vni"] = "true" // a VTEP: announce its VNIs
	}
	b.db.set("BGP_GLOBALS_AF", key("default", "l2vpn_evpn"), evpn)
	for _, af := range []string{"ipv4", "ipv6"} {
		b.db.set("ROUTE_REDISTRIBUTE", key("default", "connected", "bgp", af), Fields{})
	}
	b.db.set("ROUTE_MAP_SET", fabricPolicy, Fields{})
	b.db.set("ROUTE_MAP", key(fabricPolicy, "10"), Fields{"route_operation": "permit"})

	links := b.f.links[b.sw.Name]
	for _, port := range slices.Sorted(maps.Keys(links)) {
		p := links[port]
		if p.sw == nil || b.peerLink[port] {
			continue
		}
		peerType := "external"
		if b.f.asns[p.sw.Name] == b.asn {
			peerType = "internal" // spines sharing their group's ASN
		}
		b.db.set("INTERFACE", port, Fields{"ipv6_use_link_local_only": "enable"})
		b.db.set("BGP_NEIGHBOR", key("default", port), Fields{"peer_type": peerType, "name": p.sw.Name})
		for _, af := range afis {
			b.db.set("BGP_NEIGHBOR_AF", key("default", port, af), Fields{
				"admin_status":  "up",
				"route_map_in":  []string{fabricPolicy},
				"route_map_out": []string{fabricPolicy},
			})
		}
	}
	return nil
}

// overlay makes a switch that bridges host VLANs a VXLAN tunnel endpoint
// on its loopback and maps each VLAN to a VNI, so EVPN stretches the host
// networks across the leaves over the routed fabric.
func (b *builder) overlay() error {
	if len(b.vlans) == 0 {
		return nil
	}
	const vtep = "vtep"
	b.db.set("VXLAN_TUNNEL", vtep, Fields{"src_ip": b.loopback()})
	b.db.set("VXLAN_EVPN_NVO", "nvo", Fields{"source_vtep": vtep})
	for _, v := range b.vlans {
		vni := strconv.Itoa(VNI(v))
		b.db.set("VXLAN_TUNNEL_MAP", key(vtep, "map_"+vni+"_"+vlanName(v)), Fields{"vlan": vlanName(v), "vni": vni})
	}
	return nil
}

// VNI is the VXLAN network identifier of a VLAN: 10000 plus the VLAN id.
func VNI(vlan int) int { return 10000 + vlan }
