// Package frr renders FRR's configuration for the lab's switches: the
// BGP design SONiC runs on the real fabric (eBGP unnumbered on every
// switch-to-switch link, loopbacks and anycast gateways advertised, ECMP
// over all uplinks, EVPN for the VLANs stretched over VXLAN).
package frr

import (
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/render/fabric"
)

// Config renders /etc/frr/frr.conf of a switch.
func Config(sw *fabric.Switch) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("! Written by Fundament from the configuration repository; changes here are overwritten.")
	// datacenter: fast timers and, unlike Debian's default profile, no
	// RFC 8212 policy requirement (eBGP sessions would come up but carry
	// no routes); the explicit line below says so for readers too.
	p("frr defaults datacenter")
	p("hostname %s", sw.Name)
	p("log syslog informational")
	p("service integrated-vtysh-config")
	p("!")
	p("router bgp %d", sw.ASN)
	p(" bgp router-id %s", sw.Loopback)
	p(" no bgp ebgp-requires-policy")
	p(" no bgp default ipv4-unicast")
	p(" bgp bestpath as-path multipath-relax")
	for _, u := range sw.Uplinks {
		p(" neighbor %s interface remote-as %d", u.Port, u.ASN)
		p(" neighbor %s description %s:%s", u.Port, u.Switch, u.PeerPort)
	}
	p(" !")
	p(" address-family ipv4 unicast")
	for _, u := range sw.Uplinks {
		p("  neighbor %s activate", u.Port)
	}
	p("  redistribute connected route-map FABRIC-OUT")
	p("  maximum-paths 64")
	p(" exit-address-family")
	p(" !")
	p(" address-family l2vpn evpn")
	for _, u := range sw.Uplinks {
		p("  neighbor %s activate", u.Port)
	}
	if len(sw.HostPorts) > 0 {
		// Every leaf has its own ASN: route targets derived from it would
		// differ per leaf; RFC 8365's form leaves the ASN out.
		p("  autort rfc8365-compatible")
		p("  advertise-all-vni")
	}
	p(" exit-address-family")
	p("exit")
	p("!")
	// Only the loopback leaves the switch: not the management network,
	// not link addresses, not 127.0.0.0/8.
	p("ip prefix-list LOOPBACK seq 10 permit %s/%d", sw.Loopback, sw.Loopback.BitLen())
	for i, g := range sw.Gateways {
		// The anycast gateways' networks, from every leaf that holds one.
		p("ip prefix-list LOOPBACK seq %d permit %s", 20+10*i, g.Address.Masked())
	}
	p("!")
	p("route-map FABRIC-OUT permit 10")
	p(" match ip address prefix-list LOOPBACK")
	p("exit")
	p("!")
	return b.String()
}

// Daemons renders /etc/frr/daemons: Debian's, with bgpd on.
func Daemons() string {
	var b strings.Builder
	b.WriteString("# Written by Fundament: Debian's defaults with bgpd on.\n")
	for _, d := range []string{"bgpd=yes", "ospfd=no", "ospf6d=no", "ripd=no", "ripngd=no", "isisd=no", "pimd=no", "pim6d=no",
		"ldpd=no", "nhrpd=no", "eigrpd=no", "babeld=no", "sharpd=no", "pbrd=no", "bfdd=no", "fabricd=no", "vrrpd=no", "pathd=no",
		"vtysh_enable=yes",
		`zebra_options="  -A 127.0.0.1 -s 90000000"`, `mgmtd_options="  -A 127.0.0.1"`, `bgpd_options="   -A 127.0.0.1"`,
		`staticd_options="-A 127.0.0.1"`} {
		b.WriteString(d + "\n")
	}
	return b.String()
}

// Sysctl renders the kernel settings of a switch: it routes.
func Sysctl() string {
	return "# Written by Fundament: a switch forwards IPv4 and IPv6.\n" +
		"net.ipv4.ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\n" +
		"net.ipv4.conf.all.rp_filter = 0\nnet.ipv4.conf.default.rp_filter = 0\n"
}
