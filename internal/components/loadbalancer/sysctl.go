package loadbalancer

import (
	"strings"

	"github.com/fundament-cloud/fundament/internal/resource"
)

const sysctlFile = "/etc/sysctl.d/90-fundament-loadbalancer.conf"

// nonlocalBind are the settings that let HAProxy bind the virtual IPs on
// every member, also where keepalived has not put them (yet): one per
// address family of the virtual IPs.
func nonlocalBind(t *topology) []string {
	var v4, v6 bool
	for _, v := range t.VIPs {
		v4, v6 = v4 || v.Addr.Is4(), v6 || v.Addr.Is6()
	}
	var out []string
	if v4 {
		out = append(out, "net.ipv4.ip_nonlocal_bind")
	}
	if v6 {
		out = append(out, "net.ipv6.ip_nonlocal_bind")
	}
	return out
}

func sysctlConf(t *topology) string {
	var b strings.Builder
	b.WriteString("# Written by Fundament: HAProxy binds the virtual IPs also where this host does not hold them.\n")
	for _, k := range nonlocalBind(t) {
		b.WriteString(k + " = 1\n")
	}
	return b.String()
}

// sysctlCommand applies the file now (systemd-sysctl does at boot); its
// guard holds while the kernel has the settings.
func sysctlCommand(t *topology) resource.Command {
	var guard []string
	for _, k := range nonlocalBind(t) {
		guard = append(guard, `[ "$(sysctl -n `+k+`)" = 1 ]`)
	}
	return resource.Command{Name: "loadbalancer/sysctl", Script: "sysctl -q -p " + sysctlFile + "\n", Guard: strings.Join(guard, " && "), Idempotent: true}
}
