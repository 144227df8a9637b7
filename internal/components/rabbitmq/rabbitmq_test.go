package rabbitmq

// The compiled catalog: golden files of the items for examples/lab and
// examples/production and of rabbitmq.conf (go test
// ./internal/components/rabbitmq -update rewrites them), and what the
// goldens do not make obvious: ordering, the rolling group, secrets kept
// out of scripts, the transport URL.

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/catalogtext"
	"github.com/fundament-cloud/fundament/internal/testutil/example"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

// fakeSecret returns a recognisable value per secret, so that a test can
// look for it wherever it must not be.
func fakeSecret(name string) (string, error) { return "SECRET(" + name + ")", nil }

func compile(t *testing.T, c *model.Cloud) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Compile(&catalog.Input{Cloud: c, Secret: fakeSecret}, hostnet.Component{}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// render prints the component's items per host in the order the engine
// applies them.
func render(cat *catalog.Catalog) string {
	return catalogtext.Render(cat, catalogtext.Options{Items: catalogtext.Of(name),
		Groups: func(g *catalog.Group) bool { return g.Name == group }})
}

func TestGolden(t *testing.T) {
	lab := example.Load(t, "lab")
	golden.Check(t, "lab.txt", render(compile(t, lab)))
	golden.Check(t, "production.txt", render(compile(t, example.Load(t, "production"))))
	top, err := newTopology(lab)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "rabbitmq-lab-ctl-1.conf", rabbitmqConf(top, 0))
	prod, err := newTopology(example.Load(t, "production"))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "rabbitmq-production-ctl-1.conf", rabbitmqConf(prod, 0))
}

func item(t *testing.T, cat *catalog.Catalog, host string, id resource.ID) *catalog.Item {
	t.Helper()
	it, ok := cat.Get(catalog.Ref{Host: host, ID: id})
	if !ok {
		t.Fatalf("%s has no %s", host, id)
	}
	return it
}

var (
	serverID   = resource.Service{Unit: serverUnit}.ID()
	joinID     = resource.Command{Name: "rabbitmq/join"}.ID()
	accountsID = resource.Command{Name: "rabbitmq/accounts"}.ID()
	cookieID   = resource.File{Path: cookiePath}.ID()
)

func hasRef(refs []catalog.Ref, r catalog.Ref) bool { return slices.Contains(refs, r) }

func TestOrderingAndGroup(t *testing.T) {
	c := example.Load(t, "lab")
	cat := compile(t, c)
	members := []string{"ctl-1", "ctl-2", "ctl-3"}
	if g := cat.Groups[group]; g == nil || g.BatchSize != 1 || !slices.Equal(g.Hosts, members) {
		t.Fatalf("rolling group: %+v", g)
	}
	acc := item(t, cat, "ctl-1", accountsID)
	for _, h := range members {
		server := item(t, cat, h, serverID)
		if server.Group != group {
			t.Errorf("%s: the server is not in the rolling group", h)
		}
		for _, dep := range []catalog.Ref{{Host: h, ID: cookieID}, hostnet.HostsFile(h), hostnet.Ready(h),
			{Host: h, ID: resource.Service{Unit: epmdUnit}.ID()}} {
			if !hasRef(server.After, dep) && !hasRef(server.Subscribes, dep) {
				t.Errorf("%s: the server does not start after %s", h, dep)
			}
		}
		if !hasRef(server.Subscribes, catalog.Ref{Host: h, ID: cookieID}) {
			t.Errorf("%s: a new cookie does not restart the server", h)
		}
		// The package is upgraded inside the rolling group, and its
		// change restarts the server (its installation does not).
		pkg := item(t, cat, h, resource.Package{Name: serverPackage}.ID())
		if pkg.Group != group || !hasRef(server.Subscribes, pkg.Ref()) ||
			!slices.Contains(server.Resource.(resource.Service).Subscribes, pkg.Resource.ID()) {
			t.Errorf("%s: the package is outside the rolling group or does not restart the server: %+v", h, pkg)
		}
		for _, path := range []string{cookiePath, confPath, envConfPath, epmdDropIn} {
			if f := item(t, cat, h, resource.File{Path: path}.ID()); !hasRef(f.After, pkg.Ref()) {
				t.Errorf("%s: %s is written before the package is installed", h, path)
			}
		}
		cookie := item(t, cat, h, cookieID).Resource.(resource.File)
		if !cookie.Secret || cookie.Mode != "0400" || cookie.Owner != "rabbitmq" || string(cookie.Content) != "SECRET(rabbitmq-erlang-cookie)" {
			t.Errorf("%s: cookie %+v", h, cookie)
		}
		join := item(t, cat, h, joinID)
		if join.Group != group || !hasRef(join.After, server.Ref()) {
			t.Errorf("%s: the join is not after the server in the group: %+v", h, join)
		}
		if !hasRef(acc.After, join.Ref()) || !hasRef(acc.After, server.Ref()) {
			t.Errorf("the accounts do not wait for %s to be in the cluster", h)
		}
	}
	// No member but the first makes the accounts, no host but the
	// members has the server.
	for _, h := range c.Hosts {
		if _, ok := cat.Get(catalog.Ref{Host: h.Name, ID: accountsID}); ok && h.Name != "ctl-1" {
			t.Errorf("accounts on %s", h.Name)
		}
		if _, ok := cat.Get(catalog.Ref{Host: h.Name, ID: serverID}); ok != slices.Contains(members, h.Name) {
			t.Errorf("%s: server %v", h.Name, ok)
		}
	}
}

