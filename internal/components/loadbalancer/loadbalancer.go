// Package loadbalancer deploys the API endpoint: HAProxy on the hosts of
// loadbalancer.placement, serving the OpenStack APIs and Galera behind the
// virtual IPs of network.yaml (the public one with TLS), and keepalived
// moving each virtual IP between those hosts with VRRP. It also checks
// their health (health.go). See docs/loadbalancer.md.
package loadbalancer

import (
	"fmt"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// Component is the load balancer component.
type Component struct{}

const name = "loadbalancer"

func (Component) Name() string { return name }

// group rolls over the members one at a time: at most one HAProxy is
// reloaded, or one keepalived restarted, while the others hold the
// virtual IPs.
const group = "loadbalancer"

// stats is the secret of the statistics page's password.
const stats = "haproxy-stats"

// nowFunc is the clock the generated certificate is checked against.
var nowFunc = time.Now

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	c := in.Cloud
	t, err := newTopology(c)
	if err != nil || t == nil {
		return nil, nil, err
	}
	var pem []byte
	if endpoint.VIP(c, endpoint.Public) != nil {
		if pem, err = certificateBundle(in); err != nil {
			return nil, nil, err
		}
	}
	password, err := in.SecretValue(stats)
	if err != nil {
		return nil, nil, err
	}
	var items []*catalog.Item
	g := &catalog.Group{Name: group, BatchSize: 1}
	for i, m := range t.Members {
		its, err := memberItems(in, t, i, pem, password)
		if err != nil {
			return nil, nil, fmt.Errorf("host %s: %w", m.Host, err)
		}
		items = append(items, its...)
		g.Hosts = append(g.Hosts, m.Host)
	}
	return items, []*catalog.Group{g}, nil
}

// memberItems are member i's resources:
//
//	packages -> sysctl (non-local bind) -> certificate, environment,
//	haproxy.cfg -> haproxy.service -> reload on a changed configuration
//	-> keepalived.conf -> keepalived.service -> reload
//
// HAProxy starts before keepalived, so that a member never holds a
// virtual IP it cannot serve; both after the host's networks. The
// services and their reloads are in the rolling group.
func memberItems(in *catalog.Input, t *topology, i int, pem []byte, password string) ([]*catalog.Item, error) {
	m := t.Members[i]
	var items []*catalog.Item
	add := func(r resource.Resource, after ...*catalog.Item) *catalog.Item {
		it := &catalog.Item{Host: m.Host, Component: name, Resource: r}
		for _, a := range after {
			it.After = append(it.After, a.Ref())
		}
		items = append(items, it)
		return it
	}
	pkg := map[string]*catalog.Item{}
	for _, p := range []string{"haproxy", "keepalived"} {
		pinned, err := in.Package(p)
		if err != nil {
			return nil, err
		}
		pkg[p] = add(pinned)
	}
	sysctl := add(resource.File{Path: sysctlFile, Content: []byte(sysctlConf(t))})
	applySysctl := add(sysctlCommand(t), sysctl)
	applySysctl.Subscribes = []catalog.Ref{sysctl.Ref()}

	env := add(resource.File{Path: haproxyDefaults, Content: []byte(haproxyEnv(password)), Mode: "0600", Secret: true}, pkg["haproxy"])
	conf := add(resource.File{Path: haproxyConf, Content: []byte(haproxyConfig(t, m))}, pkg["haproxy"])
	configured := []*catalog.Item{pkg["haproxy"], applySysctl, env, conf}
	var cert *catalog.Item
	if pem != nil {
		dir := add(resource.Directory{Path: certDir, Mode: "0700"}, pkg["haproxy"])
		cert = add(resource.File{Path: publicPEM, Content: pem, Mode: "0600", Secret: true}, dir)
		configured = append(configured, cert)
	}
	haproxy := add(resource.Service{Unit: "haproxy.service", Enabled: true, Running: true,
		Subscribes: []resource.ID{pkg["haproxy"].Resource.ID(), env.Resource.ID()}}, configured...)
	// The password is in haproxy's environment, which only a restart
	// renews; an upgrade restarts nothing by itself.
	haproxy.Subscribes = []catalog.Ref{pkg["haproxy"].Ref(), env.Ref()}
	haproxy.After = append(haproxy.After, hostnet.Ready(m.Host))
	haproxy.Group = group
	// Debian's reload checks the configuration first (haproxy -c), then the
	// master starts new workers and the old ones finish their connections.
	reload := add(resource.Command{Name: "loadbalancer/haproxy-reload", Script: "systemctl reload haproxy.service\n", Idempotent: true}, haproxy)
	reload.Subscribes = []catalog.Ref{conf.Ref()}
	if cert != nil {
		reload.Subscribes = append(reload.Subscribes, cert.Ref())
	}
	reload.Group = group

	kconf := add(resource.File{Path: keepalivedConf, Content: []byte(keepalivedConfig(t, i))}, pkg["keepalived"])
	keepalived := add(resource.Service{Unit: "keepalived.service", Enabled: true, Running: true,
		Subscribes: []resource.ID{pkg["keepalived"].Resource.ID()}}, kconf, haproxy, reload)
	keepalived.Subscribes = []catalog.Ref{pkg["keepalived"].Ref()}
	keepalived.After = append(keepalived.After, hostnet.Ready(m.Host))
	keepalived.Group = group
	// A reload (SIGHUP) keeps the instances' states: the virtual IPs stay.
	kreload := add(resource.Command{Name: "loadbalancer/keepalived-reload", Script: "systemctl reload keepalived.service\n", Idempotent: true}, keepalived)
	kreload.Subscribes = []catalog.Ref{kconf.Ref()}
	kreload.Group = group
	return items, nil
}

// Ready are the items after which a member serves the virtual IPs
// (keepalived runs, after HAProxy), one per member in placement order;
// nil when the cloud has no virtual IPs. A component whose hosts reach a
// service through a virtual IP (Keystone its database on Galera) orders
// its first use after one of them.
func Ready(c *model.Cloud) []catalog.Ref {
	t, err := newTopology(c)
	if err != nil || t == nil {
		return nil
	}
	var out []catalog.Ref
	for _, m := range t.Members {
		out = append(out, catalog.Ref{Host: m.Host, ID: resource.Service{Unit: "keepalived.service"}.ID()})
	}
	return out
}
