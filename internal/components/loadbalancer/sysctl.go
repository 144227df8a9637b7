package loadbalancer

import "github.com/fundament-cloud/fundament/internal/resource"

const sysctlFile = "/etc/sysctl.d/90-fundament-loadbalancer.conf"

// nonlocalBind are the settings that let HAProxy bind the virtual IPs on
// every member, also where keepalived has not put them (yet): one per
// address family of the virtual IPs.
func nonlocalBind(t *topology) []resource.Sysctl {
	var v4, v6 bool
	for _, v := range t.VIPs {
		v4, v6 = v4 || v.Addr.Is4(), v6 || v.Addr.Is6()
	}
	var out []resource.Sysctl
	if v4 {
		out = append(out, resource.Sysctl{Key: "net.ipv4.ip_nonlocal_bind", Value: "1"})
	}
	if v6 {
		out = append(out, resource.Sysctl{Key: "net.ipv6.ip_nonlocal_bind", Value: "1"})
	}
	return out
}

func sysctlConf(t *topology) string {
	return resource.SysctlConf("Written by Fundament: HAProxy binds the virtual IPs also where this host does not hold them.", nonlocalBind(t))
}

func sysctlCommand(t *topology) resource.Command {
	return resource.SysctlApply("loadbalancer/sysctl", sysctlFile, nonlocalBind(t))
}
