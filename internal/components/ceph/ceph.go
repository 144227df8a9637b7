// Package ceph deploys the Ceph cluster behind Glance, Cinder and Nova on
// the hosts services/ceph.yaml places it: monitors bootstrapped from the
// model (fsid and keys are generated secrets, in keyring files only),
// managers, one OSD per device with ceph-volume raw (a disk of this
// cluster adopted, anything else refused, nothing wiped), the pools and
// the consumers' cephx clients; restarts and upgrades roll one host at a
// time behind ok-to-stop, noout and the cluster's health (health.go).
// See docs/ceph.md.
package ceph

import (
	"slices"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the Ceph component.
type Component struct{}

const name = "ceph"

func (Component) Name() string { return name }

// group rolls over the Ceph hosts one at a time, monitors first.
const group = "ceph"

const (
	commonPackage = "ceph-common"
	monPackage    = "ceph-mon"
	mgrPackage    = "ceph-mgr"
	osdPackage    = "ceph-osd"
	osdTarget     = "ceph-osd.target"
	// The targets through which the daemons start at boot: Debian's
	// packages leave them disabled, and an enabled ceph-mgr@HOST is wanted
	// only by ceph-mgr.target (after a lab host's restart its manager
	// stayed down).
	monTarget  = "ceph-mon.target"
	mgrTarget  = "ceph-mgr.target"
	cephTarget = "ceph.target"
)

func monUnit(host string) string { return "ceph-mon@" + host + ".service" }
func mgrUnit(host string) string { return "ceph-mgr@" + host + ".service" }

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	t, err := newTopology(in.Cloud)
	if err != nil || t == nil {
		return nil, nil, err
	}
	k, err := readKeys(t, in.SecretValue)
	if err != nil {
		return nil, nil, err
	}
	b := &builder{t: t, k: k, in: in, serving: serving(in.Probe, t), perHost: map[string]*hostItems{}, clients: map[string]*catalog.Item{}}
	for _, h := range t.Hosts {
		if err := b.common(h); err != nil {
			return nil, nil, err
		}
	}
	for _, m := range t.Mons {
		b.monitor(m.Host)
	}
	b.config = b.add(t.first(), monConfigCommand(t), b.perHost[t.first()].mon)
	for _, h := range t.Mgrs {
		b.manager(h)
	}
	var osds []*catalog.Item
	for _, o := range t.OSDs {
		osds = append(osds, b.osds(o)...)
	}
	b.pools(osds)
	if err := b.consumers(); err != nil {
		return nil, nil, err
	}
	for _, h := range t.Hosts {
		b.bootTargets(h)
	}
	var groups []*catalog.Group
	if b.serving {
		groups = append(groups, &catalog.Group{Name: group, BatchSize: 1, Hosts: t.Hosts})
	}
	return b.items, groups, nil
}

// hostItems are a host's items that others wait for or subscribe to.
type hostItems struct {
	pkgs    []*catalog.Item // every Ceph package of the host
	conf    *catalog.Item   // ceph.conf
	admin   *catalog.Item   // the admin keyring
	mon     *catalog.Item   // ceph-mon@HOST
	daemons []*catalog.Item // the host's daemons' units (mon, mgr, the OSDs' target)
}

// bootTargets enables, once the host's daemons run, the targets that
// start them at boot: ceph-mon.target and ceph-mgr.target where the host
// has those daemons (ceph-osd.target is the OSDs' own unit), and
// ceph.target, which wants them.
func (b *builder) bootTargets(host string) {
	h := b.perHost[host]
	var targets []*catalog.Item
	if b.t.isMon(host) {
		targets = append(targets, b.add(host, resource.Service{Unit: monTarget, Enabled: true, Running: true}, h.daemons...))
	}
	if contains(b.t.Mgrs, host) {
		targets = append(targets, b.add(host, resource.Service{Unit: mgrTarget, Enabled: true, Running: true}, h.daemons...))
	}
	b.add(host, resource.Service{Unit: cephTarget, Enabled: true, Running: true}, append(targets, h.daemons...)...)
}

// restartCauses are what a daemon of the host restarts for.
func (h *hostItems) restartCauses() []*catalog.Item {
	return append(append([]*catalog.Item(nil), h.pkgs...), h.conf)
}

type builder struct {
	t       *topology
	k       *keys
	in      *catalog.Input
	serving bool
	perHost map[string]*hostItems
	clients map[string]*catalog.Item // ceph.conf on the hosts of Ceph's clients that are no Ceph hosts
	config  *catalog.Item            // ceph/mon-config on the first monitor
	items   []*catalog.Item
}

func (b *builder) add(host string, r resource.Resource, after ...*catalog.Item) *catalog.Item {
	it := &catalog.Item{Host: host, Component: name, Resource: r}
	for _, a := range after {
		it.After = append(it.After, a.Ref())
	}
	b.items = append(b.items, it)
	return it
}

// rolling puts an item in the rolling group while the cluster serves.
func (b *builder) rolling(it *catalog.Item) *catalog.Item {
	if b.serving {
		it.Group = group
	}
	return it
}

// subscribe makes it act again when one of causes changes.
func subscribe(it *catalog.Item, causes []*catalog.Item) {
	for _, c := range causes {
		it.Subscribes = append(it.Subscribes, c.Ref())
	}
}

