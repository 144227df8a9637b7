package validate

import (
	"fmt"

	"github.com/fundament-cloud/fundament/internal/model"
)

// Rule ids of the Ceph cluster's layout.
const (
	RuleCephOSDDeviceUndeclared = "ceph-osd-device-undeclared"
	RuleCephOSDNoDevices        = "ceph-osd-no-devices"
	RuleCephPoolSize            = "ceph-pool-size"
	RuleCephPoolSizeOne         = "ceph-pool-size-one"
)

func init() {
	register(
		Rule{ID: RuleCephOSDDeviceUndeclared, Summary: "every OSD device services/ceph.yaml gives a host (ceph.osds.devices or per_host) is one of the host's disks", check: checkOSDDevices},
		Rule{ID: RuleCephOSDNoDevices, Summary: "every OSD host has at least one OSD device: from ceph.osds.per_host, else ceph.osds.devices, else its disks marked osd: true", check: checkOSDNoDevices},
		Rule{ID: RuleCephPoolSize, Summary: "pool sizes fit the OSD hosts (one replica per host), min_size <= size, and production keeps size >= 3 and min_size >= 2", check: checkPoolSizes},
		Rule{ID: RuleCephPoolSizeOne, Summary: "a pool of size 1 (one copy of its data) says so with allow_size_one: true", check: checkPoolSizeOne},
	)
}

// osdHosts returns the distinct OSD hosts, or nil when Ceph is off.
func (ck *checker) osdHosts() []*model.Host {
	if !model.Enabled(ck.c.Services.Ceph.Enabled, true) {
		return nil
	}
	return ck.members(ck.service("ceph-osd"))
}

// checkOSDDevices checks the devices services/ceph.yaml gives OSD hosts;
// disks marked osd: true are the host's own, so there is nothing to check.
func checkOSDDevices(ck *checker) {
	osds := &ck.c.Services.Ceph.OSDs
	for _, h := range ck.osdHosts() {
		devs, source := ck.c.OSDDevices(h)
		if source == model.OSDSourceDisks {
			continue
		}
		disks := make(map[string]bool, len(h.Disks))
		for _, d := range h.Disks {
			disks[d.Device] = true
		}
		for j, dev := range devs {
			if dev == "" || disks[dev] {
				continue
			}
			if source == model.OSDSourcePerHost {
				ck.d.Errorf(osds.At(indexed("per_host."+h.Name, j)), RuleCephOSDDeviceUndeclared,
					"ceph.osds.per_host gives host %s OSD device %q, but the host %s; add the device to its disks",
					h.Name, dev, disksOf(h))
				continue
			}
			ck.d.Errorf(osds.At(indexed("devices", j)), RuleCephOSDDeviceUndeclared,
				"OSD device %q is not a disk of host %s, which %s; add it to the host's disks, or give the host its own devices in ceph.osds.per_host",
				dev, h.Name, disksOf(h))
		}
	}
}

// disksOf says which disks a host lists, and where.
func disksOf(h *model.Host) string {
	if len(h.Disks) == 0 {
		return fmt.Sprintf("lists no disks (%s)", h.At("name"))
	}
	names := make([]string, len(h.Disks))
	for i, d := range h.Disks {
		names[i] = d.Device
	}
	return fmt.Sprintf("lists %s at %s", enumerate(names, 5), h.At("disks"))
}

func checkOSDNoDevices(ck *checker) {
	osds := &ck.c.Services.Ceph.OSDs
	var bare []string
	for _, h := range ck.osdHosts() {
		devs, source := ck.c.OSDDevices(h)
		switch {
		case len(devs) > 0:
		case source == model.OSDSourcePerHost:
			ck.d.Errorf(osds.At("per_host."+h.Name), RuleCephOSDNoDevices,
				"ceph.osds.per_host gives host %s no devices, but it runs OSDs (ceph.osds.hosts selects %s); list at least one of its disks",
				h.Name, describeSelector(&osds.Hosts))
		default:
			bare = append(bare, h.Name)
		}
	}
	if len(bare) == 0 {
		return
	}
	// One diagnostic for all of them: the fix is one setting.
	pos := firstPos(osds.Pos, ck.c.Services.At("ceph"), ck.hosts[bare[0]].At("name"))
	ck.d.Errorf(pos, RuleCephOSDNoDevices,
		"no OSD devices for %s, which run%s OSDs (ceph.osds.hosts selects %s); mark the OSD disks in the inventory with osd: true, or set ceph.osds.devices (for every OSD host) or ceph.osds.per_host, or disable Ceph with ceph.enabled: false",
		hostCount(bare), pick(len(bare) == 1, "s", ""), describeSelector(&osds.Hosts))
}

