// Package glance deploys Glance, OpenStack's image service, on the hosts
// openstack.glance.hosts places it on (the control hosts by default):
// Debian's glance-api on each host's internal API address behind
// HAProxy's virtual IPs, its images in Ceph's images pool (RBD) or in
// files, its database in Galera, its Keystone user and catalog entries
// registered by Keystone from the service's declaration (service.go),
// the schema migrated once and guarded by a check of the database, and a
// rolling restart gated on its health (health.go). docs/glance.md tells
// the whole story.
package glance

import (
	_ "embed"
	"fmt"
	"slices"

	"github.com/fundament-cloud/fundament/internal/apiservice"
	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/ceph"
	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the Glance component.
type Component struct{}

// Name is also the component of the health checks the rolling group
// gates on.
func (Component) Name() string { return "glance" }

// group rolls Glance's restarts over its hosts one at a time
// (apiservice names it after the service).
const group = "glance"

//go:embed helper.py
var own string

// helper is the script on Glance's hosts: apiservice's and Glance's part.
var helper = apiservice.Helper(own)

// Hosts are Glance's hosts; the first runs the schema migration.
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

// builder collects the items of every Glance host.
type builder struct {
	apiservice.Builder
	c     *model.Cloud
	in    *catalog.Input
	hosts []*model.Host
	store string
	auth  keystone.AuthToken
}

func newBuilder(in *catalog.Input, hosts []*model.Host) (*builder, error) {
	c := in.Cloud
	b := &builder{Builder: apiservice.Builder{Service: Service}, c: c, in: in, hosts: hosts, store: storeOf(c)}
	if b.store != storeRBD && b.store != storeFile {
		return nil, fmt.Errorf("glance: no store %q (rbd or file; validation says so too)", b.store)
	}
	if err := b.Connect(in, hosts); err != nil {
		return nil, err
	}
	var err error
	if b.auth, err = keystone.NewAuthToken(in, Service); err != nil {
		return nil, err
	}
	return b, nil
}

// build declares, on every host, the packages, glance-api.conf, the
// staging and tasks directories and the helper; then what every API
// service on the kit has (apiservice.Builder.Finish): the schema
// migration on the first host, glance-api.service on every host in the
// rolling group glance, restarted when its configuration or a package
// changes, and the retirement of the previous database password.
func (b *builder) build() (*catalog.Group, error) {
	hosts := make([]apiservice.Host, len(b.hosts))
	for i, h := range b.hosts {
		var pkgs []*catalog.Item
		for _, name := range []string{"glance-api"} {
			pkg, err := b.in.Package(name)
			if err != nil {
				return nil, err
			}
			pkgs = append(pkgs, b.Add(h.Name, pkg))
		}
		text := conf{Cloud: b.c, Addr: b.Addrs[i], DatabaseURL: b.DatabaseURL, AuthToken: b.auth, Store: b.store}.String()
		cf := b.Add(h.Name, resource.File{Path: confPath, Content: []byte(text), Mode: "0640", Owner: "root", Group: "glance", Secret: true}, pkgs...)
		prepared := append(slices.Clone(pkgs), cf)
		for _, dir := range []string{stagingDir, tasksDir} {
			prepared = append(prepared, b.Add(h.Name, resource.Directory{Path: dir, Mode: "0750", Owner: "glance", Group: "glance"}, pkgs...))
		}
		prepared = append(prepared, b.Add(h.Name, resource.File{Path: helperPath, Content: []byte(helper), Mode: "0755"}, pkgs...))
		hosts[i] = apiservice.Host{Name: h.Name, Prepared: prepared, Restarts: append(slices.Clone(pkgs), cf)}
		if cc := Service.CephClientOf(b.c); cc != nil {
			// librados reads ceph.conf and the keyring at each connection:
			// the unit waits for them, and restarts for neither.
			hosts[i].After = append(hosts[i].After, ceph.ClientReady(h.Name, cc.Client))
		}
	}
	// glance-manage db sync runs expand, the data migrations and
	// contract (offline); the guard is glance-manage db check's test,
	// read without starting Glance (helper.py).
	schema := apiservice.Schema{HelperPath: helperPath, DatabaseURL: b.DatabaseURL, Manage: "glance-manage db sync"}
	return b.Finish(b.c, hosts, unit, schema, b.auth.After, b.DatabasePassword)
}
