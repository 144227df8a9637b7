package validate

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/release"
)

// Rule ids of references from one part of the configuration to another.
const (
	RuleUnknownRelease   = "unknown-release"
	RuleUnknownNetwork   = "unknown-network"
	RuleUnknownInterface = "unknown-interface"
	RuleUnknownRack      = "unknown-rack"
	RuleUnknownHost      = "unknown-host"
)

func init() {
	register(
		Rule{ID: RuleUnknownRelease, Summary: "the release of cloud.yaml names a release stream this fundament knows", check: checkUnknownRelease},
		Rule{ID: RuleUnknownNetwork, Summary: "host attachments and virtual IPs name networks that network.yaml defines", check: checkUnknownNetwork},
		Rule{ID: RuleUnknownInterface, Summary: "network attachments and bond members name interfaces of their host", check: checkUnknownInterface},
		Rule{ID: RuleUnknownRack, Summary: "when cloud.yaml declares racks, every host and switch rack is one of them", check: checkUnknownRack},
		Rule{ID: RuleUnknownHost, Summary: "service placements and ceph.osds.per_host name hosts of the inventory", check: checkUnknownHost},
	)
}

func checkUnknownRelease(ck *checker) {
	s := &ck.c.Spec
	if s.Release == "" {
		return
	}
	known := release.Streams()
	for _, k := range known {
		if k == s.Release {
			return
		}
	}
	hint := didYouMean(s.Release, known)
	if hint != "" {
		hint += " This"
	} else {
		hint = "; this"
	}
	ck.d.Errorf(s.At("release"), RuleUnknownRelease, "unknown release stream %q%s fundament knows %s",
		s.Release, hint, enumerate(known, 10))
}

func checkUnknownNetwork(ck *checker) {
	if len(ck.networks) == 0 {
		// network.yaml is missing or defines no network: reported while
		// loading; naming every attachment again would bury that.
		return
	}
	names := sortedKeys(ck.networks)
	for _, h := range ck.c.Hosts {
		if !ck.primary(h) {
			continue
		}
		for _, name := range sortedKeys(h.Networks) {
			if _, ok := ck.networks[name]; !ok {
				ck.d.Errorf(h.At("networks."+name), RuleUnknownNetwork,
					"host %s is attached to network %q, which network.yaml does not define%s",
					h.Name, name, orKnown(name, names, "network.yaml defines"))
			}
		}
	}
	for _, v := range ck.c.Network.VirtualIPs {
		if v.Network == "" {
			continue
		}
		if _, ok := ck.networks[v.Network]; !ok {
			ck.d.Errorf(v.At("network"), RuleUnknownNetwork,
				"virtual IP %s is on network %q, which network.yaml does not define%s",
				v.Name, v.Network, orKnown(v.Network, names, "network.yaml defines"))
		}
	}
}

func checkUnknownInterface(ck *checker) {
	for _, h := range ck.c.Hosts {
		if !ck.primary(h) {
			continue
		}
		ifaces := interfacesOf(h)
		var names []string
		for _, i := range h.Interfaces {
			if i.Name != "" {
				names = append(names, i.Name)
			}
		}
		for _, net := range sortedKeys(h.Networks) {
			a := h.Networks[net]
			if a.Interface == "" || ifaces[a.Interface] != nil {
				continue
			}
			ck.d.Errorf(a.At("interface"), RuleUnknownInterface,
				"host %s has no interface %q to carry network %s%s",
				h.Name, a.Interface, net, orKnown(a.Interface, names, "the host has"))
		}
		for _, i := range h.Interfaces {
			if i.Bond == nil {
				continue
			}
			for j, m := range i.Bond.Members {
				if m == "" || m == i.Name || ifaces[m] != nil {
					continue // a bond naming itself is bond-invalid
				}
				ck.d.Errorf(i.Bond.At(indexed("members", j)), RuleUnknownInterface,
					"bond %s of host %s has member %q, which is not an interface of the host%s",
					i.Name, h.Name, m, orKnown(m, names, "the host has"))
			}
		}
	}
}

