package validate

import (
	"github.com/fundament-cloud/fundament/internal/diag"
)

// RuleDuplicateName: two things of one kind share a name.
const RuleDuplicateName = "duplicate-name"

func init() {
	register(Rule{ID: RuleDuplicateName, Summary: "names of hosts and switches (one namespace: cables refer to both), networks, regions, zones, racks, virtual IPs, interfaces of a host and Ceph pools are unique", check: checkDuplicateNames})
}

// seenNames reports the second and later uses of a name within one kind.
type seenNames struct {
	kind  string
	first map[string]diag.Pos
	d     *diag.List
}

func newSeen(d *diag.List, kind string) *seenNames {
	return &seenNames{kind: kind, first: map[string]diag.Pos{}, d: d}
}

func (s *seenNames) add(name string, pos diag.Pos) {
	if name == "" {
		return
	}
	if first, dup := s.first[name]; dup {
		s.d.Errorf(pos, RuleDuplicateName, "%s %q is already defined at %s", s.kind, name, first)
		return
	}
	s.first[name] = pos
}

func checkDuplicateNames(ck *checker) {
	c := ck.c
	devices := newSeen(ck.d, "device")
	for _, h := range c.Hosts {
		devices.add(h.Name, h.At("name"))
		ifaces := newSeen(ck.d, "interface")
		for _, i := range h.Interfaces {
			ifaces.add(i.Name, i.At("name"))
		}
	}
	for _, s := range c.Network.Switches {
		devices.add(s.Name, s.At("name"))
	}
	nets := newSeen(ck.d, "network")
	for _, n := range c.Network.Networks {
		nets.add(n.Name, n.At("name"))
	}
	vips := newSeen(ck.d, "virtual IP")
	for _, v := range c.Network.VirtualIPs {
		vips.add(v.Name, v.At("name"))
	}
	regions := newSeen(ck.d, "region")
	zones := newSeen(ck.d, "availability zone")
	racks := newSeen(ck.d, "rack")
	for _, r := range c.Spec.Regions {
		regions.add(r.Name, r.At("name"))
		for _, z := range r.AvailabilityZones {
			zones.add(z.Name, z.At("name"))
			for i, rack := range z.Racks {
				racks.add(rack, z.At(indexed("racks", i)))
			}
		}
	}
	pools := newSeen(ck.d, "Ceph pool")
	for _, p := range c.Services.Ceph.Pools {
		pools.add(p.Name, p.At("name"))
	}
}