func TestNoSecretInScripts(t *testing.T) {
	for _, repo := range []string{"lab", "production"} {
		cat := compile(t, example.Load(t, repo))
		for _, it := range cat.Items {
			if it.Component != name {
				continue
			}
			var visible []string
			switch r := it.Resource.(type) {
			case resource.Command:
				visible = append(visible, r.Script, r.Guard, r.Name)
			case resource.File:
				if !r.Secret {
					visible = append(visible, string(r.Content))
				}
			}
			for _, v := range visible {
				if strings.Contains(v, "SECRET(") {
					t.Errorf("%s on %s shows a secret", it.Resource.ID(), it.Host)
				}
			}
		}
		acc := item(t, cat, cat.Groups[group].Hosts[0], accountsID).Resource.(resource.Command)
		want := map[string]string{
			"RABBITMQ_PASSWORD_ADMIN": "SECRET(rabbitmq-admin)",
			"RABBITMQ_PASSWORD_DEMO":  "SECRET(demo-rabbitmq)",
		}
		if fmt.Sprint(acc.Env) != fmt.Sprint(want) {
			t.Errorf("%s: accounts env %v", repo, acc.Env)
		}
	}
}

func TestAccounts(t *testing.T) {
	c := example.Load(t, "lab")
	top, _ := newTopology(c)
	a := wantAccounts(top)
	var users, vhosts, perms []string
	for _, u := range a.Users {
		users = append(users, u.Name+"["+strings.Join(u.Tags, ",")+"]")
	}
	for _, v := range a.Vhosts {
		vhosts = append(vhosts, v.Name+":"+v.DefaultQueueType)
	}
	for _, p := range a.Permissions {
		perms = append(perms, p.User+"@"+p.Vhost)
	}
	if got := strings.Join(users, " "); got != "admin[administrator] demo[]" {
		t.Errorf("users %s", got)
	}
	if got := strings.Join(vhosts, " "); got != "demo:quorum" {
		t.Errorf("vhosts %s", got)
	}
	if got := strings.Join(perms, " "); got != "admin@/ demo@demo admin@demo" {
		t.Errorf("permissions %s", got)
	}
	if !slices.Equal(a.AbsentUsers, []string{"guest"}) {
		t.Errorf("absent %v", a.AbsentUsers)
	}

	// Without quorum queues.
	off := false
	c.Services.RabbitMQ.QuorumQueues = &off
	top, _ = newTopology(c)
	a = wantAccounts(top)
	if len(a.Vhosts) != 1 || a.Vhosts[0].DefaultQueueType != "classic" || len(a.Users) != 2 {
		t.Errorf("without quorum queues: %+v", a)
	}
	// Without the service.
	servicetest.Enabled = &off
	defer func() { servicetest.Enabled = nil }()
	top, _ = newTopology(c)
	a = wantAccounts(top)
	if len(a.Vhosts) != 0 || len(a.Users) != 1 {
		t.Errorf("without the demo: %+v", a)
	}
	// The guard and the definitions (python) iterate over every list: a
	// null one fails them (TypeError), as it did with Keystone alone.
	if js, err := json.Marshal(a); err != nil || strings.Contains(string(js), "null") {
		t.Errorf("without the demo the accounts' JSON has a null list: %s (%v)", js, err)
	}
	if conf := rabbitmqConf(top, 0); strings.Contains(conf, "default_queue_type") {
		t.Errorf("quorum_queues false still sets the default queue type:\n%s", conf)
	}
}

