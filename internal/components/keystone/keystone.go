// Package keystone deploys Keystone, OpenStack's identity service, on the
// hosts openstack.keystone.hosts places it on (the control hosts by
// default): uwsgi on each host's internal API address behind HAProxy's
// virtual IPs, its database in Galera, tokens cached in memcached, Fernet
// and credential keys generated once as secrets and written to every
// host, and the one-time steps (schema, bootstrap of the administrator
// and the catalog's identity endpoints, the service project) guarded by
// checks of the database. It also checks Keystone's health (health.go)
// and rotates its keys (keys.go; `fundament openstack rotate-keys`).
// docs/keystone.md tells the whole story.
package keystone

import (
	_ "embed"
	"fmt"
	"net/netip"
	"path"
	"strconv"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/components/memcached"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the Keystone component.
type Component struct{}

// Name is also the component of the health checks the rolling group
// gates on.
func (Component) Name() string { return "keystone" }

// group rolls Keystone's restarts over its hosts one at a time.
const group = "keystone"

// Secrets of Keystone's beyond its database password (Service).
const (
	AdminSecret = "keystone-admin"
	// MemcacheSecret is keystonemiddleware's memcache_secret_key, which
	// every API service shares.
	MemcacheSecret = "memcache-secret-key"
)

// The administrator keystone-manage bootstrap creates, and the project of
// the services' users.
const (
	AdminUser      = "admin"
	AdminProject   = "admin"
	AdminRole      = "admin"
	DefaultDomain  = "Default"
	ServiceProject = "service"
)

//go:embed helper.py
var helper string

// packages on every Keystone host: Keystone (first: its upgrade restarts
// the service), and the openstack client operators run there with the
// admin's clouds.yaml.
var packages = []string{"keystone", "python3-openstackclient"}

// Enabled says whether the cloud runs Keystone.
func Enabled(c *model.Cloud) bool { return Service.Enabled(c) }

// Hosts are Keystone's hosts; the first runs the one-time steps.
func Hosts(c *model.Cloud) []*model.Host { return Service.Hosts(c) }

// Region is the region of the identity endpoints: the cloud's first.
func Region(c *model.Cloud) string {
	if len(c.Spec.Regions) == 0 {
		return ""
	}
	return c.Spec.Regions[0].Name
}

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	c := in.Cloud
	hosts := Hosts(c)
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

// builder collects the items of every Keystone host.
type builder struct {
	c     *model.Cloud
	hosts []*model.Host
	addrs []netip.Addr // internal API address of each host
	in    *catalog.Input
	items []*catalog.Item

	dbURL, dbPassword, adminPassword string
	dbRef                            catalog.Ref
	conf                             string
	hostClouds                       []byte // the admin's clouds.yaml on the hosts
	ca                               []byte // the CA of the public endpoint, nil when none is needed
	keys                             map[string]keySet
	publicURL                        string
	internalURL                      string
}

// keySet is a key repository's keys: index -> value.
type keySet struct {
	repo    KeyRepo
	indices []int
	values  map[int]string
}

func newBuilder(in *catalog.Input, hosts []*model.Host) (*builder, error) {
	c := in.Cloud
	b := &builder{c: c, in: in, hosts: hosts, keys: map[string]keySet{}}
	backends, err := endpoint.Backends(c, hosts, "Keystone listens there")
	if err != nil {
		return nil, err
	}
	for _, a := range backends {
		b.addrs = append(b.addrs, a.Addr)
	}
	api := Service.Endpoint()
	var ok bool
	if b.publicURL, ok = endpoint.URL(c, endpoint.Public, api); !ok {
		return nil, fmt.Errorf("keystone needs a public virtual IP (network.yaml virtual_ips, name public)")
	}
	if b.internalURL, ok = endpoint.URL(c, endpoint.Internal, api); !ok {
		return nil, fmt.Errorf("keystone needs an internal virtual IP (network.yaml virtual_ips, name internal)")
	}
	if Region(c) == "" {
		return nil, fmt.Errorf("keystone needs a region (cloud.yaml regions)")
	}
	secret := in.SecretValue
	dbPassword, err := secret(Service.DatabaseSecret())
	if err != nil {
		return nil, err
	}
	b.dbPassword = dbPassword
	if b.adminPassword, err = secret(AdminSecret); err != nil {
		return nil, err
	}
	if b.dbURL, err = databaseURL(c, dbPassword); err != nil {
		return nil, fmt.Errorf("keystone's database: %w", err)
	}
	if b.dbRef, err = databaseRef(c); err != nil {
		return nil, fmt.Errorf("keystone's database: %w", err)
	}
	caches, err := memcacheServers(c, Service.Name)
	if err != nil {
		return nil, err
	}
	b.conf = conf{Cloud: c, DatabaseURL: b.dbURL, MemcacheServer: caches}.String()
	for _, repo := range KeyRepos {
		indices, err := repo.Indices(in.RepoDir)
		if err != nil {
			return nil, err
		}
		if err := repo.checkIndices(indices); err != nil {
			return nil, err
		}
		ks := keySet{repo: repo, indices: indices, values: map[int]string{}}
		for _, i := range indices {
			if ks.values[i], err = secret(repo.Secret(i)); err != nil {
				return nil, err
			}
		}
		b.keys[repo.Name] = ks
	}
	if b.ca, err = endpoint.CACertificate(c, in.RepoDir, secret); err != nil {
		return nil, err
	}
	if b.hostClouds, err = hostCloudsYAML(c, b.adminPassword, b.ca != nil); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *builder) add(host string, r resource.Resource, after ...*catalog.Item) *catalog.Item {
	it := &catalog.Item{Host: host, Component: "keystone", Resource: r}
	for _, a := range after {
		it.After = append(it.After, a.Ref())
	}
	b.items = append(b.items, it)
	return it
}

// hostItems are what each host gets before the one-time steps.
type hostItems struct {
	prepared []*catalog.Item // everything the service needs on the host
	restarts []*catalog.Item // what it restarts on
	credKeys []*catalog.Item // the credential key files
}

// build declares, on every host:
//
//	packages -> key directories -> key files (new primary first, staged
//	0 last) -> removal of purged keys; keystone.conf, uwsgi, drop-in,
//	helper; clouds.yaml and CA
//
// then on the first host the database schema and the bootstrap, then
// keystone.service on every host (rolling group keystone, after the
// bootstrap: a Keystone that serves has its administrator), and on the
// first host the service project once Keystone serves there, then the
// other services' users and catalog entries (register.go), and the
// re-encryption of credentials once every host has the credential keys.
func (b *builder) build() error {
	per := make([]hostItems, len(b.hosts))
	for i, h := range b.hosts {
		hi, err := b.prepare(h.Name, b.addrs[i])
		if err != nil {
			return err
		}
		per[i] = hi
	}
	first := b.hosts[0].Name
	sync := b.add(first, b.dbSync(), per[0].prepared...)
	// keystone-manage and the services after it use the cache: every
	// memcached runs first (memcached.Ready says why).
	sync.After = append(append(sync.After, b.dbRef), memcached.Ready(b.c)...)
	boot := b.add(first, b.bootstrap(), sync)

	var services []*catalog.Item
	for i, h := range b.hosts {
		svc := resource.Service{Unit: unit, Enabled: true, Running: true}
		it := b.add(h.Name, nil, per[i].prepared...)
		it.After = append(it.After, sync.Ref(), boot.Ref(), hostnet.Ready(h.Name))
		for _, r := range per[i].restarts {
			svc.Subscribes = append(svc.Subscribes, r.Resource.ID())
			it.Subscribes = append(it.Subscribes, r.Ref())
		}
		it.Resource, it.Group = svc, group
		services = append(services, it)
	}
	// A rotated database password: the account accepted the previous one
	// too while the members were restarted one by one; no longer.
	retire, err := retirePreviousDBPassword(b.c, b.dbPassword, append(services, sync, boot)...)
	if err != nil {
		return fmt.Errorf("keystone's database: %w", err)
	}
	b.items = append(b.items, retire)
	project := b.add(first, b.serviceProject(), boot, services[0])
	// The other services' users and catalog entries, once the service
	// project exists.
	for _, svc := range registered(b.c) {
		cmd, err := b.register(svc)
		if err != nil {
			return err
		}
		b.add(first, cmd, project)
	}

	migrate := b.add(first, b.credentialMigrate(), sync)
	for i := range b.hosts {
		for _, k := range per[i].credKeys {
			migrate.After = append(migrate.After, k.Ref())
		}
	}
	return nil
}

// prepare declares a host's packages, keys and files.
func (b *builder) prepare(host string, addr netip.Addr) (hostItems, error) {
	var hi hostItems
	var pkgs []*catalog.Item
	for _, name := range packages {
		pkg, err := b.in.Package(name)
		if err != nil {
			return hi, err
		}
		pkgs = append(pkgs, b.add(host, pkg))
	}
	hi.prepared = append(hi.prepared, pkgs...)
	for _, repo := range KeyRepos {
		files := b.keyFiles(host, b.keys[repo.Name], pkgs)
		hi.prepared = append(hi.prepared, files...)
		if repo.Name == CredentialKeys.Name {
			hi.credKeys = files
		}
	}
	confItem := b.add(host, resource.File{Path: confPath, Content: []byte(b.conf), Mode: "0640", Owner: "root", Group: "keystone", Secret: true}, pkgs...)
	uwsgi := b.add(host, resource.File{Path: uwsgiPath, Content: []byte(uwsgiConf(b.c, addr))}, pkgs...)
	drop := b.add(host, resource.File{Path: dropInPath, Content: []byte(dropIn())}, pkgs...)
	help := b.add(host, resource.File{Path: helperPath, Content: []byte(helper), Mode: "0755"}, pkgs...)
	hi.prepared = append(hi.prepared, confItem, uwsgi, drop, help)
	// An upgrade restarts nothing by itself: the service subscribes to its
	// package too.
	hi.restarts = []*catalog.Item{pkgs[0], confItem, uwsgi, drop}

	// The admin's clouds.yaml for the openstack client (and the health
	// check) on the host, with the public endpoint's CA.
	if b.ca != nil {
		b.add(host, resource.File{Path: hostCAPath(b.c), Content: b.ca})
	}
	b.add(host, resource.File{Path: hostCloudsPath, Content: b.hostClouds, Mode: "0600", Secret: true})
	return hi, nil
}

// keyFiles writes a key repository: the directory, then the keys from
// the highest index down, the staged key 0 last, then the removal of keys
// the repository no longer has. The order matters while a rotation is
// distributed: a host takes the new primary before its old staged key
// (the same value) is replaced, so it never lacks a key another host
// already encrypts with.
func (b *builder) keyFiles(host string, ks keySet, after []*catalog.Item) []*catalog.Item {
	dir := b.add(host, resource.Directory{Path: ks.repo.Dir, Mode: "0700", Owner: "keystone", Group: "keystone"}, after...)
	out := []*catalog.Item{dir}
	prev := dir
	for j := len(ks.indices) - 1; j >= 0; j-- {
		i := ks.indices[j]
		f := b.add(host, resource.File{Path: path.Join(ks.repo.Dir, strconv.Itoa(i)), Content: []byte(ks.values[i]),
			Mode: "0600", Owner: "keystone", Group: "keystone", Secret: true}, prev)
		out = append(out, f)
		prev = f
	}
	out = append(out, b.add(host, pruneKeys(ks), prev))
	return out
}

// pruneKeys removes what a key directory holds beyond the repository's
// keys: the keys a rotation purged, and any keystone-manage fernet_setup
// may have made.
func pruneKeys(ks keySet) resource.Command {
	find := "find " + resource.Quote(ks.repo.Dir) + " -mindepth 1 -maxdepth 1"
	for _, i := range ks.indices {
		find += " ! -name " + strconv.Itoa(i)
	}
	return resource.Command{
		Name:       "keystone/" + ks.repo.Name + "-keys-prune",
		Guard:      "[ -z \"$(" + find + " -print -quit)\" ]",
		Script:     "set -e\n" + find + " -print -exec rm -rf -- {} +\n",
		Idempotent: true,
	}
}

// helperCmd runs helper.py with arguments (quoted).
func helperCmd(args ...string) string {
	return "python3 " + helperPath + " " + resource.QuoteArgs(args...)
}

// asKeystone runs keystone-manage as the keystone user: as root it would
// create /var/log/keystone/keystone.log owned by root, which uwsgi (user
// keystone) then cannot open.
func asKeystone(args string) string {
	return "runuser -u keystone -- keystone-manage " + args
}
