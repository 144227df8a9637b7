package sonic

import (
	"fmt"
	"strconv"

	"github.com/fundament-cloud/fundament/internal/model"
)

// DatabaseVersion is VERSIONS|DATABASE: the ConfigDB schema version the
// output is written for. db_migrator migrates a loaded config from it to
// the image's own version, and stops on a version it does not know, so
// this is a released one every image of the pinned SONiC (release stream
// "sonic") knows.
const DatabaseVersion = "version_202505_01"

// deviceTypes maps switch roles to DEVICE_METADATA type.
var deviceTypes = map[model.SwitchRole]string{
	model.SwitchSpine:  "SpineRouter",
	model.SwitchLeaf:   "LeafRouter",
	model.SwitchBorder: "LeafRouter",
}

func (b *builder) system() error {
	typ, ok := deviceTypes[b.sw.Role]
	if !ok {
		return fmt.Errorf("unknown role %q", b.sw.Role)
	}
	meta := Fields{
		"hostname": b.sw.Name,
		"hwsku":    b.sku.Name,
		"platform": b.sku.Platform,
		"bgp_asn":  strconv.FormatUint(uint64(b.asn), 10),
		"type":     typ,
		// frrcfgd, not bgpcfgd, turns the BGP tables into FRR
		// configuration; "unified" regenerates frr.conf from ConfigDB at
		// every start, so nothing typed into vtysh outlives a restart.
		"docker_routing_config_mode": "unified",
		"frr_mgmt_framework_config":  "true",
	}
	if b.sw.MAC != "" {
		meta["mac"] = string(b.sw.MAC)
	}
	b.db.set("DEVICE_METADATA", "localhost", meta)
	b.db.set("VERSIONS", "DATABASE", Fields{"VERSION": DatabaseVersion})
	return nil
}

// management puts eth0 into the management VRF, so that its subnet stays
// out of the fabric's BGP (which redistributes connected routes), and
// points NTP and syslog at that VRF.
func (b *builder) management() error {
	b.db.set("MGMT_VRF_CONFIG", "vrf_global", Fields{"mgmtVrfEnabled": "true"})
	b.db.set("MGMT_PORT", "eth0", Fields{"admin_status": "up", "alias": "eth0"})
	if a := b.sw.ManagementAddress.Unmap(); a.IsValid() {
		n := b.managementNetwork()
		if n == nil {
			return fmt.Errorf("management_address %s is in no network of role management", a)
		}
		if !n.Gateway.IsValid() {
			return fmt.Errorf("management network %s has no gateway; SONiC's MGMT_INTERFACE needs one (gwaddr)", n.Name)
		}
		if n.Gateway.Unmap().Is4() != a.Is4() {
			return fmt.Errorf("management_address %s and the gateway %s of network %s are of different address families", a, n.Gateway, n.Name)
		}
		b.db.set("MGMT_INTERFACE", key("eth0", fmt.Sprintf("%s/%d", a, n.Prefix.Bits())), Fields{"gwaddr": n.Gateway.Unmap().String()})
	}
	spec := &b.f.c.Spec
	if len(spec.NTPServers) > 0 {
		b.db.set("NTP", "global", Fields{"vrf": "mgmt"})
	}
	for _, s := range spec.NTPServers {
		b.db.set("NTP_SERVER", s, Fields{"association_type": "server", "iburst": "on"})
	}
	for _, a := range spec.SyslogServers {
		b.db.set("SYSLOG_SERVER", a.String(), Fields{"vrf": "mgmt"})
	}
	for _, a := range spec.DNSServers {
		b.db.set("DNS_NAMESERVER", a.String(), Fields{})
	}
	return nil
}

// managementNetwork is the management network holding the switch's
// management address.
func (b *builder) managementNetwork() *model.LogicalNetwork {
	a := b.sw.ManagementAddress.Unmap()
	for _, n := range b.f.c.Network.Networks {
		if n != nil && n.Role == model.NetManagement && n.Prefix.IsValid() && n.Prefix.Contains(a) {
			return n
		}
	}
	return nil
}