func TestSingleMemberHasNoJoin(t *testing.T) {
	c := example.Load(t, "lab")
	c.Services.RabbitMQ.Placement = model.Placement{Hosts: []string{"ctl-2"}}
	cat := compile(t, c)
	if _, ok := cat.Get(catalog.Ref{Host: "ctl-2", ID: joinID}); ok {
		t.Error("a single member has a join command (its guard would never hold)")
	}
	if _, ok := cat.Get(catalog.Ref{Host: "ctl-2", ID: accountsID}); !ok {
		t.Error("no accounts on the single member")
	}
}

func TestErrors(t *testing.T) {
	c := example.Load(t, "lab")
	if _, _, err := (Component{}).Items(&catalog.Input{Cloud: c}); err == nil || !strings.Contains(err.Error(), "no secrets") {
		t.Errorf("without secrets: %v", err)
	}
	failing := func(n string) (string, error) { return "", fmt.Errorf("secret %s is missing", n) }
	if _, _, err := (Component{}).Items(&catalog.Input{Cloud: c, Secret: failing}); err == nil || !strings.Contains(err.Error(), "rabbitmq-erlang-cookie") {
		t.Errorf("missing cookie: %v", err)
	}
	c.Services.RabbitMQ.Placement = model.Placement{Hosts: []string{"stor-1"}} // no internal API address
	if _, _, err := (Component{}).Items(&catalog.Input{Cloud: c, Secret: fakeSecret}); err == nil || !strings.Contains(err.Error(), "stor-1") {
		t.Errorf("member without an internal API address: %v", err)
	}
	if got, err := TransportURL(c, "demo", "pw"); got != "" || err == nil || !strings.Contains(err.Error(), "stor-1") {
		t.Errorf("transport URL of an invalid model: %q, %v", got, err)
	}
}

func TestTransportURL(t *testing.T) {
	c := example.Load(t, "lab")
	want := "rabbit://demo:pw@10.199.20.11:5672,demo:pw@10.199.20.12:5672,demo:pw@10.199.20.13:5672/demo"
	if got, err := TransportURL(c, "demo", "pw"); got != want || err != nil {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got, _ := TransportURL(c, "demo", "a/b@c:d%"); !strings.HasPrefix(got, "rabbit://demo:a%2Fb%40c%3Ad%25@10.199.20.11:5672,") {
		t.Errorf("special characters are not escaped: %s", got)
	}
}

func TestIPv6(t *testing.T) {
	top := &topology{Cloud: "v6", Members: []member{
		{Host: "a", Node: "rabbit@a", Addr: netip.MustParseAddr("fd00::1")},
		{Host: "b", Node: "rabbit@b", Addr: netip.MustParseAddr("fd00::2")},
	}}
	conf := rabbitmqConf(top, 0)
	for _, want := range []string{"listeners.tcp.1 = fd00::1:5672\n", "distribution.listener.interface = fd00::1\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("rabbitmq.conf lacks %q:\n%s", want, conf)
		}
	}
	env := rabbitmqEnvConf(top, 0)
	for _, want := range []string{"-proto_dist inet6_tcp", "CTL_ERL_ARGS=", "ERL_EPMD_ADDRESS=127.0.0.1,::1,fd00::1\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("rabbitmq-env.conf lacks %q:\n%s", want, env)
		}
	}
	if s := epmdSocketConf(top, 1); !strings.Contains(s, "ListenStream=[fd00::2]:4369\n") || !strings.Contains(s, "ListenStream=[::1]:4369\n") {
		t.Errorf("epmd.socket:\n%s", s)
	}
	if s := epmdSocketConf(&topology{Members: []member{{Addr: netip.MustParseAddr("10.0.0.1")}}}, 0); strings.Contains(s, "::1") {
		t.Errorf("IPv4 epmd listens on ::1:\n%s", s)
	}
}
