package validate

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/fundament-cloud/fundament/internal/diag"
)

// Rule ids of values that have the right type but not a usable form.
const (
	RuleNameSyntax   = "name-syntax"
	RuleInvalidValue = "invalid-value"
)

func init() {
	register(
		Rule{ID: RuleNameSyntax, Summary: "host and switch names are RFC 1123 labels, domains are DNS names, interface names are Linux interface names and network names match ^[a-z][a-z0-9_-]{0,31}$", check: checkNameSyntax},
		Rule{ID: RuleInvalidValue, Summary: "numbers lie in their range: ssh.port 1-65535, allocation ratios above 0, tenant_mtu 1280-9000, memcached memory_mb at least 64, and the like; galera buffer_pool_size is a size MariaDB accepts (4G, 512M)", check: checkInvalidValues},
	)
}

const hostNameForm = "host names are RFC 1123 labels: 1 to 63 lower-case letters, digits and '-', not starting or ending with '-'"

var networkNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

func checkNameSyntax(ck *checker) {
	c := ck.c
	for _, h := range c.Hosts {
		if why := labelProblem(h.Name, false); why != "" && h.Name != "" {
			ck.d.Errorf(h.At("name"), RuleNameSyntax, "host name %q %s; %s", h.Name, why, hostNameForm)
		}
		for _, i := range h.Interfaces {
			if why := interfaceProblem(i.Name); why != "" && i.Name != "" {
				ck.d.Errorf(i.At("name"), RuleNameSyntax,
					"interface name %q of host %s %s; Linux interface names are 1 to 15 characters without '/', ':' or spaces", i.Name, h.Name, why)
			}
		}
	}
	for _, s := range c.Network.Switches {
		if why := labelProblem(s.Name, false); why != "" && s.Name != "" {
			ck.d.Errorf(s.At("name"), RuleNameSyntax, "switch name %q %s; switch %s", s.Name, why, strings.TrimPrefix(hostNameForm, "host "))
		}
	}
	for _, n := range c.Network.Networks {
		if n.Name != "" && !networkNameRE.MatchString(n.Name) {
			ck.d.Errorf(n.At("name"), RuleNameSyntax,
				"network name %q is not allowed: network names become file and bridge names, so they start with a lower-case letter followed by up to 31 lower-case letters, digits, '_' and '-'", n.Name)
		}
	}
	dns := func(name string, pos diag.Pos, what string) {
		if why := domainProblem(name); why != "" && name != "" {
			ck.d.Errorf(pos, RuleNameSyntax, "%s %q %s; it must be a DNS name: labels of letters, digits and '-' separated by '.'", what, name, why)
		}
	}
	dns(c.Spec.Domain, c.Spec.At("domain"), "domain")
	for _, v := range c.Network.VirtualIPs {
		if v.Has("fqdn") {
			dns(v.FQDN, v.At("fqdn"), "fqdn")
		}
	}
	if g := &c.Services.Kubernetes.Gardener; g.Has("domain") {
		dns(g.Domain, g.At("domain"), "gardener domain")
	}
}

// labelProblem says what keeps s from being an RFC 1123 label, or "".
func labelProblem(s string, upper bool) string {
	if len(s) > 63 {
		return fmt.Sprintf("is %d characters long, more than 63", len(s))
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '-':
		case 'A' <= r && r <= 'Z':
			if !upper {
				return "has upper-case letters"
			}
		default:
			return fmt.Sprintf("contains %q", r)
		}
	}
	switch {
	case s == "":
		return "is empty"
	case s[0] == '-':
		return "starts with '-'"
	case s[len(s)-1] == '-':
		return "ends with '-'"
	}
	return ""
}

// domainProblem says what keeps s from being a DNS name, or "".
func domainProblem(s string) string {
	if strings.HasSuffix(s, ".") {
		return "ends with '.'; write it without the trailing dot"
	}
	if len(s) > 253 {
		return fmt.Sprintf("is %d characters long, more than 253", len(s))
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" {
			return "has an empty label"
		}
		if why := labelProblem(l, true); why != "" {
			return fmt.Sprintf("has a label %q that %s", l, why)
		}
	}
	return ""
}

// interfaceProblem says what keeps s from being a Linux interface name
// (dev_valid_name in the kernel), or "".
func interfaceProblem(s string) string {
	if len(s) > 15 {
		return fmt.Sprintf("is %d characters long, more than 15", len(s))
	}
	if s == "." || s == ".." {
		return "is not allowed"
	}
	for _, r := range s {
		if r == '/' || r == ':' || unicode.IsSpace(r) {
			return fmt.Sprintf("contains %q", r)
		}
	}
	return ""
}

func checkInvalidValues(ck *checker) {
	c := ck.c
	port := func(p int, pos diag.Pos) {
		if p < 1 || p > 65535 {
			ck.d.Errorf(pos, RuleInvalidValue, "ssh port %d is not a TCP port; use 1 to 65535", p)
		}
	}
	for _, inv := range c.Inventory {
		if inv.Defaults.SSH.Has("port") {
			port(inv.Defaults.SSH.Port, inv.Defaults.SSH.At("port"))
		}
		for _, h := range inv.Hosts {
			if h.SSH.Has("port") {
				port(h.SSH.Port, h.SSH.At("port"))
			}
		}
	}
	if f := &c.Network.Fabric; f.SSH.Has("port") {
		port(f.SSH.Port, f.SSH.At("port"))
	}
	for _, sw := range c.Network.Switches {
		if sw.SSH.Has("port") {
			port(sw.SSH.Port, sw.SSH.At("port"))
		}
	}
	sv := &c.Services
	nova := &sv.OpenStack.Nova
	if nova.Has("cpu_allocation_ratio") && nova.CPUAllocationRatio <= 0 {
		ck.d.Errorf(nova.At("cpu_allocation_ratio"), RuleInvalidValue,
			"cpu_allocation_ratio %g must be greater than 0 (1 means no overcommit)", nova.CPUAllocationRatio)
	}
	if nova.Has("ram_allocation_ratio") && nova.RAMAllocationRatio <= 0 {
		ck.d.Errorf(nova.At("ram_allocation_ratio"), RuleInvalidValue,
			"ram_allocation_ratio %g must be greater than 0 (1 means no overcommit)", nova.RAMAllocationRatio)
	}
	if n := &sv.OpenStack.Neutron; n.Has("tenant_mtu") && (n.TenantMTU < 1280 || n.TenantMTU > 9000) {
		ck.d.Errorf(n.At("tenant_mtu"), RuleInvalidValue,
			"tenant_mtu %d is out of range; use 1280 (the IPv6 minimum) to 9000", n.TenantMTU)
	}
	if m := &sv.Memcached; m.Has("memory_mb") && m.MemoryMB < 64 {
		ck.d.Errorf(m.At("memory_mb"), RuleInvalidValue, "memory_mb %d is too small for a cache; use at least 64", m.MemoryMB)
	}
	if g := &sv.Galera; g.Has("max_connections") && g.MaxConnections < 1 {
		ck.d.Errorf(g.At("max_connections"), RuleInvalidValue, "max_connections %d must be at least 1", g.MaxConnections)
	}
	for _, p := range sv.Ceph.Pools {
		if p.Has("pg_num") && p.PGNum < 0 {
			ck.d.Errorf(p.At("pg_num"), RuleInvalidValue, "pg_num %d of pool %s must not be negative (0 leaves it to the autoscaler)", p.PGNum, p.Name)
		}
	}
	checkValueForms(ck)
}