func checkUnknownRack(ck *checker) {
	declared := map[string]bool{}
	for _, r := range ck.c.Spec.Regions {
		for _, z := range r.AvailabilityZones {
			for _, rack := range z.Racks {
				declared[rack] = true
			}
		}
	}
	if len(declared) == 0 {
		return // racks are free-form
	}
	names := sortedKeys(declared)
	unknown := func(rack string) bool { return rack != "" && !declared[rack] }
	const why = "which no availability zone of cloud.yaml declares"
	for _, inv := range ck.c.Inventory {
		if r := inv.Defaults.Rack; inv.Defaults.Has("rack") && unknown(r) {
			ck.d.Errorf(inv.Defaults.At("rack"), RuleUnknownRack,
				"the defaults of this file put hosts in rack %q, %s%s", r, why, orKnown(r, names, "cloud.yaml declares"))
		}
		for _, h := range inv.Hosts {
			if h.Has("rack") && ck.primary(h) && unknown(h.Rack) {
				ck.d.Errorf(h.At("rack"), RuleUnknownRack,
					"host %s is in rack %q, %s%s", h.Name, h.Rack, why, orKnown(h.Rack, names, "cloud.yaml declares"))
			}
		}
	}
	for _, s := range ck.c.Network.Switches {
		if unknown(s.Rack) {
			ck.d.Errorf(s.At("rack"), RuleUnknownRack,
				"switch %s is in rack %q, %s%s", s.Name, s.Rack, why, orKnown(s.Rack, names, "cloud.yaml declares"))
		}
	}
}

func checkUnknownHost(ck *checker) {
	names := make([]string, 0, len(ck.hosts))
	for n := range ck.hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	// Suggestions cost a pass over every host; a handful is all a reader
	// uses, so stop suggesting after that.
	budget := 20
	hint := func(name string) string {
		if budget <= 0 {
			return ""
		}
		budget--
		return didYouMean(name, names)
	}
	seen := map[*model.Placement]bool{}
	for _, s := range ck.services {
		p := s.Placement
		if p == nil || seen[p] {
			continue
		}
		seen[p] = true
		for i, name := range p.Hosts {
			if _, ok := ck.hosts[name]; !ok && name != "" {
				ck.d.Errorf(p.At(indexed("hosts", i)), RuleUnknownHost,
					"%s names host %q, which is not in the inventory%s", s.Key, name, hint(name))
			}
		}
	}
	osds := &ck.c.Services.Ceph.OSDs
	if len(osds.PerHost) == 0 {
		return
	}
	osdHosts := map[*model.Host]bool{}
	for _, h := range ck.members(ck.service("ceph-osd")) {
		osdHosts[h] = true
	}
	cephOn := model.Enabled(ck.c.Services.Ceph.Enabled, true)
	for _, name := range sortedKeys(osds.PerHost) {
		h, ok := ck.hosts[name]
		switch {
		case !ok:
			ck.d.Errorf(osds.At("per_host."+name), RuleUnknownHost,
				"ceph.osds.per_host names host %q, which is not in the inventory%s", name, hint(name))
		case cephOn && !osdHosts[h]:
			ck.d.Warnf(osds.At("per_host."+name), RuleUnknownHost,
				"ceph.osds.per_host names host %s, which runs no OSDs (ceph.osds.hosts selects %s), so these devices are unused",
				name, describeSelector(&osds.Hosts))
		}
	}
}

// Helpers shared by the host and service rules.

// primary reports whether h is the host its name stands for. A second
// host of the same name is reported by duplicate-name and otherwise left
// alone, so that one mistake gives one diagnostic.
// primary is false for a nameless host (schema.required reports it) and
// for the second host of a duplicated name (duplicate-name reports it).
func (ck *checker) primary(h *model.Host) bool { return h.Name != "" && ck.hosts[h.Name] == h }

// service returns the service called name (always one of ServiceList's).
func (ck *checker) service(name string) *model.Service {
	for _, s := range ck.services {
		if s.Name == name {
			return s
		}
	}
	return &model.Service{Name: name}
}

// production reports whether the cloud uses the strict profile.
func (ck *checker) production() bool { return ck.c.Spec.Profile != model.ProfileLab }

// profilePos is where cloud.yaml chooses the profile: the place to point at
// for a requirement that comes from the profile alone.
func (ck *checker) profilePos() diag.Pos {
	return firstPos(ck.c.Spec.At("profile"), diag.Pos{File: model.CloudFile})
}

