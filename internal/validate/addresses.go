package validate

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Rule ids of the address rules.
const (
	RuleDuplicateAddress     = "duplicate-address"
	RuleDuplicateMAC         = "duplicate-mac"
	RuleAddressOutsidePrefix = "address-outside-prefix"
	RuleAddressReserved      = "address-reserved"
	RuleAddressInPool        = "address-in-pool"
	RuleInvalidPool          = "invalid-pool"
)

func init() {
	register(
		Rule{ID: RuleDuplicateAddress, Summary: "an IP address (host attachment, BMC, switch loopback or management address, virtual IP, network gateway) is used once", check: checkDuplicateAddresses},
		Rule{ID: RuleDuplicateMAC, Summary: "MAC addresses of host interfaces and switches are unique (a bond may repeat a member's MAC)", check: checkDuplicateMACs},
		Rule{ID: RuleAddressOutsidePrefix, Summary: "host and virtual IP addresses, gateways and pool bounds lie in their network's prefix", check: checkAddressesInPrefix},
		Rule{ID: RuleAddressReserved, Summary: "no host, virtual IP or gateway uses a network's network or broadcast address, and no host or virtual IP its gateway", check: checkReservedAddresses},
		Rule{ID: RuleAddressInPool, Summary: "host and virtual IP addresses and gateways lie outside their network's dynamic pools", check: checkAddressesInPools},
		Rule{ID: RuleInvalidPool, Summary: "a pool's start is not after its end, both are of one address family, and pools of a network do not overlap", check: checkPools},
	)
}

// comparePos orders positions by file, line and column.
func comparePos(a, b diag.Pos) int {
	return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
}

// addrUse is one place an IP or MAC address is assigned. Its description
// is built only when a message needs it.
type addrUse struct {
	addr  netip.Addr
	mac   model.MAC
	iface string // for MACs of host interfaces
	pos   diag.Pos
	kind  useKind
	// owner is the host, switch, virtual IP or network (of a gateway).
	owner string
	// network the address is assigned on ("" when not on a logical
	// network); for a gateway the network it belongs to.
	network string
}

type useKind uint8

const (
	useGateway useKind = iota
	useLoopback
	useSwitchManagement
	useVIP
	useAttachment
	useBMC
	useInterface // MACs
	useSwitch    // MACs
)

func (u *addrUse) String() string {
	switch u.kind {
	case useGateway:
		return fmt.Sprintf("the gateway of network %q", u.owner)
	case useLoopback:
		return fmt.Sprintf("the loopback of switch %q", u.owner)
	case useSwitchManagement:
		return fmt.Sprintf("the management address of switch %q", u.owner)
	case useVIP:
		return fmt.Sprintf("virtual IP %q", u.owner)
	case useAttachment:
		return fmt.Sprintf("host %q on network %q", u.owner, u.network)
	case useBMC:
		return fmt.Sprintf("the BMC of host %q", u.owner)
	case useInterface:
		return fmt.Sprintf("interface %q of host %q", u.iface, u.owner)
	default:
		return fmt.Sprintf("switch %q", u.owner)
	}
}

// duplicates groups uses by key and returns the groups with more than one
// use, each in its uses' order. It is linear: one map lookup per use.
func duplicates[K comparable](uses []addrUse, key func(*addrUse) K) [][]*addrUse {
	first := make(map[K]int, len(uses))
	var dupKeys map[K][]*addrUse
	for i := range uses {
		k := key(&uses[i])
		if _, seen := first[k]; !seen {
			first[k] = i
			continue
		}
		if dupKeys == nil {
			dupKeys = map[K][]*addrUse{}
		}
		if dupKeys[k] == nil {
			dupKeys[k] = []*addrUse{&uses[first[k]]}
		}
		dupKeys[k] = append(dupKeys[k], &uses[i])
	}
	out := make([][]*addrUse, 0, len(dupKeys))
	for _, g := range dupKeys {
		out = append(out, g)
	}
	return out
}

