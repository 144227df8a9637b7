// Package placement deploys Placement, OpenStack's inventory of resource
// providers and their allocations (what Nova's scheduler asks where a
// server fits), on the hosts openstack.placement.hosts places it on (the
// control hosts by default): uwsgi on each host's internal API address
// behind HAProxy's virtual IPs, its database in Galera, its Keystone
// user and catalog entries registered by Keystone from the service's
// declaration (service.go), the schema migrated once and guarded by a
// check of the database, and a rolling restart gated on its health
// (health.go). docs/placement.md tells the whole story.
//
// It is the kit's proof: everything the shared components do for it
// (database, account, password, user, endpoints, frontends, secrets,
// the service-network rule) comes from the declaration; this package
// holds only what is Placement's own.
package placement

import (
	_ "embed"
	"fmt"
	"net/netip"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/galera"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the Placement component.
type Component struct{}

// Name is also the component of the health checks the rolling group
// gates on.
func (Component) Name() string { return "placement" }

// group rolls Placement's restarts over its hosts one at a time.
const group = "placement"

//go:embed helper.py
var helper string

// packages on every Placement host: the API (placement-manage and
// placement-status come with python3-placement, its dependency).
var packages = []string{"placement-api"}

// Hosts are Placement's hosts; the first runs the schema migration.
func Hosts(c *model.Cloud) []*model.Host { return Service.Hosts(c) }

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	hosts := Hosts(in.Cloud)
	if len(hosts) == 0 {
		return nil, nil, nil
	}
	b, err := newBuilder(in, hosts)
	if err != nil {
		return nil, nil, err
	}
	if err := b.build(); err != nil {
		return nil, nil, err
	}
	g := &catalog.Group{Name: group, BatchSize: 1}
	for _, h := range hosts {
		g.Hosts = append(g.Hosts, h.Name)
	}
	return b.items, []*catalog.Group{g}, nil
}

// builder collects the items of every Placement host.
type builder struct {
	c     *model.Cloud
	in    *catalog.Input
	hosts []*model.Host
	addrs []netip.Addr // internal API address of each host
	items []*catalog.Item

	dbURL, dbPassword string
	dbRef             catalog.Ref
	authAfter         []catalog.Ref
	conf              string
}

func newBuilder(in *catalog.Input, hosts []*model.Host) (*builder, error) {
	c := in.Cloud
	b := &builder{c: c, in: in, hosts: hosts}
	backends, err := endpoint.Backends(c, hosts, "Placement listens there")
	if err != nil {
		return nil, err
	}
	for _, a := range backends {
		b.addrs = append(b.addrs, a.Addr)
	}
	if b.dbPassword, err = in.SecretValue(Service.DatabaseSecret()); err != nil {
		return nil, err
	}
	if b.dbURL, err = galera.ConnectionURL(c, Service.Name, b.dbPassword); err != nil {
		return nil, fmt.Errorf("placement's database: %w", err)
	}
	if b.dbRef, err = galera.DatabaseRef(c, Service.Name); err != nil {
		return nil, fmt.Errorf("placement's database: %w", err)
	}
	auth, err := keystone.NewAuthToken(in, Service)
	if err != nil {
		return nil, err
	}
	b.authAfter = auth.After
	b.conf = conf{Cloud: c, DatabaseURL: b.dbURL, AuthToken: auth}.String()
	return b, nil
}

func (b *builder) add(host string, r resource.Resource, after ...*catalog.Item) *catalog.Item {
	it := &catalog.Item{Host: host, Component: "placement", Resource: r}
	for _, a := range after {
		it.After = append(it.After, a.Ref())
	}
	b.items = append(b.items, it)
	return it
}

// build declares, on every host, the package, placement.conf, uwsgi's
// configuration, the unit's drop-in and the helper; then on the first
// host the schema migration (after Galera made the database); then
// placement-api.service on every host (rolling group placement, after
// the migration and after Keystone registered the placement user the
// middleware logs in with), restarted when one of its files changes.
func (b *builder) build() error {
	type hostItems struct{ prepared, restarts []*catalog.Item }
	per := make([]hostItems, len(b.hosts))
	for i, h := range b.hosts {
		var pkgs []*catalog.Item
		for _, name := range packages {
			pkg, err := b.in.Package(name)
			if err != nil {
				return err
			}
			pkgs = append(pkgs, b.add(h.Name, pkg))
		}
		conf := b.add(h.Name, resource.File{Path: confPath, Content: []byte(b.conf), Mode: "0640", Owner: "root", Group: "placement", Secret: true}, pkgs...)
		uwsgi := b.add(h.Name, resource.File{Path: uwsgiPath, Content: []byte(uwsgiConf(b.c, b.addrs[i]))}, pkgs...)
		drop := b.add(h.Name, resource.File{Path: dropInPath, Content: []byte(dropIn())}, pkgs...)
		help := b.add(h.Name, resource.File{Path: helperPath, Content: []byte(helper), Mode: "0755"}, pkgs...)
		// An upgrade restarts nothing by itself (apt runs under a
		// policy-rc.d that denies): the service subscribes to its package.
		per[i] = hostItems{prepared: append(pkgs, conf, uwsgi, drop, help), restarts: append(pkgs, conf, uwsgi, drop)}
	}
	first := b.hosts[0].Name
	sync := b.add(first, b.dbSync(), per[0].prepared...)
	sync.After = append(sync.After, b.dbRef)

	var services []*catalog.Item
	for i, h := range b.hosts {
		svc := resource.Service{Unit: unit, Enabled: true, Running: true}
		it := b.add(h.Name, nil, per[i].prepared...)
		it.After = append(append(it.After, sync.Ref(), hostnet.Ready(h.Name)), b.authAfter...)
		for _, r := range per[i].restarts {
			svc.Subscribes = append(svc.Subscribes, r.Resource.ID())
			it.Subscribes = append(it.Subscribes, r.Ref())
		}
		it.Resource, it.Group = svc, group
		services = append(services, it)
	}
	return b.retirePreviousDBPassword(services, sync)
}

// dbSync brings the schema to the installed Placement's heads, once the
// database answers through the virtual IP (HAProxy and Galera may still
// be starting in the same apply). The guard compares the schema's
// version with the migrations the package ships, so an upgraded package
// migrates again. placement-manage runs as the placement user: as root
// it would leave a log file uwsgi cannot open.
func (b *builder) dbSync() resource.Command {
	return resource.Command{
		Name:  "placement/db-sync",
		Guard: helperCmd("synced"),
		Env:   map[string]string{"FM_DB_URL": b.dbURL},
		Script: "set -e\n" +
			helperCmd("wait", "600") + "\n" +
			"runuser -u placement -- placement-manage db sync\n",
		Timeout: "30m",
	}
}

// helperCmd runs helper.py with arguments (quoted).
func helperCmd(args ...string) string {
	return "python3 " + helperPath + " " + resource.QuoteArgs(args...)
}
