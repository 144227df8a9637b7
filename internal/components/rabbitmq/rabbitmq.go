// Package rabbitmq deploys RabbitMQ, the message queue of OpenStack: a
// cluster over the hosts rabbitmq.placement selects (the control hosts),
// quorum queues by default, a vhost and user per OpenStack service that
// talks over the queue, and an administrator; it checks the cluster's
// health (health.go) and tells later components their transport URL.
package rabbitmq

import (
	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the RabbitMQ component.
type Component struct{}

const name = "rabbitmq"

func (Component) Name() string { return name }

// group rolls over the members one at a time: the first start of each
// (the others join the first) and every restart after a change.
const group = "rabbitmq"

const (
	serverPackage = "rabbitmq-server"
	serverUnit    = "rabbitmq-server.service"
	epmdUnit      = "epmd.socket"
	cookieSecret  = "rabbitmq-erlang-cookie"
	adminSecret   = "rabbitmq-admin"
)

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	c := in.Cloud
	t, err := newTopology(c)
	if err != nil {
		return nil, nil, err
	}
	if len(t.Members) == 0 {
		return nil, nil, nil
	}
	pkg, err := in.Package(serverPackage)
	if err != nil {
		return nil, nil, err
	}
	cookie, err := in.SecretValue(cookieSecret)
	if err != nil {
		return nil, nil, err
	}
	b := &builder{t: t}
	var ready []*catalog.Item // what the accounts wait for: every member in the cluster
	for i := range t.Members {
		ready = append(ready, b.member(i, pkg, cookie)...)
	}
	acc, err := accountsCommand(t, in.SecretValue)
	if err != nil {
		return nil, nil, err
	}
	b.add(t.Members[0].Host, acc, ready...)
	return b.items, []*catalog.Group{{Name: group, BatchSize: 1, Hosts: t.hosts()}}, nil
}

type builder struct {
	t     *topology
	items []*catalog.Item
}

func (b *builder) add(host string, r resource.Resource, after ...*catalog.Item) *catalog.Item {
	it := &catalog.Item{Host: host, Component: name, Resource: r}
	for _, a := range after {
		it.After = append(it.After, a.Ref())
	}
	b.items = append(b.items, it)
	return it
}

// member declares member i:
//
//	package (rolling group) -> cookie, rabbitmq.conf, rabbitmq-env.conf,
//	epmd.socket's drop-in -> epmd.socket -> rabbitmq-server (after
//	/etc/hosts and the host's networks) -> the join (where there is more
//	than one member)
//
// Installing the package starts nothing (resource.InstallScript), so the
// server and epmd first start once Fundament configured them: with the
// cluster's cookie, epmd on the internal address only. The package, the
// server and the join are the rolling group's: a member is upgraded,
// restarted (the server subscribes to its package) and joins only once
// the one before it is healthy, and only while the others are.
// It returns the items after which the member is in the cluster.
func (b *builder) member(i int, serverPkg resource.Package, cookie string) []*catalog.Item {
	m := b.t.Members[i]
	h := m.Host
	pkg := b.add(h, serverPkg)
	pkg.Group = group
	cookieFile := b.add(h, resource.File{Path: cookiePath, Content: []byte(cookie), Mode: "0400",
		Owner: "rabbitmq", Group: "rabbitmq", Secret: true}, pkg)
	conf := b.add(h, resource.File{Path: confPath, Content: []byte(rabbitmqConf(b.t, i))}, pkg)
	env := b.add(h, resource.File{Path: envConfPath, Content: []byte(rabbitmqEnvConf(b.t, i))}, pkg)
	dropIn := b.add(h, resource.File{Path: epmdDropIn, Content: []byte(epmdSocketConf(b.t, i))}, pkg)
	epmd := b.service(h, epmdUnit, []*catalog.Item{dropIn}, pkg)
	server := b.service(h, serverUnit, []*catalog.Item{pkg, cookieFile, conf, env}, pkg, epmd)
	server.After = append(server.After, hostnet.HostsFile(h), hostnet.Ready(h))
	server.Group = group
	if len(b.t.Members) == 1 {
		return []*catalog.Item{server}
	}
	join := b.add(h, joinCommand(b.t, i), server)
	join.Group = group
	return []*catalog.Item{server, join}
}

// service declares a unit that is enabled and running, restarted when
// one of the files it subscribes to changes.
func (b *builder) service(host, unit string, subscribes []*catalog.Item, after ...*catalog.Item) *catalog.Item {
	svc := resource.Service{Unit: unit, Enabled: true, Running: true}
	it := b.add(host, nil, after...)
	for _, s := range subscribes {
		svc.Subscribes = append(svc.Subscribes, s.Resource.ID())
		it.Subscribes = append(it.Subscribes, s.Ref())
	}
	it.Resource = svc
	return it
}
