package validate

import (
	"slices"
	"strings"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Rule ids of the hosts' own layout.
const (
	RuleBondInvalid        = "bond-invalid"
	RuleRoleNetworkMissing = "role-network-missing"
)

func init() {
	register(
		Rule{ID: RuleBondInvalid, Summary: "a bond has members, none of them itself, a bond, or a member of another bond, and networks attach to the bond, not to its members", check: checkBonds},
		Rule{ID: RuleRoleNetworkMissing, Summary: "every host is attached to a network of each network role its roles need (management for all)", check: checkRoleNetworks},
	)
}

func checkBonds(ck *checker) {
	type membership struct {
		bond string
		pos  diag.Pos
	}
	for _, h := range ck.c.Hosts {
		if !ck.primary(h) {
			continue
		}
		ifaces := interfacesOf(h)
		memberOf := map[string]membership{}
		for _, i := range h.Interfaces {
			b := i.Bond
			if b == nil {
				continue
			}
			if len(b.Members) == 0 && b.Has("members") {
				ck.d.Errorf(b.At("members"), RuleBondInvalid,
					"bond %s of host %s has no members; list the interfaces it bonds", i.Name, h.Name)
			}
			for j, m := range b.Members {
				pos := b.At(indexed("members", j))
				if m == i.Name {
					ck.d.Errorf(pos, RuleBondInvalid, "bond %s of host %s lists itself as a member", i.Name, h.Name)
					continue
				}
				mi := ifaces[m]
				if mi == nil {
					continue // unknown-interface
				}
				if mi.Bond != nil {
					ck.d.Errorf(pos, RuleBondInvalid,
						"bond %s of host %s has member %s, which is itself a bond (%s); bonds cannot be nested, list %s's members instead",
						i.Name, h.Name, m, mi.At("name"), m)
					continue
				}
				if prev, dup := memberOf[m]; dup {
					if prev.bond == i.Name {
						ck.d.Errorf(pos, RuleBondInvalid, "bond %s of host %s lists %s twice (first at %s)", i.Name, h.Name, m, prev.pos)
					} else {
						ck.d.Errorf(pos, RuleBondInvalid,
							"interface %s of host %s is already a member of bond %s (%s); an interface can be in one bond only",
							m, h.Name, prev.bond, prev.pos)
					}
					continue
				}
				memberOf[m] = membership{bond: i.Name, pos: pos}
			}
		}
		if len(memberOf) == 0 {
			continue
		}
		for _, net := range sortedKeys(h.Networks) {
			a := h.Networks[net]
			if m, ok := memberOf[a.Interface]; ok {
				ck.d.Errorf(a.At("interface"), RuleBondInvalid,
					"host %s carries network %s on %s, which is a member of bond %s (%s); attach the network to %s",
					h.Name, net, a.Interface, m.bond, m.pos, m.bond)
			}
		}
	}
}

// roleNeeds lists the network roles each host role needs besides
// management, which every host needs.
func roleNeeds(ceph bool) map[model.Role][]model.NetworkRole {
	compute := []model.NetworkRole{model.NetTunnel, model.NetInternalAPI}
	if ceph {
		compute = append(compute, model.NetStoragePublic)
	}
	return map[model.Role][]model.NetworkRole{
		model.RoleControl: {model.NetInternalAPI},
		model.RoleNetwork: {model.NetTunnel, model.NetExternal, model.NetInternalAPI},
		model.RoleCompute: compute,
		model.RoleStorage: {model.NetStoragePublic, model.NetStorageCluster},
		model.RoleManager: nil,
	}
}

func checkRoleNetworks(ck *checker) {
	if len(ck.networks) == 0 {
		return // network.yaml is missing or empty: reported while loading
	}
	ceph := model.Enabled(ck.c.Services.Ceph.Enabled, true)
	needs := roleNeeds(ceph)
	byRole := map[model.NetworkRole][]string{}
	for _, n := range ck.c.Network.Networks {
		if ck.networks[n.Name] == n {
			byRole[n.Role] = append(byRole[n.Role], n.Name)
		}
	}
	// Roles no network has are reported once, not once per host.
	type lack struct {
		roles []string
		hosts []string
	}
	undefined := map[model.NetworkRole]*lack{}
	var undefinedOrder []model.NetworkRole

	for _, h := range ck.c.Hosts {
		if !ck.primary(h) {
			continue
		}
		attached := map[model.NetworkRole]bool{}
		for name := range h.Networks {
			if n := ck.networks[name]; n != nil {
				attached[n.Role] = true
			}
		}
		reported := map[model.NetworkRole]bool{}
		miss := func(nr model.NetworkRole, role string, pos diag.Pos, needer string) {
			if attached[nr] || reported[nr] {
				return
			}
			reported[nr] = true
			nets := byRole[nr]
			if len(nets) == 0 {
				l := undefined[nr]
				if l == nil {
					l = &lack{}
					undefined[nr] = l
					undefinedOrder = append(undefinedOrder, nr)
				}
				if !slices.Contains(l.roles, role) {
					l.roles = append(l.roles, role)
				}
				l.hosts = append(l.hosts, h.Name)
				return
			}
			to := nets[0]
			if len(nets) > 1 {
				to = "one of " + strings.Join(nets, ", ")
			}
			ck.d.Errorf(pos, RuleRoleNetworkMissing,
				"host %s is not attached to a%s %s network, which %s; attach it to %s",
				h.Name, article(string(nr)), nr, needer, to)
		}
		miss(model.NetManagement, "", h.At("networks"), "every host needs (Fundament reaches hosts on it)")
		for i, r := range h.Roles {
			why := "role " + string(r) + " needs"
			for _, nr := range needs[r] {
				w := why
				if r == model.RoleCompute && nr == model.NetStoragePublic {
					w += " while Ceph is enabled"
				}
				miss(nr, string(r), h.At(indexed("roles", i)), w)
			}
		}
	}
	for _, nr := range undefinedOrder {
		l := undefined[nr]
		who := "every host needs"
		if l.roles[0] != "" {
			who = "hosts with role " + orList(l.roles) + " need"
		}
		ck.d.Errorf(ck.c.Network.At("networks"), RuleRoleNetworkMissing,
			"no network has role %s, which %s (%s); add a network with role: %s",
			nr, who, hostCount(l.hosts), nr)
	}
}

// hostCount renders "host a" or "hosts a, b and 3 more".
func hostCount(names []string) string {
	if len(names) == 1 {
		return "host " + names[0]
	}
	return "hosts " + enumerate(names, 5)
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "n"
	}
	return ""
}
