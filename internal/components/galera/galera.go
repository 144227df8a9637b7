// Package galera deploys the MariaDB Galera cluster of the OpenStack
// databases on the hosts galera.placement selects: the server, its
// configuration, a safe start of the cluster (a new one, joins, and the
// recovery after every member stopped, from the member with the most
// recent position: decide.go), one database and account per OpenStack
// service, and the cluster's health (health.go). See docs/galera.md.
package galera

import (
	"fmt"
	"slices"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the Galera component.
type Component struct{}

const name = "galera"

func (Component) Name() string { return name }

// group rolls restarts over the members one at a time, each only while
// the others are healthy and the next only once it is Synced again.
const group = "galera"

// clusterCommand brings a member into the primary component: bootstrap,
// join or, when the decision is blocked, the reason why not.
const clusterCommand = "galera/cluster"

// sstUserCommand creates the SST account, on the seed right after the
// bootstrap: every joiner's state transfer needs it on its donor.
const sstUserCommand = "galera/sst-user"

var packages = []string{"galera-4", "mariadb-client", "mariadb-backup", "mariadb-server"}

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	c := in.Cloud
	ms, err := members(c)
	if err != nil {
		return nil, nil, err
	}
	if len(ms) == 0 {
		return nil, nil, nil
	}
	secret := func(name string) (string, error) {
		v, err := in.SecretValue(name)
		if err != nil {
			return "", err
		}
		return v, checkPassword(name, v)
	}
	sstPassword, err := secret("galera-mariabackup")
	if err != nil {
		return nil, nil, err
	}
	hosts := hostsOf(ms)
	var obs []*observed
	if in.Probe != nil {
		obs = probeAll(in.Probe, hosts)
	}
	b := &builder{c: c, ms: ms, d: decide(hosts, obs), clusters: map[string]*catalog.Item{}}
	for k := range b.d.Order {
		if err := b.member(in, k, sstPassword); err != nil {
			return nil, nil, err
		}
	}
	// The services' databases, on the first member (DatabaseRef), once it
	// is in the primary component.
	accounts := accountHosts(c)
	if len(accounts) == 0 {
		return nil, nil, fmt.Errorf("the cloud has no internal API network: the services' database accounts would admit no one")
	}
	for _, db := range serviceDatabases(c) {
		pw, err := secret(db.Secret)
		if err != nil {
			return nil, nil, err
		}
		b.add(ms[0].Host, resource.Command{Name: databaseCommandName(db.Service), Script: databaseScript(db, accounts),
			Guard: databaseGuard(db, accounts), Env: map[string]string{"GALERA_DB_PASSWORD": pw}, Timeout: "2m",
			Idempotent: true}, // IF NOT EXISTS, ALTER, GRANT
			b.clusters[ms[0].Host], b.sstUser)
	}
	g := &catalog.Group{Name: group, BatchSize: 1, Hosts: b.d.Order}
	return b.items, []*catalog.Group{g}, nil
}

// builder collects the items.
type builder struct {
	c  *model.Cloud
	ms []member
	d  decision
	// clusters are the members' cluster steps, sstUser the SST account's.
	clusters map[string]*catalog.Item
	sstUser  *catalog.Item
	items    []*catalog.Item
}

// member declares the k-th member of the decision's order:
//
//	packages (rolling group) -> configuration -> galera/cluster
//	(bootstrap, join or blocked; a joiner after the member before it and
//	the SST account) -> [the first: galera/sst-user] -> mariadb.service
//	(rolling group)
//
// Installing the packages starts no server (resource.InstallScript): the
// cluster step starts it, with Fundament's configuration. An upgrade is
// the rolling group's: a member's packages change only while the other
// members are healthy, and the server restarts on the new version
// (subscribed to its packages) before the next member's turn.
func (b *builder) member(in *catalog.Input, k int, sstPassword string) error {
	host := b.d.Order[k]
	i := slices.IndexFunc(b.ms, func(m member) bool { return m.Host == host })
	var pkgs []*catalog.Item
	for _, p := range packages {
		pkg, err := in.Package(p)
		if err != nil {
			return err
		}
		it := b.add(host, pkg)
		// The member's addresses exist before the server binds them.
		it.After = append(it.After, hostnet.Ready(host))
		it.Group = group
		pkgs = append(pkgs, it)
	}
	conf := b.add(host, resource.File{Path: configPath, Content: []byte(renderConfig(b.c, b.ms, i, sstPassword)),
		Mode: "0640", Owner: "root", Group: "mysql", Secret: true}, pkgs...)
	// Not idempotent: a bootstrap run twice could start a second cluster;
	// after a timeout the guard (a primary component) is asked again.
	cmd := resource.Command{Name: clusterCommand, Guard: guardPrimary, Timeout: "9m", Script: joinScript(host)}
	switch {
	case b.d.Mode == blocked:
		cmd.Script = blockedScript(host, b.d)
	case k == 0 && (b.d.Mode == fresh || b.d.Mode == recover):
		cmd.Script = bootstrapScript(b.ms, i, b.d)
	}
	cluster := b.add(host, cmd, conf)
	b.clusters[host] = cluster
	switch {
	case k == 0:
		b.sstUser = b.add(host, resource.Command{Name: sstUserCommand, Script: sstUserScript(), Guard: sstUserGuard(),
			Env: map[string]string{"GALERA_SST_PASSWORD": sstPassword}, Timeout: "2m", Idempotent: true}, cluster)
	case b.d.Mode != blocked:
		// One after another, each once the one before is a member and
		// the donors have the SST account.
		cluster.After = append(cluster.After, b.clusters[b.d.Order[k-1]].Ref(), b.sstUser.Ref())
	}
	// A configuration or package change restarts a serving member, one
	// at a time. Without a primary component nothing serves: the cluster
	// steps start every member with the configuration and packages as
	// they are, and a restart would only interrupt a member waiting for
	// its peers.
	svc := resource.Service{Unit: unit, Enabled: true, Running: true}
	it := b.add(host, nil, cluster)
	if b.d.Mode == running {
		for _, s := range append(pkgs, conf) {
			svc.Subscribes = append(svc.Subscribes, s.Resource.ID())
			it.Subscribes = append(it.Subscribes, s.Ref())
		}
	}
	it.Resource = svc
	it.Group = group
	return nil
}

func (b *builder) add(host string, r resource.Resource, after ...*catalog.Item) *catalog.Item {
	it := &catalog.Item{Host: host, Component: name, Resource: r}
	for _, a := range after {
		it.After = append(it.After, a.Ref())
	}
	b.items = append(b.items, it)
	return it
}
