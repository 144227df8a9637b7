// Package fabric is the component of the leaf-spine fabric. In the lab,
// whose switches are lab hosts, it configures each switch as SONiC would
// configure itself from config_db: the loopback and links with
// systemd-networkd, BGP with FRR, forwarding with sysctl. (Production
// switches take the SONiC config_db that `fundament render sonic` writes.)
package fabric

import (
	"fmt"
	"hash/fnv"
	"path"
	"strings"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/ovs"
	rfabric "github.com/fundament-cloud/fundament/internal/render/fabric"
	"github.com/fundament-cloud/fundament/internal/render/frr"
	"github.com/fundament-cloud/fundament/internal/render/networkd"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the fabric component.
type Component struct{}

const name = "fabric"

func (Component) Name() string { return name }

const sysctlFile = "/etc/sysctl.d/90-fundament-switch.conf"

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	c := in.Cloud
	if c.Spec.Profile != model.ProfileLab || len(c.Network.Switches) == 0 {
		return nil, nil, nil
	}
	view, err := rfabric.Of(c)
	if err != nil {
		return nil, nil, err
	}
	var items []*catalog.Item
	for _, s := range c.Network.Switches {
		its, err := switchItems(in, view[s.Name])
		if err != nil {
			return nil, nil, fmt.Errorf("switch %s: %w", s.Name, err)
		}
		items = append(items, its...)
	}
	return items, nil, nil
}

func switchItems(in *catalog.Input, sw *rfabric.Switch) ([]*catalog.Item, error) {
	host := sw.Name
	add := func(items *[]*catalog.Item, r resource.Resource, after ...*catalog.Item) *catalog.Item {
		it := &catalog.Item{Host: host, Component: name, Resource: r}
		for _, a := range after {
			it.After = append(it.After, a.Ref())
		}
		*items = append(*items, it)
		return it
	}
	var items []*catalog.Item
	pkg, err := in.Package("frr")
	if err != nil {
		return nil, err
	}
	frrPkg := add(&items, pkg)

	sysctl := add(&items, resource.File{Path: sysctlFile, Content: []byte(frr.Sysctl())})
	applySysctl := add(&items, resource.Command{Name: "fabric/sysctl", Script: "sysctl -q -p " + sysctlFile, Idempotent: true}, sysctl)
	applySysctl.Subscribes = []catalog.Ref{sysctl.Ref()}
	applySysctl.After = nil

	var netFiles []*catalog.Item
	for _, f := range networkd.Switch(sw) {
		netFiles = append(netFiles, add(&items, resource.File{Path: path.Join(networkd.Dir, f.Name), Content: []byte(f.Content)}))
	}
	networkdSvc := add(&items, resource.Service{Unit: "systemd-networkd.service", Enabled: true, Running: true}, netFiles...)
	reload := add(&items, resource.Command{Name: "fabric/networkctl-reload", Script: "networkctl reload", Idempotent: true}, networkdSvc)
	for _, f := range netFiles {
		reload.Subscribes = append(reload.Subscribes, f.Ref())
	}

	if len(sw.Gateways) > 0 {
		if err := sviItems(in, sw, func(r resource.Resource, after ...*catalog.Item) *catalog.Item { return add(&items, r, after...) }, reload); err != nil {
			return nil, err
		}
	}
	conf := add(&items, resource.File{Path: "/etc/frr/frr.conf", Content: []byte(frr.Config(sw)), Mode: "0640", Owner: "frr", Group: "frr"}, frrPkg)
	daemons := add(&items, resource.File{Path: "/etc/frr/daemons", Content: []byte(frr.Daemons()), Mode: "0640", Owner: "frr", Group: "frr"}, frrPkg)
	svc := add(&items, resource.Service{Unit: "frr.service", Enabled: true, Running: true,
		Subscribes: []resource.ID{frrPkg.Resource.ID(), conf.Resource.ID(), daemons.Resource.ID()}}, applySysctl, reload)
	svc.Subscribes = []catalog.Ref{frrPkg.Ref(), conf.Ref(), daemons.Ref()}
	return items, nil
}

// sviItems runs Open vSwitch on a lab leaf that holds anycast gateways: the
// lab kernel has no VLAN devices, so OVS untags the bridge's VLANs into
// the internal ports VlanN that networkd addresses.
func sviItems(in *catalog.Input, sw *rfabric.Switch, add ovs.Add, after *catalog.Item) error {
	svc, err := ovs.Userspace(in.Package, add)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# Written by Fundament: the anycast gateways of " + sw.Name + " in Open vSwitch.\nset -e\n")
	b.WriteString("v() { ovs-vsctl --timeout=60 \"$@\"; }\n")
	b.WriteString("v --may-exist add-br svi -- set Bridge svi datapath_type=netdev\n")
	b.WriteString("v --may-exist add-port svi " + networkd.SVIPort + "\n")
	for _, g := range sw.Gateways {
		name := networkd.SVI(g.VLAN)
		fmt.Fprintf(&b, "v --may-exist add-port svi %s -- set Interface %s type=internal\n", name, name)
		fmt.Fprintf(&b, "v set Port %s tag=%d -- set Interface %s mac='\"%s\"'\n", name, g.VLAN, name, gatewayMAC(sw.Name, g.VLAN))
	}
	script := add(resource.File{Path: "/etc/fundament/fabric-svi.sh", Content: []byte(b.String()), Mode: "0755"})
	layout := add(resource.Command{Name: "fabric/svi-layout", Script: "sh /etc/fundament/fabric-svi.sh\n", Idempotent: true}, svc, after)
	layout.Subscribes = []catalog.Ref{script.Ref()}
	return nil
}

// gatewayMAC is a leaf's own MAC for a gateway: the gateway's address is
// the same on every leaf, its MAC not, so that EVPN never sees one MAC
// behind two leaves (hosts take whichever leaf answers their ARP).
func gatewayMAC(sw string, vlan int) string {
	f := fnv.New32a()
	fmt.Fprintf(f, "%s/%d", sw, vlan)
	v := f.Sum32()
	return fmt.Sprintf("02:fe:%02x:%02x:%02x:%02x", byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}
