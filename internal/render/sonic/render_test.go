package sonic

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
)

// absent marks a row that must not exist.
const absent = "<absent>"

func TestRenderTables(t *testing.T) {
	tests := []struct {
		example, sw, table, key, field, want string
	}{
		// Metadata and the osism ASN scheme.
		{"lab", "leaf-1", "DEVICE_METADATA", "localhost", "bgp_asn", "4200000011"},
		{"lab", "leaf-1", "DEVICE_METADATA", "localhost", "type", "LeafRouter"},
		{"lab", "spine-1", "DEVICE_METADATA", "localhost", "type", "SpineRouter"},
		{"lab", "spine-1", "DEVICE_METADATA", "localhost", "platform", "x86_64-accton_as7726_32x-r0"},
		{"lab", "leaf-1", "DEVICE_METADATA", "localhost", "frr_mgmt_framework_config", "true"},
		{"lab", "leaf-1", "BGP_GLOBALS", "default", "router_id", "10.0.0.11"},
		{"lab", "leaf-1", "BGP_GLOBALS", "default", "local_asn", "4200000011"},
		// Ports: cabled ones up with their peer, the rest down.
		{"lab", "leaf-1", "PORT", "Ethernet0", "admin_status", "up"},
		{"lab", "leaf-1", "PORT", "Ethernet0", "description", "ctl-1:eth1"},
		{"lab", "leaf-1", "PORT", "Ethernet0", "lanes", "3"},
		{"lab", "leaf-1", "PORT", "Ethernet0", "mtu", "9100"},
		{"lab", "leaf-1", "PORT", "Ethernet8", "admin_status", "down"},
		{"lab", "leaf-1", "PORT", "Ethernet48", "speed", "100000"},
		{"lab", "spine-1", "PORT", "Ethernet0", "description", "leaf-1:Ethernet48"},
		// Fabric links: unnumbered eBGP.
		{"lab", "leaf-1", "INTERFACE", "Ethernet48", "ipv6_use_link_local_only", "enable"},
		{"lab", "leaf-1", "BGP_NEIGHBOR", "default|Ethernet48", "peer_type", "external"},
		{"lab", "leaf-1", "BGP_NEIGHBOR", "default|Ethernet48", "name", "spine-1"},
		{"lab", "leaf-1", "BGP_NEIGHBOR_AF", "default|Ethernet52|l2vpn_evpn", "admin_status", "up"},
		{"lab", "leaf-1", "INTERFACE", "Ethernet0", "", absent},
		{"lab", "leaf-1", "BGP_NEIGHBOR", "default|Ethernet0", "", absent},
		{"lab", "leaf-1", "LOOPBACK_INTERFACE", "Loopback0|10.0.0.11/32", "", ""},
		{"lab", "leaf-1", "BGP_GLOBALS_AF", "default|l2vpn_evpn", "advertise-all-vni", "true"},
		{"lab", "spine-1", "BGP_GLOBALS_AF", "default|l2vpn_evpn", "advertise-all-vni", absent},
		{"lab", "leaf-1", "BGP_GLOBALS_AF", "default|ipv6_unicast", "max_ebgp_paths", "64"},
		{"lab", "leaf-1", "ROUTE_REDISTRIBUTE", "default|connected|bgp|ipv4", "", ""},
		// Hosts: active-backup bonds are plain tagged ports.
		{"lab", "leaf-1", "VLAN_MEMBER", "Vlan20|Ethernet0", "tagging_mode", "tagged"},
		{"lab", "leaf-1", "VLAN_MEMBER", "Vlan100|Ethernet3", "", absent}, // computes are not on public
		{"lab", "leaf-1", "VLAN_MEMBER", "Vlan31|Ethernet5", "tagging_mode", "tagged"},
		{"lab", "leaf-1", "PORTCHANNEL", "PortChannel0", "", absent},
		{"lab", "leaf-1", "VLAN", "Vlan30", "mtu", "9000"},
		{"lab", "leaf-1", "VLAN", "Vlan30", "description", "storage"},
		{"lab", "leaf-1", "VLAN_INTERFACE", "Vlan100|10.199.100.1/24", "", ""},
		{"lab", "leaf-1", "VLAN_INTERFACE", "Vlan100", "static_anycast_gateway", "true"},
		{"lab", "leaf-1", "VLAN_INTERFACE", "Vlan20", "", ""}, // the anycast gateway of internal
		{"lab", "leaf-1", "SAG", "GLOBAL", "gateway_mac", sagMAC},
		{"lab", "leaf-1", "VXLAN_TUNNEL", "vtep", "src_ip", "10.0.0.11"},
		{"lab", "leaf-1", "VXLAN_TUNNEL_MAP", "vtep|map_10020_Vlan20", "vni", "10020"},
		{"lab", "spine-1", "VXLAN_TUNNEL", "vtep", "", absent},
		{"lab", "spine-1", "VLAN", "Vlan20", "", absent},
		// Management and services from cloud.yaml.
		{"lab", "leaf-1", "MGMT_INTERFACE", "eth0|10.199.0.4/24", "gwaddr", "10.199.0.1"},
		{"lab", "leaf-1", "MGMT_VRF_CONFIG", "vrf_global", "mgmtVrfEnabled", "true"},
		{"lab", "leaf-1", "NTP_SERVER", "10.199.0.1", "association_type", "server"},
		{"lab", "leaf-1", "DNS_NAMESERVER", "10.199.0.1", "", ""},
		{"lab", "leaf-1", "SYSLOG_SERVER", "10.199.0.1", "", absent},
		{"production", "leaf-1a", "SYSLOG_SERVER", "192.0.2.51", "vrf", "mgmt"},
		// Production: 802.3ad bonds over MC-LAG pairs.
		{"production", "leaf-1a", "PORTCHANNEL", "PortChannel16", "description", "cmp-01:bond0"},
		{"production", "leaf-1a", "PORTCHANNEL_MEMBER", "PortChannel16|Ethernet16", "", ""},
		{"production", "leaf-1b", "PORTCHANNEL_MEMBER", "PortChannel16|Ethernet16", "", ""},
		{"production", "leaf-1a", "VLAN_MEMBER", "Vlan40|PortChannel16", "tagging_mode", "tagged"},
		{"production", "leaf-1a", "VLAN_MEMBER", "Vlan40|Ethernet16", "", absent},
		{"production", "leaf-1a", "MCLAG_INTERFACE", "1|PortChannel16", "if_type", "PortChannel"},
		{"production", "leaf-1a", "MCLAG_DOMAIN", "1", "peer_ip", "10.0.1.2"},
		{"production", "leaf-1b", "MCLAG_DOMAIN", "1", "peer_ip", "10.0.1.1"},
		{"production", "leaf-1a", "MCLAG_DOMAIN", "1", "peer_link", "PortChannel56"},
		{"production", "leaf-1a", "PORTCHANNEL_MEMBER", "PortChannel56|Ethernet60", "", ""},
		{"production", "leaf-1a", "VLAN_MEMBER", "Vlan31|PortChannel56", "tagging_mode", "tagged"},
		{"production", "leaf-1a", "INTERFACE", "Ethernet56", "", absent}, // the peer link is no BGP link
		{"production", "leaf-1a", "BGP_NEIGHBOR", "default|Ethernet56", "", absent},
		{"production", "leaf-2a", "BGP_GLOBALS", "default", "local_asn", "4200002001"},
	}
	fabrics := map[string]*Fabric{}
	dbs := map[string]ConfigDB{}
	for _, tt := range tests {
		t.Run(strings.Join([]string{tt.example, tt.sw, tt.table, tt.key, tt.field}, "/"), func(t *testing.T) {
			f := fabrics[tt.example]
			if f == nil {
				f = mustFabric(t, loadExample(t, tt.example))
				fabrics[tt.example] = f
			}
			db := dbs[tt.example+"/"+tt.sw]
			if db == nil {
				db = mustSwitch(t, f, tt.sw)
				dbs[tt.example+"/"+tt.sw] = db
			}
			if got := lookup(db, tt.table, tt.key, tt.field); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// lookup returns a field's value, "" for a row that exists when field is
// "", or absent.
func lookup(db ConfigDB, table, key, field string) string {
	row, ok := db[table][key]
	if !ok {
		return absent
	}
	if field == "" {
		return ""
	}
	v, ok := row[field]
	if !ok {
		return absent
	}
	return fmt.Sprint(v)
}

func TestBreakout(t *testing.T) {
	db := mustSwitch(t, labVariants(t)["breakout"], "leaf-1")
	for i, name := range []string{"Ethernet56", "Ethernet57", "Ethernet58", "Ethernet59"} {
		row := db["PORT"][name]
		if row == nil {
			t.Fatalf("no PORT %s", name)
		}
		if row["speed"] != "25000" || row["lanes"] != fmt.Sprint(93+i) || row["index"] != "51" {
			t.Errorf("PORT %s = %v", name, row)
		}
	}
	if got := lookup(db, "PORT", "Ethernet57", "admin_status"); got != "up" {
		t.Errorf("cabled sub-port Ethernet57 admin_status %s", got)
	}
	if got := lookup(db, "BREAKOUT_CFG", "Ethernet56", "brkout_mode"); got != "4x25G" {
		t.Errorf("BREAKOUT_CFG = %s", got)
	}
	if got := lookup(db, "VLAN_MEMBER", "Vlan40|Ethernet57", "tagging_mode"); got != "tagged" {
		t.Errorf("host on sub-port: VLAN_MEMBER %s", got)
	}
	if n := len(db["PORT"]); n != 56+3 {
		t.Errorf("%d ports, want 59", n)
	}
}

func TestSpineGroupIsInternal(t *testing.T) {
	f := labVariants(t)["spine-group"]
	for _, sw := range []string{"spine-1", "spine-2"} {
		db := mustSwitch(t, f, sw)
		if got := lookup(db, "BGP_NEIGHBOR", "default|Ethernet124", "peer_type"); got != "internal" {
			t.Errorf("%s: spine-to-spine peer_type %s, want internal", sw, got)
		}
		if got := lookup(db, "BGP_GLOBALS", "default", "local_asn"); got != "4200000001" {
			t.Errorf("%s: local_asn %s, want the group's lowest", sw, got)
		}
		if got := lookup(db, "BGP_NEIGHBOR", "default|Ethernet0", "peer_type"); got != "external" {
			t.Errorf("%s: leaf peer_type %s", sw, got)
		}
	}
}

// TestReferences checks what SONiC would reject as dangling references,
// without yanglint: every AF row's neighbor exists, and so does every
// port, PortChannel and VLAN a row names.
func TestReferences(t *testing.T) {
	for _, ex := range examples {
		f := mustFabric(t, loadExample(t, ex))
		for _, sw := range f.Names() {
			db := mustSwitch(t, f, sw)
			for k := range db["BGP_NEIGHBOR_AF"] {
				p := strings.Split(k, "|")
				if _, ok := db["BGP_NEIGHBOR"][p[0]+"|"+p[1]]; !ok {
					t.Errorf("%s/%s: BGP_NEIGHBOR_AF %s has no BGP_NEIGHBOR", ex, sw, k)
				}
			}
			for _, table := range []string{"INTERFACE", "PORTCHANNEL_MEMBER", "VLAN_MEMBER"} {
				for k := range db[table] {
					p := strings.Split(k, "|")
					port := p[len(p)-1]
					_, isPort := db["PORT"][port]
					_, isLAG := db["PORTCHANNEL"][port]
					if !isPort && !isLAG {
						t.Errorf("%s/%s: %s %s names no port or PortChannel", ex, sw, table, k)
					}
					if table == "VLAN_MEMBER" {
						if _, ok := db["VLAN"][p[0]]; !ok {
							t.Errorf("%s/%s: VLAN_MEMBER %s: no VLAN %s", ex, sw, k, p[0])
						}
					}
				}
			}
			inLAG := map[string]bool{}
			for k := range db["PORTCHANNEL_MEMBER"] {
				inLAG[strings.Split(k, "|")[1]] = true
			}
			for k := range db["VLAN_MEMBER"] {
				if port := strings.Split(k, "|")[1]; inLAG[port] {
					t.Errorf("%s/%s: VLAN_MEMBER %s is a PortChannel member", ex, sw, k)
				}
			}
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name    string
		example string
		change  func(t *testing.T, c *model.Cloud)
		sw      string
		want    string
	}{
		{"untagged network on a cabled host interface", "lab", func(t *testing.T, c *model.Cloud) {
			c.NetworksByName()["internal"].VLAN = 0
		}, "leaf-1", "carries network internal untagged on bond0"},
		{"IPv6 loopback", "lab", func(t *testing.T, c *model.Cloud) {
			s := findSwitch(t, c, "leaf-1")
			s.Loopback, s.ASN = netip.MustParseAddr("fd00::11"), 65011
		}, "leaf-1", "not an IPv4 address"},
		{"management address outside the management network", "lab", func(t *testing.T, c *model.Cloud) {
			findSwitch(t, c, "leaf-1").ManagementAddress = netip.MustParseAddr("192.0.2.9")
		}, "leaf-1", "in no network of role management"},
		{"management network without gateway", "lab", func(t *testing.T, c *model.Cloud) {
			c.NetworksByName()["mgmt"].Gateway = netip.Addr{}
		}, "spine-1", "has no gateway"},
		{"MC-LAG pair without peer link", "production", func(t *testing.T, c *model.Cloud) {
			c.Network.Cables = slices.DeleteFunc(c.Network.Cables, func(cb *model.Cable) bool {
				return cb.A.Device == "leaf-1a" && cb.B.Device == "leaf-1b"
			})
		}, "leaf-1b", "no cable joins them"},
		{"lanes taken twice", "lab", func(t *testing.T, c *model.Cloud) {
			findSwitch(t, c, "spine-1").Breakouts = map[string]string{"Ethernet124": "4x25G"}
		}, "spine-1", "both on lanes"},
		{"unknown switch", "lab", func(*testing.T, *model.Cloud) {}, "leaf-9", `no switch "leaf-9" in network.yaml (switches: spine-1, spine-2, leaf-1, leaf-2); did you mean "leaf-1"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadExample(t, tt.example)
			tt.change(t, c)
			f, err := New(c)
			if err == nil {
				_, err = f.Render(tt.sw)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLookupOrder(t *testing.T) {
	f := mustFabric(t, loadExample(t, "lab"))
	got, err := f.Lookup([]string{"leaf-2", "spine-1"})
	if err != nil || !slices.Equal(got, []string{"spine-1", "leaf-2"}) {
		t.Errorf("Lookup = %v, %v; want network.yaml order", got, err)
	}
	all, _ := f.Lookup(nil)
	if !slices.Equal(all, []string{"spine-1", "spine-2", "leaf-1", "leaf-2"}) {
		t.Errorf("Lookup(nil) = %v", all)
	}
}

func TestPortChannelNumbers(t *testing.T) {
	c := loadExample(t, "production")
	// cmp-01 {leaf-1a:Ethernet16, leaf-1b:Ethernet30} and cmp-05
	// {leaf-1a:Ethernet20, leaf-1b:Ethernet16} both want PortChannel16.
	recable(t, c, "leaf-1b", "Ethernet16", "Ethernet30")
	recable(t, c, "leaf-1b", "Ethernet20", "Ethernet16")
	f := mustFabric(t, c)
	a, b := mustSwitch(t, f, "leaf-1a"), mustSwitch(t, f, "leaf-1b")
	if !slices.Equal(slices.Sorted(maps.Keys(a["PORTCHANNEL"])), slices.Sorted(maps.Keys(b["PORTCHANNEL"]))) {
		t.Errorf("the two switches of an MC-LAG pair name their PortChannels differently")
	}
	for _, tt := range []struct{ lag, desc string }{
		{"PortChannel16", "cmp-01:bond0"}, // first by name
		{"PortChannel17", "cmp-02:bond0"}, // not displaced by the clash
		{"PortChannel20", "cmp-05:bond0"}, // the first number no LAG wants
	} {
		for sw, db := range map[string]ConfigDB{"leaf-1a": a, "leaf-1b": b} {
			if got := lookup(db, "PORTCHANNEL", tt.lag, "description"); got != tt.desc {
				t.Errorf("%s %s is %q, want %q", sw, tt.lag, got, tt.desc)
			}
		}
	}
	if got := lookup(b, "PORTCHANNEL_MEMBER", "PortChannel20|Ethernet16", ""); got != "" {
		t.Errorf("leaf-1b PortChannel20 does not have Ethernet16")
	}
	if portNumber("Ethernet48") != 48 || portNumber("eth") != 0 {
		t.Error("portNumber")
	}
	if comparePorts("Ethernet2", "Ethernet10") >= 0 {
		t.Error("Ethernet2 must sort before Ethernet10")
	}
}
