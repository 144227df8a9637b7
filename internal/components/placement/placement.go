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
	"slices"

	"github.com/fundament-cloud/fundament/internal/apiservice"
	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/keystone"
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
var own string

// helper is the script on Placement's hosts: apiservice's and Placement's part.
var helper = apiservice.Helper(own)

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
	g, err := b.build()
	if err != nil {
		return nil, nil, err
	}
	return b.Items, []*catalog.Group{g}, nil
}

// builder collects the items of every Placement host.
type builder struct {
	apiservice.Builder
	c         *model.Cloud
	in        *catalog.Input
	hosts     []*model.Host
	authAfter []catalog.Ref
	conf      string
}

func newBuilder(in *catalog.Input, hosts []*model.Host) (*builder, error) {
	c := in.Cloud
	b := &builder{Builder: apiservice.Builder{Service: Service}, c: c, in: in, hosts: hosts}
	if err := b.Connect(in, hosts); err != nil {
		return nil, err
	}
	auth, err := keystone.NewAuthToken(in, Service)
	if err != nil {
		return nil, err
	}
	b.authAfter = auth.After
	b.conf = conf{Cloud: c, DatabaseURL: b.DatabaseURL, AuthToken: auth}.String()
	return b, nil
}

// build declares, on every host, the package, placement.conf, uwsgi's
// configuration, the unit's drop-in and the helper; then what every API
// service on the kit has (apiservice.Builder.Finish): the schema
// migration on the first host, placement-api.service on every host in
// the rolling group placement, restarted when one of its files or its
// package changes, and the retirement of the previous database password.
func (b *builder) build() (*catalog.Group, error) {
	hosts := make([]apiservice.Host, len(b.hosts))
	for i, h := range b.hosts {
		var pkgs []*catalog.Item
		for _, name := range packages {
			pkg, err := b.in.Package(name)
			if err != nil {
				return nil, err
			}
			pkgs = append(pkgs, b.Add(h.Name, pkg))
		}
		conf := b.Add(h.Name, resource.File{Path: confPath, Content: []byte(b.conf), Mode: "0640", Owner: "root", Group: "placement", Secret: true}, pkgs...)
		uwsgi := b.Add(h.Name, resource.File{Path: uwsgiPath, Content: []byte(uwsgiConf(b.c, b.Addrs[i]))}, pkgs...)
		drop := b.Add(h.Name, resource.File{Path: dropInPath, Content: []byte(dropIn())}, pkgs...)
		help := b.Add(h.Name, resource.File{Path: helperPath, Content: []byte(helper), Mode: "0755"}, pkgs...)
		restarts := append(slices.Clone(pkgs), conf, uwsgi, drop)
		hosts[i] = apiservice.Host{Name: h.Name, Prepared: append(slices.Clone(restarts), help), Restarts: restarts}
	}
	// The guard compares the schema's version with the migrations the
	// package ships (helper.py), so an upgraded package migrates again.
	schema := apiservice.Schema{HelperPath: helperPath, DatabaseURL: b.DatabaseURL, Manage: "placement-manage db sync"}
	return b.Finish(b.c, hosts, unit, schema, b.authAfter, b.DatabasePassword)
}
