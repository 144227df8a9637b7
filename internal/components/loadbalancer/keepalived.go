package loadbalancer

import (
	"fmt"
	"net/netip"
	"strings"
)

const keepalivedConf = "/etc/keepalived/keepalived.conf"

// VRRP timing: an advertisement a second, so a backup takes over about
// 3.6 s after the holder fell silent (three intervals and its skew).
const advertInt = 1

// trackScript tells keepalived whether HAProxy runs: every 2 s, and after
// two failures the member enters FAULT and gives up its virtual IPs.
const trackScript = "/usr/bin/systemctl is-active --quiet haproxy.service"

// keepalivedConfig is member i's keepalived.conf: one VRRP instance per
// virtual IP on the interface of its network, talking unicast to the
// other members' addresses there. Every member starts as BACKUP with
// nopreempt: the highest priority (the first member) wins the first
// election, and a virtual IP that moved stays where it is when the
// member it left comes back, rather than moving twice.
func keepalivedConfig(t *topology, i int) string {
	m := t.Members[i]
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Written by Fundament from the configuration repository; changes here are overwritten.")
	p("# keepalived of %s: VRRP for the virtual IPs of the API endpoints.", m.Host)
	p("")
	p("global_defs {")
	p("    router_id %s", m.Host)
	p("    script_user root")
	p("    enable_script_security")
	p("    # The interfaces may appear after keepalived starts (Open vSwitch in the lab).")
	p("    dynamic_interfaces")
	p("}")
	p("")
	p("# A member whose HAProxy is down gives up the virtual IPs (FAULT).")
	p("vrrp_script haproxy {")
	p("    script %q", trackScript)
	p("    interval 2")
	p("    timeout 5")
	p("    fall 2")
	p("    rise 2")
	p("}")
	for _, v := range t.VIPs {
		l := m.Links[v.Name]
		p("")
		p("vrrp_instance %s {", v.Name)
		p("    state BACKUP")
		p("    nopreempt")
		p("    interface %s", l.Iface)
		p("    virtual_router_id %d", v.VRID)
		p("    priority %d", priority(i))
		p("    advert_int %d", advertInt)
		if len(t.Members) > 1 {
			p("    unicast_src_ip %s", l.Addr)
			p("    unicast_peer {")
			for j, o := range t.Members {
				if j != i {
					p("        %s", o.Links[v.Name].Addr)
				}
			}
			p("    }")
			p("    check_unicast_src")
		}
		p("    virtual_ipaddress {")
		p("        %s dev %s", v.prefix(), l.Iface)
		p("    }")
		if v.Gateway.IsValid() {
			// Replies from the virtual IP leave through its own network,
			// whose gateway reached it, not the host's default route
			// (the management network's): the holder has these.
			p("    virtual_rules {")
			p("        from %s table %d priority %d", netip.PrefixFrom(v.Addr, v.Addr.BitLen()), v.Table, v.Table)
			p("    }")
			p("    virtual_routes {")
			p("        %s dev %s scope link table %d", v.Prefix, l.Iface, v.Table)
			p("        default via %s dev %s table %d", v.Gateway, l.Iface, v.Table)
			p("    }")
		}
		p("    track_script {")
		p("        haproxy")
		p("    }")
		p("}")
	}
	return b.String()
}