// service declares a unit enabled and running that restarts when one of
// causes changes, in the rolling group.
func (b *builder) service(host, unit string, causes []*catalog.Item, after ...*catalog.Item) *catalog.Item {
	svc := resource.Service{Unit: unit, Enabled: true, Running: true}
	for _, c := range causes {
		svc.Subscribes = append(svc.Subscribes, c.Resource.ID())
	}
	it := b.add(host, svc, after...)
	subscribe(it, causes)
	return b.rolling(it)
}

// gateCommand declares a command that runs only when the host's daemon
// restarts (its guard always holds: it subscribes to the same causes).
func (b *builder) gateCommand(host string, cmd resource.Command, causes []*catalog.Item, after ...*catalog.Item) *catalog.Item {
	it := b.add(host, cmd, after...)
	subscribe(it, causes)
	return b.rolling(it)
}

// common declares what every Ceph host has: its packages (after host
// networking: the storage addresses exist before a daemon binds them;
// installing starts nothing), ceph.conf and the admin keyring.
func (b *builder) common(host string) error {
	t := b.t
	names := []string{commonPackage}
	if t.isMon(host) {
		names = append(names, monPackage)
	}
	if contains(t.Mgrs, host) {
		names = append(names, mgrPackage)
	}
	if t.osdHost(host) != nil {
		names = append(names, osdPackage)
	}
	h := &hostItems{}
	for _, n := range names {
		pkg, err := b.in.Package(n)
		if err != nil {
			return err
		}
		it := b.add(host, pkg)
		it.After = append(it.After, hostnet.Ready(host))
		h.pkgs = append(h.pkgs, b.rolling(it))
	}
	h.conf = b.add(host, resource.File{Path: confPath, Content: []byte(cephConf(t, b.k.FSID))}, h.pkgs...)
	h.admin = b.add(host, resource.File{Path: adminKeyring, Content: []byte(keyring(adminEntry(b.k.Admin))), Mode: "0600",
		Secret: true}, h.pkgs...)
	b.perHost[host] = h
	return nil
}

// monitor declares a monitor:
//
//	initial keyring -> ceph/mon-mkfs (once) -> ceph/mon-ok-to-stop (on a
//	restart) -> ceph-mon@HOST
func (b *builder) monitor(host string) {
	h := b.perHost[host]
	kr := b.add(host, resource.File{Path: monKeyring, Content: []byte(monInitialKeyring(b.k)), Mode: "0600",
		Owner: "ceph", Group: "ceph", Secret: true}, h.pkgs...)
	mkfs := b.add(host, mkfsCommand(b.t, host), h.conf, kr)
	gate := b.gateCommand(host, monOKToStopCommand(host), h.restartCauses(), mkfs, h.admin)
	h.mon = b.service(host, monUnit(host), h.restartCauses(), mkfs, gate)
	h.daemons = append(h.daemons, h.mon)
}

// manager declares a manager: its key, made in the cluster once the
// monitors serve, then ceph-mgr@HOST (a standby takes over while it
// restarts).
func (b *builder) manager(host string) {
	h := b.perHost[host]
	key := b.add(host, mgrKeyringCommand(host), h.conf, h.admin, b.config)
	after := []*catalog.Item{key}
	if h.mon != nil {
		after = append(after, h.mon) // a host's daemons restart in Ceph's order: mon, mgr, osd
	}
	h.daemons = append(h.daemons, b.service(host, mgrUnit(host), h.restartCauses(), after...))
}

// osds declares an OSD host:
//
//	bootstrap-osd keyring -> ceph/osd-DEV per device -> ceph/osd-noout
//	(on a restart) -> ceph-osd.target -> ceph/osd-up
//
// It returns the device steps: the pools wait for them.
func (b *builder) osds(o osdHost) []*catalog.Item {
	h := b.perHost[o.Host]
	kr := b.add(o.Host, resource.File{Path: bootstrapOSDKeyring, Content: []byte(keyring(keyringEntry{Entity: "client.bootstrap-osd", Key: b.k.BootstrapOSD})),
		Mode: "0600", Owner: "ceph", Group: "ceph", Secret: true}, h.pkgs...)
	var devs []*catalog.Item
	for _, d := range o.Devices {
		devs = append(devs, b.add(o.Host, osdCommand(o.Host, d), h.conf, h.admin, kr, b.config))
	}
	after := append([]*catalog.Item(nil), devs...)
	if h.mon != nil {
		after = append(after, h.mon)
	}
	noout := b.gateCommand(o.Host, osdNooutCommand(o.Host), h.restartCauses(), after...)
	target := b.service(o.Host, osdTarget, h.restartCauses(), noout)
	h.daemons = append(h.daemons, target)
	b.gateCommand(o.Host, osdUpCommand(o.Host), h.restartCauses(), target)
	return devs
}

// pools declares, on the first monitor, every pool once the OSDs exist
// (an rbd pool's init writes to it), then the clients.
func (b *builder) pools(osds []*catalog.Item) {
	first := b.t.first()
	after := append([]*catalog.Item{b.config}, osds...)
	var pools []*catalog.Item
	for _, p := range b.t.Pools {
		pools = append(pools, b.add(first, poolCommand(p), after...))
	}
	for _, cl := range b.t.Clients {
		kr := b.add(first, resource.File{Path: clientKeyring(cl.Name), Content: []byte(keyring(clientEntry(cl, b.k.Clients[cl.Name]))),
			Mode: "0600", Secret: true}, b.perHost[first].pkgs...)
		it := b.add(first, clientCommand(cl), append([]*catalog.Item{kr}, pools...)...)
		subscribe(it, []*catalog.Item{kr})
	}
}

func contains(hs []string, h string) bool { return slices.Contains(hs, h) }