func checkDuplicateAddresses(ck *checker) {
	c := ck.c
	uses := make([]addrUse, 0, 4*len(c.Hosts)+2*len(c.Network.Switches))
	add := func(u addrUse) {
		if u.addr.IsValid() {
			u.addr = u.addr.Unmap()
			uses = append(uses, u)
		}
	}
	for _, n := range c.Network.Networks {
		add(addrUse{addr: n.Gateway, pos: n.At("gateway"), kind: useGateway, owner: n.Name, network: n.Name})
	}
	for _, s := range c.Network.Switches {
		add(addrUse{addr: s.Loopback, pos: s.At("loopback"), kind: useLoopback, owner: s.Name})
		add(addrUse{addr: s.ManagementAddress, pos: s.At("management_address"), kind: useSwitchManagement, owner: s.Name})
	}
	for _, v := range c.Network.VirtualIPs {
		add(addrUse{addr: v.Address, pos: v.At("address"), kind: useVIP, owner: v.Name, network: v.Network})
	}
	for _, h := range c.Hosts {
		for name, a := range h.Networks {
			add(addrUse{addr: a.Address, pos: a.At("address"), kind: useAttachment, owner: h.Name, network: name})
		}
		if h.BMC != nil {
			add(addrUse{addr: h.BMC.Address, pos: h.BMC.At("address"), kind: useBMC, owner: h.Name})
		}
	}
	for _, list := range duplicates(uses, func(u *addrUse) netip.Addr { return u.addr }) {
		// A host or virtual IP on the gateway's own network is reported
		// by address-reserved, which says more precisely what is wrong.
		gateways := map[string]bool{}
		for _, u := range list {
			if u.kind == useGateway {
				gateways[u.network] = true
			}
		}
		list = slices.DeleteFunc(list, func(u *addrUse) bool {
			return u.kind != useGateway && u.network != "" && gateways[u.network]
		})
		// A gateway is part of the network's definition, so it counts as
		// the first use; otherwise file order decides.
		slices.SortStableFunc(list, func(x, y *addrUse) int {
			return cmp.Or(cmp.Compare(isGateway(y), isGateway(x)), comparePos(x.pos, y.pos))
		})
		for _, u := range list[min(1, len(list)):] {
			ck.d.Errorf(u.pos, RuleDuplicateAddress, "address %s is already used by %s at %s", u.addr, list[0], list[0].pos)
		}
	}
}

func isGateway(u *addrUse) int {
	if u.kind == useGateway {
		return 1
	}
	return 0
}

func checkDuplicateMACs(ck *checker) {
	var uses []addrUse
	for _, h := range ck.c.Hosts {
		for _, i := range h.Interfaces {
			if i.MAC == "" || bondSharesMemberMAC(h, i) {
				continue
			}
			uses = append(uses, addrUse{mac: i.MAC, pos: i.At("mac"), kind: useInterface, owner: h.Name, iface: i.Name})
		}
	}
	for _, s := range ck.c.Network.Switches {
		if s.MAC != "" {
			uses = append(uses, addrUse{mac: s.MAC, pos: s.At("mac"), kind: useSwitch, owner: s.Name})
		}
	}
	for _, list := range duplicates(uses, func(u *addrUse) model.MAC { return u.mac }) {
		slices.SortStableFunc(list, func(x, y *addrUse) int { return comparePos(x.pos, y.pos) })
		for _, u := range list[1:] {
			ck.d.Errorf(u.pos, RuleDuplicateMAC, "MAC %s is already used by %s at %s", u.mac, list[0], list[0].pos)
		}
	}
}

