// Package hostnet is the component of the hosts' own networking: the
// management, internal API, storage, tunnel and provider networks of each
// host with their bonds, VLANs and MTUs, from the model, as
// systemd-networkd files. On servers networkd makes the bonds and VLAN
// interfaces in the kernel; in the lab, whose kernel has neither bonding
// nor 802.1Q, Open vSwitch (userspace) makes them under the same names
// and networkd addresses them.
package hostnet

import (
	"fmt"
	"path"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/ovs"
	rfabric "github.com/fundament-cloud/fundament/internal/render/fabric"
	"github.com/fundament-cloud/fundament/internal/render/networkd"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the host networking component.
type Component struct{}

const name = "hostnet"

func (Component) Name() string { return name }

// layoutFile holds a lab host's Open vSwitch layout script.
const layoutFile = "/etc/fundament/hostnet-ovs.sh"

// Ready is the item after which a host's networks are configured (and,
// where ProvidesOVS, its Open vSwitch runs with its bridges): other
// components order after it.
func Ready(host string) catalog.Ref {
	return catalog.Ref{Host: host, ID: resource.Command{Name: "hostnet/networkctl-reload"}.ID()}
}

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	c := in.Cloud
	var items []*catalog.Item
	hosts := []byte(hostsTable(c)) // the same on every host
	for _, h := range c.Hosts {
		its, err := hostItems(c, in, h)
		if err != nil {
			return nil, nil, fmt.Errorf("host %s: %w", h.Name, err)
		}
		items = append(items, its...)
		items = append(items, hostsItem(h, hosts))
	}
	return items, nil, nil
}

func hostItems(c *model.Cloud, in *catalog.Input, h *model.Host) ([]*catalog.Item, error) {
	var items []*catalog.Item
	add := func(r resource.Resource, after ...*catalog.Item) *catalog.Item {
		it := &catalog.Item{Host: h.Name, Component: name, Resource: r}
		for _, a := range after {
			it.After = append(it.After, a.Ref())
		}
		items = append(items, it)
		return it
	}
	withOVS := ProvidesOVS(c, h)
	tunnel, brPhy := TunnelLayout(c, h)
	files, err := networkd.Host(c, h, networkd.HostOptions{BrPhy: brPhy, BrPhyPort: tunnel, Devices: withOVS,
		Routes: rfabric.Loopbacks(c)})
	if err != nil {
		return nil, err
	}
	var netFiles []*catalog.Item
	for _, f := range files {
		netFiles = append(netFiles, add(resource.File{Path: path.Join(networkd.Dir, f.Name), Content: []byte(f.Content)}))
	}
	var before []*catalog.Item
	if withOVS {
		svc, err := ovs.Userspace(in.Package, add)
		if err != nil {
			return nil, err
		}
		script := add(resource.File{Path: layoutFile, Content: []byte(layoutScript(c, h)), Mode: "0755"})
		layout := add(resource.Command{Name: "hostnet/ovs-layout", Script: "sh " + layoutFile + "\n", Idempotent: true}, svc)
		layout.Subscribes = []catalog.Ref{script.Ref()}
		before = append(before, layout)
	}
	svc := add(resource.Service{Unit: "systemd-networkd.service", Enabled: true, Running: true}, append(netFiles, before...)...)
	// Ready (the reload) comes after the TCP settings, so that every
	// service's sockets are made with them.
	tcpConf := add(resource.File{Path: tcpSysctlFile, Content: []byte(tcpSysctl())})
	tcp := add(tcpSysctlCommand(), tcpConf)
	tcp.Subscribes = []catalog.Ref{tcpConf.Ref()}
	reload := add(resource.Command{Name: "hostnet/networkctl-reload", Script: "networkctl reload\n", Idempotent: true}, svc, tcp)
	for _, f := range netFiles {
		reload.Subscribes = append(reload.Subscribes, f.Ref())
	}
	if len(before) > 0 {
		// New VLAN ports take their addresses from networkd.
		reload.Subscribes = append(reload.Subscribes, before[0].Ref())
	}
	return items, nil
}
