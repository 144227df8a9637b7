// Package rabbitmq deploys RabbitMQ, the message queue of OpenStack: a
// cluster over the hosts rabbitmq.placement selects (the control hosts),
// quorum queues by default, a vhost and user per OpenStack service that
// talks over the queue, and an administrator; it checks the cluster's
// health (health.go) and tells later components their transport URL.
package rabbitmq

import (
	"strings"

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

// prepareCommand stops what the package's installation started (Debian
// starts rabbitmq-server, and through it epmd.service on every address,
// with the package's cookie) before Fundament first configures the host.
// The server alone would be fine (it subscribes to its files, so the
// plan's start becomes a restart), but epmd.service is not Fundament's:
// left running, it holds port 4369 on every address and epmd.socket,
// bound to the internal address, cannot start. Its guard holds once
// rabbitmq.conf is Fundament's, so it never stops a configured server.
var prepareCommand = resource.Command{
	Name: "rabbitmq/prepare",
	Script: `for unit in ` + serverUnit + ` epmd.service ` + epmdUnit + `; do
	if systemctl is-active -q "$unit"; then
		echo "fundament: stopping $unit, which runs before Fundament configured it (started by the package's installation)"
		systemctl stop "$unit"
	fi
done
`,
	Guard:      "grep -qsxF " + resource.Quote(strings.TrimSuffix(header, "\n")) + " " + confPath + "\n",
	Idempotent: true,
}

// member declares member i:
//
//	package -> prepare -> cookie, rabbitmq.conf, rabbitmq-env.conf, epmd.socket's
//	drop-in -> epmd.socket -> rabbitmq-server (after /etc/hosts and the
//	host's networks) -> the join (where there is more than one member)
//
// The cookie is written before the server first starts (the package's
// own, generated at installation, is replaced; where the package started
// a node already, the restart the changed cookie causes and the join
// repair that). The server and the join are the rolling group's: a
// member starts, and joins, only once the one before it is healthy.
// It returns the items after which the member is in the cluster.
func (b *builder) member(i int, serverPkg resource.Package, cookie string) []*catalog.Item {
	m := b.t.Members[i]
	h := m.Host
	pkg := b.add(h, serverPkg)
	prep := b.add(h, prepareCommand, pkg)
	cookieFile := b.add(h, resource.File{Path: cookiePath, Content: []byte(cookie), Mode: "0400",
		Owner: "rabbitmq", Group: "rabbitmq", Secret: true}, pkg, prep)
	conf := b.add(h, resource.File{Path: confPath, Content: []byte(rabbitmqConf(b.t, i))}, pkg, prep)
	env := b.add(h, resource.File{Path: envConfPath, Content: []byte(rabbitmqEnvConf(b.t, i))}, pkg, prep)
	dropIn := b.add(h, resource.File{Path: epmdDropIn, Content: []byte(epmdSocketConf(b.t, i))}, pkg, prep)
	epmd := b.service(h, epmdUnit, []*catalog.Item{dropIn}, pkg)
	server := b.service(h, serverUnit, []*catalog.Item{cookieFile, conf, env}, pkg, epmd)
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
