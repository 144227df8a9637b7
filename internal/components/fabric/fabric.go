// Package fabric is the component of the leaf-spine fabric. In the lab,
// whose switches are lab hosts, it configures each switch as SONiC would
// configure itself from config_db: the loopback and links with
// systemd-networkd, BGP with FRR, forwarding with sysctl. (Production
// switches take the SONiC config_db that `fundament render sonic` writes.)
package fabric

import (
	"path"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/model"
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
		items = append(items, switchItems(c, view[s.Name])...)
	}
	return items, nil, nil
}

func switchItems(c *model.Cloud, sw *rfabric.Switch) []*catalog.Item {
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
	pkg := resource.Package{Name: "frr"}
	if v, ok := streamVersion(c, "frr"); ok {
		pkg.Version = v
	}
	frrPkg := add(&items, pkg)

	sysctl := add(&items, resource.File{Path: sysctlFile, Content: []byte(frr.Sysctl())})
	applySysctl := add(&items, resource.Command{Name: "fabric/sysctl", Script: "sysctl -q -p " + sysctlFile}, sysctl)
	applySysctl.Subscribes = []catalog.Ref{sysctl.Ref()}
	applySysctl.After = nil

	var netFiles []*catalog.Item
	for _, f := range networkd.Switch(sw) {
		netFiles = append(netFiles, add(&items, resource.File{Path: path.Join(networkd.Dir, f.Name), Content: []byte(f.Content)}))
	}
	networkdSvc := add(&items, resource.Service{Unit: "systemd-networkd.service", Enabled: true, Running: true}, netFiles...)
	reload := add(&items, resource.Command{Name: "fabric/networkctl-reload", Script: "networkctl reload"}, networkdSvc)
	for _, f := range netFiles {
		reload.Subscribes = append(reload.Subscribes, f.Ref())
	}

	conf := add(&items, resource.File{Path: "/etc/frr/frr.conf", Content: []byte(frr.Config(sw)), Mode: "0640", Owner: "frr", Group: "frr"}, frrPkg)
	daemons := add(&items, resource.File{Path: "/etc/frr/daemons", Content: []byte(frr.Daemons()), Mode: "0640", Owner: "frr", Group: "frr"}, frrPkg)
	svc := add(&items, resource.Service{Unit: "frr.service", Enabled: true, Running: true,
		Subscribes: []resource.ID{conf.Resource.ID(), daemons.Resource.ID()}}, applySysctl, reload)
	svc.Subscribes = []catalog.Ref{conf.Ref(), daemons.Ref()}
	return items
}