func checkPoolSizes(ck *checker) {
	if !model.Enabled(ck.c.Services.Ceph.Enabled, true) {
		return
	}
	ceph := &ck.c.Services.Ceph
	hosts := len(ck.osdHosts())
	prod := ck.production()
	var defaults []string // pools Fundament added: reported together
	for _, p := range ceph.Pools {
		if !p.Has("name") {
			defaults = append(defaults, p.Name)
			continue
		}
		size, sizePos := p.Size, p.At("size")
		switch {
		case size < 1:
			ck.d.Errorf(sizePos, RuleCephPoolSize, "pool %s has size %d; a pool needs at least 1 replica", p.Name, size)
		case hosts > 0 && size > hosts:
			ck.d.Errorf(sizePos, RuleCephPoolSize,
				"pool %s has size %d%s, but OSDs run on only %s; Ceph puts each replica on a different host, so it cannot place %d; %s",
				p.Name, size, isDefault(p.Has("size")), countHosts(ck.osdHosts()), size, poolFix(prod, hosts, "lower the size"))
		case prod && size < 3:
			ck.d.Errorf(sizePos, RuleCephPoolSize,
				"pool %s has size %d; the production profile needs at least 3 replicas, so that data survives the loss of two hosts", p.Name, size)
		}
		if !p.Has("min_size") {
			continue // derived from size: the size diagnostic covers it
		}
		minPos := p.At("min_size")
		switch {
		case p.MinSize < 1:
			ck.d.Errorf(minPos, RuleCephPoolSize, "pool %s has min_size %d; it must be at least 1", p.Name, p.MinSize)
		case p.MinSize > size && size >= 1:
			ck.d.Errorf(minPos, RuleCephPoolSize,
				"pool %s has min_size %d, more than its size %d (%s); the pool would never accept writes", p.Name, p.MinSize, size, sizePos)
		case prod && p.MinSize < 2:
			ck.d.Errorf(minPos, RuleCephPoolSize,
				"pool %s has min_size %d; the production profile needs at least 2, so that a write is on two hosts before it is acknowledged", p.Name, p.MinSize)
		}
	}
	if len(defaults) > 0 && hosts > 0 && model.DefaultCephPoolSize > hosts {
		pos := firstPos(ceph.Pos, ck.c.Services.At("ceph"), ck.placementPos(ck.service("ceph-osd")))
		ck.d.Errorf(pos, RuleCephPoolSize,
			"the default pools %s have size %d, but OSDs run on only %s; Ceph puts each replica on a different host; %s",
			andList(defaults), model.DefaultCephPoolSize, countHosts(ck.osdHosts()),
			poolFix(prod, hosts, fmt.Sprintf("list the pools in ceph.pools with a size of at most %d", hosts)))
	}
}

// checkPoolSizeOne asks a pool of one copy to say so. Production refuses
// any size below 3 (ceph-pool-size), so this is the lab's rule.
func checkPoolSizeOne(ck *checker) {
	if !model.Enabled(ck.c.Services.Ceph.Enabled, true) || ck.production() {
		return
	}
	for _, p := range ck.c.Services.Ceph.Pools {
		if p.Size == 1 && !p.AllowSizeOne {
			ck.d.Errorf(p.At("size"), RuleCephPoolSizeOne,
				"pool %s has size 1: one copy of its data, lost with any disk or host; set allow_size_one: true on the pool to accept that, or raise the size", p.Name)
		}
	}
}

// poolFix says how to make pools fit the OSD hosts.
func poolFix(prod bool, hosts int, lower string) string {
	if prod && hosts < 3 {
		return "run OSDs on at least 3 hosts, as the production profile keeps 3 replicas"
	}
	return lower + ", or add OSD hosts"
}

func isDefault(written bool) string {
	if written {
		return ""
	}
	return " (the default)"
}

// countHosts renders "1 host (a)" or "3 hosts (a, b, c)".
func countHosts(hs []*model.Host) string {
	return fmt.Sprintf("%d host%s (%s)", len(hs), plural(len(hs)), enumerate(hostNames(hs), 5))
}
