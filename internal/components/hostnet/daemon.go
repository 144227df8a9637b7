package hostnet

import (
	"fmt"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/release"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Add declares a resource on a host after the given items.
type Add func(r resource.Resource, after ...*catalog.Item) *catalog.Item

// UserspaceOVS declares Open vSwitch with the userspace datapath only (the
// drop-in, the pinned packages, ovsdb-server, ovs-vswitchd restarted when
// the drop-in changes, openvswitch-switch) and returns the last item, for
// what needs Open vSwitch running: host networking on lab hosts and the
// anycast gateways on lab leaves.
func UserspaceOVS(stream *release.Stream, add Add) (*catalog.Item, error) {
	drop := add(resource.File{Path: VswitchdDropIn, Content: []byte(VswitchdNetdev)})
	var pkgs []*catalog.Item
	for _, p := range []string{"openvswitch-common", "openvswitch-switch"} {
		v, ok := stream.PackageVersion(p)
		if !ok {
			return nil, fmt.Errorf("release stream %s pins no version of %s", stream.Name, p)
		}
		pkgs = append(pkgs, add(resource.Package{Name: p, Version: v}, drop))
	}
	ovsdb := add(resource.Service{Unit: "ovsdb-server.service", Enabled: true, Running: true}, pkgs...)
	vswitchd := add(resource.Service{Unit: "ovs-vswitchd.service", Enabled: true, Running: true,
		Subscribes: []resource.ID{drop.Resource.ID()}}, append(pkgs, ovsdb)...)
	vswitchd.Subscribes = []catalog.Ref{drop.Ref()}
	return add(resource.Service{Unit: "openvswitch-switch.service", Enabled: true, Running: true}, ovsdb, vswitchd), nil
}