// bondSharesMemberMAC reports whether i is a bond with the MAC of one of its
// members, which is what Linux gives a bond anyway.
func bondSharesMemberMAC(h *model.Host, i *model.Interface) bool {
	if i.Bond == nil {
		return false
	}
	for _, m := range i.Bond.Members {
		if mi := h.Interface(m); mi != nil && mi != i && mi.MAC == i.MAC {
			return true
		}
	}
	return false
}

// assigned is an address given to a host or a virtual IP on a network.
type assigned struct {
	addr netip.Addr
	pos  diag.Pos
	net  *model.LogicalNetwork
}

// assignedAddresses lists the host attachment and virtual IP addresses whose
// network exists and has a prefix, in a stable order.
func assignedAddresses(ck *checker) []assigned {
	var out []assigned
	for _, h := range ck.c.Hosts {
		for name, a := range h.Networks {
			if n := ck.networks[name]; n != nil && n.Prefix.IsValid() && a.Address.IsValid() {
				out = append(out, assigned{a.Address, a.At("address"), n})
			}
		}
	}
	for _, v := range ck.c.Network.VirtualIPs {
		if n := ck.networks[v.Network]; n != nil && n.Prefix.IsValid() && v.Address.IsValid() {
			out = append(out, assigned{v.Address, v.At("address"), n})
		}
	}
	return out
}

func checkAddressesInPrefix(ck *checker) {
	for _, a := range assignedAddresses(ck) {
		if !a.net.Prefix.Contains(a.addr) {
			ck.d.Errorf(a.pos, RuleAddressOutsidePrefix, "address %s is not in %s, the prefix of network %q at %s",
				a.addr, a.net.Prefix, a.net.Name, a.net.At("prefix"))
		}
	}
	for _, n := range ck.c.Network.Networks {
		if !n.Prefix.IsValid() {
			continue
		}
		if n.Gateway.IsValid() && !n.Prefix.Contains(n.Gateway) {
			ck.d.Errorf(n.At("gateway"), RuleAddressOutsidePrefix, "gateway %s is not in the network's prefix %s at %s",
				n.Gateway, n.Prefix, n.At("prefix"))
		}
		for _, p := range n.Pools {
			if !p.Start.IsValid() || !p.End.IsValid() || p.Start.Is4() != p.End.Is4() {
				continue // invalid-pool
			}
			for _, b := range []struct {
				name string
				addr netip.Addr
			}{{"start", p.Start}, {"end", p.End}} {
				if !n.Prefix.Contains(b.addr) {
					ck.d.Errorf(p.At(b.name), RuleAddressOutsidePrefix, "pool %s %s is not in the network's prefix %s at %s",
						b.name, b.addr, n.Prefix, n.At("prefix"))
				}
			}
		}
	}
}

// reservedKind says which reserved address of prefix p a is, or "".
func reservedKind(p netip.Prefix, a netip.Addr) string {
	m := p.Masked()
	bits := p.Bits()
	if a == m.Addr() && ((a.Is4() && bits < 31) || (a.Is6() && bits < 127)) {
		return "network address"
	}
	if a.Is4() && bits < 31 && a == lastAddr(m) {
		return "broadcast address"
	}
	return ""
}

