// Package memcached deploys Memcached, the cache of Keystone's tokens
// (and of the API services' token validation), on the hosts
// memcached.placement selects: one independent instance per host on its
// internal API address, which clients spread their keys over
// (Servers). It checks that each instance answers (health.go).
package memcached

import (
	"net/netip"
	"strconv"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the Memcached component.
type Component struct{}

const name = "memcached"

func (Component) Name() string { return name }

const (
	port     = 11211
	pkgName  = "memcached"
	unit     = "memcached.service"
	confPath = "/etc/memcached.conf"
	// dropIn makes systemd keep restarting memcached when its address is
	// not there yet at boot (see restartDropIn).
	dropIn = "/etc/systemd/system/memcached.service.d/fundament.conf"
	// group restarts the instances one at a time after a change: the
	// cache is lost per instance, not everywhere at once.
	group = "memcached"
	// maxConns bounds the connections per instance. Every API process
	// (Keystone, keystonemiddleware in the others) keeps a pool; 4096 is
	// far above what a control plane opens and far below what an
	// instance can serve.
	maxConns = 4096
)

// instance is a memcached on a host.
type instance struct {
	Host string
	Addr netip.Addr
}

func instances(c *model.Cloud) ([]instance, error) {
	ins, err := endpoint.Backends(c, c.Select(&c.Services.Memcached.Placement), "memcached listens there")
	if err != nil {
		return nil, err
	}
	out := make([]instance, len(ins))
	for i, in := range ins {
		out[i] = instance(in)
	}
	return out, nil
}

// Servers lists the instances as oslo.cache and keystonemiddleware take
// them (memcache_servers): address:11211, IPv6 as inet6:[address]:11211.
func Servers(c *model.Cloud) ([]string, error) {
	ins, err := instances(c)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = server(in.Addr)
	}
	return out, nil
}

// Ready lists every instance's memcached.service: a cache client (Keystone,
// a service's token cache) starts after all of them. One that starts
// first marks the missing servers dead for minutes and stores their keys
// on the others; Keystone's cache invalidation keys stay behind there,
// and when a server dies later its keys fall back onto those old values:
// in the lab, a catalog from before Placement was registered came back
// for minutes after the VIP holder (and its memcached) stopped.
func Ready(c *model.Cloud) []catalog.Ref {
	ins, err := instances(c)
	if err != nil {
		return nil
	}
	out := make([]catalog.Ref, len(ins))
	for i, in := range ins {
		out[i] = catalog.Ref{Host: in.Host, ID: resource.Service{Unit: unit}.ID()}
	}
	return out
}

func server(a netip.Addr) string {
	if a.Is6() {
		return "inet6:[" + a.String() + "]:" + strconv.Itoa(port)
	}
	return a.String() + ":" + strconv.Itoa(port)
}

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	c := in.Cloud
	ins, err := instances(c)
	if err != nil {
		return nil, nil, err
	}
	if len(ins) == 0 {
		return nil, nil, nil
	}
	pinned, err := in.Package(pkgName)
	if err != nil {
		return nil, nil, err
	}
	var items []*catalog.Item
	g := &catalog.Group{Name: group, BatchSize: 1}
	for _, inst := range ins {
		h := inst.Host
		add := func(r resource.Resource, after ...*catalog.Item) *catalog.Item {
			it := &catalog.Item{Host: h, Component: name, Resource: r}
			for _, a := range after {
				it.After = append(it.After, a.Ref())
			}
			items = append(items, it)
			return it
		}
		pkg := add(pinned)
		conf := add(resource.File{Path: confPath, Content: []byte(memcachedConf(inst, c.Services.Memcached.MemoryMB))}, pkg)
		drop := add(resource.File{Path: dropIn, Content: []byte(restartDropIn)}, pkg)
		// A changed file or package (an upgrade: installing starts and
		// restarts nothing) restarts memcached.
		svc := resource.Service{Unit: unit, Enabled: true, Running: true,
			Subscribes: []resource.ID{pkg.Resource.ID(), conf.Resource.ID(), drop.Resource.ID()}}
		it := add(svc, pkg, conf, drop)
		it.Subscribes = []catalog.Ref{pkg.Ref(), conf.Ref(), drop.Ref()}
		it.After = append(it.After, hostnet.Ready(h))
		it.Group = group
		g.Hosts = append(g.Hosts, h)
	}
	return items, []*catalog.Group{g}, nil
}

// confHeader begins the files Fundament writes.
const confHeader = "# Written by Fundament from the configuration repository; changes here are overwritten.\n"

// memcachedConf is /etc/memcached.conf, which Debian's unit turns into
// memcached's options (systemd-memcached-wrapper): one option a line.
func memcachedConf(in instance, memoryMB int) string {
	return confHeader +
		"# Memcached on " + in.Host + ": Keystone's token cache, one instance of the cloud's\n" +
		"# cache (clients spread keys over every instance). Read by Debian's\n" +
		"# systemd-memcached-wrapper: one option a line.\n" +
		"# Run as the package's unprivileged user.\n" +
		"-u memcache\n" +
		"# Only on the internal API address: memcached has no authentication.\n" +
		"-l " + in.Addr.String() + "\n" +
		"-p " + strconv.Itoa(port) + "\n" +
		"# No UDP (a reflection amplifier).\n" +
		"-U 0\n" +
		"# Cache size in MiB (memcached.memory_mb).\n" +
		"-m " + strconv.Itoa(memoryMB) + "\n" +
		"# Connections at once.\n" +
		"-c " + strconv.Itoa(maxConns) + "\n" +
		"-P /var/run/memcached/memcached.pid\n"
}

// restartDropIn: memcached binds its internal API address, which at boot
// may come up after it starts. Debian's unit restarts it (Restart=always)
// but every 100 ms, so it gives up after five tries; every two seconds
// and without a limit it waits for the address.
const restartDropIn = confHeader +
	"# Keep restarting until the internal API address is there (at boot).\n" +
	"[Unit]\n" +
	"StartLimitIntervalSec=0\n" +
	"\n" +
	"[Service]\n" +
	"RestartSec=2\n"
