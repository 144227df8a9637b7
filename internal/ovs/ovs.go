// Package ovs is Open vSwitch with the userspace (netdev) datapath, as the
// lab runs it: its kernel has no openvswitch module. It declares the
// ovs-vswitchd drop-in and the items that install and start Open vSwitch,
// for the components that need it (host networking on lab hosts, the
// anycast gateways on lab leaves, OVN's chassis): a library, so that no
// component imports another for it.
package ovs

import (
	"slices"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// VswitchdNetdev starts ovs-vswitchd without ovs-ctl, which loads the
// openvswitch kernel module first and fails where there is none (the
// lab); --disable-system keeps it from ever making a kernel datapath.
const VswitchdNetdev = `# Written by Fundament from the configuration repository; changes here are overwritten.
# Open vSwitch with the userspace (netdev) datapath only: ovs-vswitchd is
# started directly, since ovs-ctl insists on loading the kernel module.
[Service]
Nice=-10
ExecStart=
ExecStart=/usr/sbin/ovs-vswitchd unix:/var/run/openvswitch/db.sock -vconsole:emer -vsyslog:err -vfile:info --disable-system --no-chdir --log-file=/var/log/openvswitch/ovs-vswitchd.log --pidfile=/var/run/openvswitch/ovs-vswitchd.pid --detach
ExecReload=
`

// VswitchdDropIn is the drop-in that starts ovs-vswitchd userspace-only.
const VswitchdDropIn = "/etc/systemd/system/ovs-vswitchd.service.d/fundament-netdev.conf"

// Add declares a resource on a host after the given items.
type Add func(r resource.Resource, after ...*catalog.Item) *catalog.Item

// Pin is a package at the version the release stream pins, or why not
// (catalog.Input.Package).
type Pin func(name string) (resource.Package, error)

// Userspace declares Open vSwitch with the userspace datapath only (the
// drop-in, the pinned packages, ovsdb-server and ovs-vswitchd restarted
// when their packages change, ovs-vswitchd also when the drop-in does,
// openvswitch-switch) and returns the last item, for what needs Open
// vSwitch running.
func Userspace(pin Pin, add Add) (*catalog.Item, error) {
	drop := add(resource.File{Path: VswitchdDropIn, Content: []byte(VswitchdNetdev)})
	var pkgs []*catalog.Item
	for _, p := range []string{"openvswitch-common", "openvswitch-switch"} {
		pkg, err := pin(p)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, add(pkg, drop))
	}
	// An upgrade restarts nothing by itself: the daemons subscribe to
	// their packages.
	var pkgIDs []resource.ID
	var pkgRefs []catalog.Ref
	for _, p := range pkgs {
		pkgIDs = append(pkgIDs, p.Resource.ID())
		pkgRefs = append(pkgRefs, p.Ref())
	}
	ovsdb := add(resource.Service{Unit: "ovsdb-server.service", Enabled: true, Running: true, Subscribes: pkgIDs}, pkgs...)
	ovsdb.Subscribes = pkgRefs
	vswitchd := add(resource.Service{Unit: "ovs-vswitchd.service", Enabled: true, Running: true,
		Subscribes: append(slices.Clone(pkgIDs), drop.Resource.ID())}, append(pkgs, ovsdb)...)
	vswitchd.Subscribes = append(slices.Clone(pkgRefs), drop.Ref())
	return add(resource.Service{Unit: "openvswitch-switch.service", Enabled: true, Running: true}, ovsdb, vswitchd), nil
}
