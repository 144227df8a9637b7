package hostnet

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// hostsPath is the resolver's static table of names.
const hostsPath = "/etc/hosts"

// HostsFile is the item after which every host of the cloud resolves the
// short name and fqdn of every other one (/etc/hosts): clustered services
// that name their members by host name (RabbitMQ's rabbit@ctl-1, Erlang
// distribution) order after it.
func HostsFile(host string) catalog.Ref {
	return catalog.Ref{Host: host, ID: resource.File{Path: hostsPath}.ID()}
}

// hostsItem is the host's /etc/hosts: the same table on every host, so
// that names resolve alike everywhere whether or not DNS knows them (and
// while it is down).
func hostsItem(h *model.Host, table []byte) *catalog.Item {
	return &catalog.Item{Host: h.Name, Component: name,
		Resource: resource.File{Path: hostsPath, Content: table}}
}

// debianLocalhost are the lines Debian's installer writes, less the
// 127.0.1.1 line it adds for a host without a static address: here every
// host has its own line below, on an address other hosts can reach.
const debianLocalhost = "127.0.0.1\tlocalhost\n" +
	"::1\t\tlocalhost ip6-localhost ip6-loopback\n" +
	"ff02::1\t\tip6-allnodes\n" +
	"ff02::2\t\tip6-allrouters\n"

// hostsTable renders /etc/hosts: localhost as Debian has it, then each
// host of the inventory (in its order) with its fqdn and short name on
// the address the cloud's services reach it on: its internal API address,
// or its management address where it has none (storage hosts outside the
// API network). Hosts with neither are left out: validation reports them.
func hostsTable(c *model.Cloud) string {
	var b strings.Builder
	b.WriteString("# Written by Fundament from the configuration repository; changes here are overwritten.\n")
	b.WriteString(debianLocalhost)
	fmt.Fprintf(&b, "\n# The hosts of the cloud %s, on their internal API addresses (management\n"+
		"# addresses where they have none), so that clusters that name members by host\n"+
		"# name (RabbitMQ) resolve them whatever DNS knows.\n", c.Spec.Name)
	for _, h := range c.Hosts {
		addr, ok := hostsAddress(c, h)
		if !ok {
			continue
		}
		names := h.Name
		if c.Spec.Domain != "" {
			names = h.Name + "." + c.Spec.Domain + " " + h.Name
		}
		fmt.Fprintf(&b, "%s\t%s\n", addr, names)
	}
	return b.String()
}

// hostsAddress is where a host's name points: its internal API address,
// else its management address.
func hostsAddress(c *model.Cloud, h *model.Host) (netip.Addr, bool) {
	if a, err := endpoint.Backend(c, h); err == nil {
		return a, true
	}
	if s, ok := c.ManagementAddress(h); ok {
		a, err := netip.ParseAddr(s)
		return a, err == nil
	}
	return netip.Addr{}, false
}