// placementPos is where a service's placement is set: the placement if it
// was written, else its component's key in services/, else the profile.
func (ck *checker) placementPos(s *model.Service) diag.Pos {
	if s.Placement != nil && !s.Placement.Pos.IsZero() {
		return s.Placement.Pos
	}
	if ck.c.Services.Has(s.Component) {
		return ck.c.Services.At(s.Component)
	}
	return ck.profilePos()
}

// members returns the hosts a service runs on, each once; a second host
// of an existing name (duplicate-name) does not count.
func (ck *checker) members(s *model.Service) []*model.Host {
	seen := make(map[*model.Host]bool, len(s.Hosts))
	out := make([]*model.Host, 0, len(s.Hosts))
	for _, h := range s.Hosts {
		if !seen[h] && ck.primary(h) {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

func hostNames(hs []*model.Host) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return out
}

// describeSelector says in words which hosts a placement selects.
func describeSelector(p *model.Placement) string {
	if len(p.Hosts) > 0 {
		return "the hosts " + enumerate(p.Hosts, 5)
	}
	var b strings.Builder
	switch len(p.Roles) {
	case 0:
		b.WriteString("hosts")
	case 1:
		fmt.Fprintf(&b, "hosts with role %s", p.Roles[0])
	default:
		rs := make([]string, len(p.Roles))
		for i, r := range p.Roles {
			rs[i] = string(r)
		}
		fmt.Fprintf(&b, "hosts with role %s", orList(rs))
	}
	if len(p.Labels) > 0 {
		ls := make([]string, 0, len(p.Labels))
		for _, k := range sortedKeys(p.Labels) {
			ls = append(ls, k+"="+p.Labels[k])
		}
		join := " and"
		if len(p.Roles) == 0 {
			join = " with"
		}
		if len(ls) == 1 {
			fmt.Fprintf(&b, "%s label %s", join, ls[0])
		} else {
			fmt.Fprintf(&b, "%s labels %s", join, strings.Join(ls, ", "))
		}
	}
	return b.String()
}

// orList renders "a", "a or b", "a, b or c".
func orList(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// andList renders "a", "a and b", "a, b and c".
func andList(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// enumerate renders at most max names: "a, b, c and 4 more".
func enumerate(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}

// orKnown is a did-you-mean hint, or when no name is close and there are
// few, the list of them: "; network.yaml defines internal, mgmt".
func orKnown(word string, known []string, lead string) string {
	if s := didYouMean(word, known); s != "" {
		return s
	}
	if len(known) == 0 || len(known) > 12 {
		return ""
	}
	return "; " + lead + " " + strings.Join(known, ", ")
}

// didYouMean is diag.DidYouMean without the suggestions that are other
// things rather than typos: names that differ only in their numbers
// (eth3 and eth0, stor-9 and stor-1, 2025.2 and 2025.1) are different
// interfaces, hosts and releases, while r03 for r3 or clt-3 for ctl-3 are
// likely slips.
func didYouMean(word string, candidates []string) string {
	s := diag.Suggest(word, candidates)
	if s == "" {
		return ""
	}
	ws, wn := splitNumbers(word)
	ss, sn := splitNumbers(s)
	if ws == ss && !slices.Equal(wn, sn) {
		return ""
	}
	return "; did you mean \"" + s + "\"?"
}

// splitNumbers returns s with its digit runs replaced by '#', and the
// runs' values (without leading zeros).
func splitNumbers(s string) (string, []string) {
	var skel strings.Builder
	var nums []string
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			skel.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		n := strings.TrimLeft(s[i:j], "0")
		nums = append(nums, n)
		skel.WriteByte('#')
		i = j
	}
	return skel.String(), nums
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func interfacesOf(h *model.Host) map[string]*model.Interface {
	m := make(map[string]*model.Interface, len(h.Interfaces))
	for _, i := range h.Interfaces {
		if _, dup := m[i.Name]; !dup {
			m[i.Name] = i
		}
	}
	return m
}

// firstPos returns the first known position.
func firstPos(ps ...diag.Pos) diag.Pos {
	for _, p := range ps {
		if !p.IsZero() {
			return p
		}
	}
	return diag.Pos{}
}