func checkReservedAddresses(ck *checker) {
	// The network and broadcast address of each network, computed once.
	type bounds struct{ first, last netip.Addr }
	nets := map[*model.LogicalNetwork]bounds{}
	for _, n := range ck.c.Network.Networks {
		if n.Prefix.IsValid() {
			m := n.Prefix.Masked()
			nets[n] = bounds{m.Addr(), lastAddr(m)}
		}
	}
	for _, a := range assignedAddresses(ck) {
		n := a.net
		if !n.Prefix.Contains(a.addr) {
			continue // address-outside-prefix
		}
		if b := nets[n]; a.addr != b.first && a.addr != b.last && a.addr != n.Gateway {
			continue // the common case, without further work
		}
		if kind := reservedKind(n.Prefix, a.addr); kind != "" {
			ck.d.Errorf(a.pos, RuleAddressReserved, "address %s is the %s of network %q (%s at %s) and cannot be assigned",
				a.addr, kind, n.Name, n.Prefix, n.At("prefix"))
		} else if a.addr == n.Gateway {
			ck.d.Errorf(a.pos, RuleAddressReserved, "address %s is the gateway of network %q at %s and cannot be assigned",
				a.addr, n.Name, n.At("gateway"))
		}
	}
	for _, n := range ck.c.Network.Networks {
		if n.Prefix.IsValid() && n.Gateway.IsValid() && n.Prefix.Contains(n.Gateway) {
			if kind := reservedKind(n.Prefix, n.Gateway); kind != "" {
				ck.d.Errorf(n.At("gateway"), RuleAddressReserved, "gateway %s is the %s of %s at %s; a router needs a host address",
					n.Gateway, kind, n.Prefix, n.At("prefix"))
			}
		}
	}
}

// validPools returns the pools of n that are well-formed (invalid-pool
// reports the others).
func validPools(n *model.LogicalNetwork) []*model.AddressPool {
	var out []*model.AddressPool
	for _, p := range n.Pools {
		if p.Start.IsValid() && p.End.IsValid() && p.Start.Is4() == p.End.Is4() && p.Start.Compare(p.End) <= 0 {
			out = append(out, p)
		}
	}
	return out
}

func checkAddressesInPools(ck *checker) {
	// Pools per network are few; the per-address scan is O(pools).
	pools := map[*model.LogicalNetwork][]*model.AddressPool{}
	for _, n := range ck.c.Network.Networks {
		pools[n] = validPools(n)
		if n.Gateway.IsValid() {
			for _, p := range pools[n] {
				if p.Contains(n.Gateway) {
					ck.d.Errorf(n.At("gateway"), RuleAddressInPool, "gateway %s is inside the dynamic pool %s-%s at %s; pools must leave the gateway out",
						n.Gateway, p.Start, p.End, p.Pos)
					break
				}
			}
		}
	}
	for _, a := range assignedAddresses(ck) {
		for _, p := range pools[a.net] {
			if p.Contains(a.addr) {
				ck.d.Errorf(a.pos, RuleAddressInPool, "address %s is inside the dynamic pool %s-%s of network %q at %s, whose addresses are handed out automatically; pick one outside the pool",
					a.addr, p.Start, p.End, a.net.Name, p.Pos)
				break
			}
		}
	}
}

func checkPools(ck *checker) {
	for _, n := range ck.c.Network.Networks {
		for _, p := range n.Pools {
			switch {
			case !p.Start.IsValid() || !p.End.IsValid():
			case p.Start.Is4() != p.End.Is4():
				ck.d.Errorf(p.At("end"), RuleInvalidPool, "pool end %s is %s but its start %s is %s; both must be of one address family",
					p.End, family(p.End), p.Start, family(p.Start))
			case p.Start.Compare(p.End) > 0:
				ck.d.Errorf(p.At("start"), RuleInvalidPool, "pool start %s is after its end %s; swap them", p.Start, p.End)
			}
		}
		pools := validPools(n)
		slices.SortStableFunc(pools, func(x, y *model.AddressPool) int { return x.Start.Compare(y.Start) })
		var widest *model.AddressPool // the pool reaching furthest so far
		for _, p := range pools {
			if widest != nil && p.Start.Compare(widest.End) <= 0 {
				later, earlier := p, widest
				if comparePos(later.Pos, earlier.Pos) < 0 {
					later, earlier = earlier, later
				}
				ck.d.Errorf(later.Pos, RuleInvalidPool, "pool %s-%s overlaps pool %s-%s at %s",
					later.Start, later.End, earlier.Start, earlier.End, earlier.Pos)
			}
			if widest == nil || p.End.Compare(widest.End) > 0 {
				widest = p
			}
		}
	}
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// lastAddr returns the last address of a masked prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
