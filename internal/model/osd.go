package model

// Where the OSD devices of a host come from, as OSDDevices reports it.
const (
	// OSDSourcePerHost: the host's entry of ceph.osds.per_host.
	OSDSourcePerHost = "ceph.osds.per_host"
	// OSDSourceDevices: ceph.osds.devices, the list for every OSD host.
	OSDSourceDevices = "ceph.osds.devices"
	// OSDSourceDisks: the host's disks marked osd: true in the inventory.
	OSDSourceDisks = "disks"
)

// OSDDevices returns the devices an OSD host turns into OSDs, one OSD
// each, and where they come from: the host's entry of ceph.osds.per_host
// if it has one (even an empty one), else ceph.osds.devices if that lists
// any, else the host's disks marked osd: true. This is the one place that
// decides; validation and deployment both ask it.
func (c *Cloud) OSDDevices(h *Host) (devices []string, source string) {
	osds := &c.Services.Ceph.OSDs
	if devs, ok := osds.PerHost[h.Name]; ok {
		return devs, OSDSourcePerHost
	}
	if len(osds.Devices) > 0 {
		return osds.Devices, OSDSourceDevices
	}
	for _, d := range h.Disks {
		if d.OSD && d.Device != "" {
			devices = append(devices, d.Device)
		}
	}
	return devices, OSDSourceDisks
}
