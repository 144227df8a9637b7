// Package service is the extension point of the OpenStack services: each
// service's package declares once what the components it shares with the
// others need to know of it (its databases, its RabbitMQ account, its
// Keystone user and catalog entries, its HAProxy frontends, its secrets,
// its default placement and its validation rules), and the component
// registry (internal/components) registers the declaration. Galera,
// RabbitMQ, the load balancer, Keystone's catalog, the secrets a cloud
// needs and validation read the registered declarations: none of them
// names a service, so a new service is one package and one registry line.
//
// The package sits low (it depends on the model, endpoint and diag only)
// so that every reader, validate and secrets included, can import it
// without importing the services.
package service

import (
	"fmt"
	"slices"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Service is a service's declaration.
type Service struct {
	// Name is the service's name (keystone, placement). It also names its
	// database account, its RabbitMQ user and vhost, its Keystone user,
	// its HAProxy frontends and, with a suffix, its secrets.
	Name string
	// Key is the service's section of services/*.yaml, for messages:
	// "openstack.placement".
	Key string
	// Section reads the section's switch and placement from the model.
	Section func(c *model.Cloud) Section
	// DefaultRoles place the service on the hosts with one of the roles
	// when its section names neither hosts nor roles.
	DefaultRoles []model.Role
	// Databases are the service's databases in Galera, its own first;
	// the account Name has every privilege on them, with the password of
	// secret DatabaseSecret.
	Databases []string
	// Queue gives the service a RabbitMQ user and vhost, both Name, with
	// the password of secret QueueSecret.
	Queue bool
	// User is the service's user in Keystone; nil: it has none.
	User *User
	// API is where the service serves clients; nil: it serves none.
	API *API
	// Secrets are the service's secrets beyond the passwords derived
	// from Databases, Queue and User.
	Secrets []Secret
	// Networks lists the network roles the service's hosts need beyond
	// what their roles need (rule service-network-missing); nil: none.
	Networks func(c *model.Cloud) []model.NetworkRole
	// Rules check the service's section (fundament validate).
	Rules []Rule
	// Ceph makes the service a client of the Ceph cluster: on its hosts
	// the Ceph component installs ceph-common, writes ceph.conf and the
	// client's keyring; nil: it is none.
	Ceph *CephClient
}

// CephClient is a service's cephx client: Client names it (client.glance)
// and must be one of Ceph's clients, whose caps the Ceph component gives
// (secrets.CephClients). Its keyring is /etc/ceph/ceph.client.CLIENT.keyring,
// 0640 root:Group, written after Package made the group on the host.
type CephClient struct {
	Client, Group, Package string
	// Enabled says whether the cloud uses Ceph for the service (Glance
	// with backend rbd); nil: whenever Ceph is enabled.
	Enabled func(c *model.Cloud) bool
}

// CephClientOf is the service's Ceph client in cloud c, nil when it uses
// none there.
func (s *Service) CephClientOf(c *model.Cloud) *CephClient {
	if s.Ceph == nil || !model.Enabled(c.Services.Ceph.Enabled, true) {
		return nil
	}
	if s.Ceph.Enabled != nil && !s.Ceph.Enabled(c) {
		return nil
	}
	return s.Ceph
}

// Section is what every service's section of the model has.
type Section struct {
	// Enabled deploys the service; nil means yes.
	Enabled *bool
	// Hosts places the service.
	Hosts *model.Placement
}

// User is a service's user in Keystone: named after the service, in the
// Default domain, with Roles on the service project.
type User struct {
	Roles []string
}

// API is a service's HTTP API: its entries in Keystone's catalog and
// HAProxy's frontends on the virtual IPs, the same port on every host's
// internal API address behind them.
type API struct {
	// Type is the service's type in the catalog (identity, placement).
	Type string
	// Port is where HAProxy listens on the virtual IPs and the service on
	// each of its hosts' internal API addresses.
	Port int
	// Path follows host and port in the catalog's URLs ("/v3").
	Path string
	// Check is the path HAProxy's health check and the service's own ask
	// for on each host: it answers without a token.
	Check string
}

// Interfaces are the catalog's interfaces of every API: clients reach the
// public one, the services each other on the internal one.
var Interfaces = []endpoint.Interface{endpoint.Public, endpoint.Internal}

// Secret is a secret a service needs, as `fundament secrets generate`
// makes it (see secrets.Spec, whose Kind values Kind takes).
type Secret struct {
	Name string
	// Kind: "" (a password), hex, fernet-key, token, ec-key.
	Kind string
	// Length in characters or bytes; 0: the kind's default.
	Length int
	// Ring makes the secret the first member of a key ring (secrets.Spec).
	Ring        string
	Description string
}

// Rule is a validation rule of a service's section: an id that appears in
// its diagnostics and its cases, a summary, and the check.
type Rule struct {
	ID      string
	Summary string
	Check   func(c *model.Cloud, d *diag.List)
}

// Secrets derived from a service's name: what its database account,
// RabbitMQ user and Keystone user log in with.
func (s *Service) DatabaseSecret() string { return s.Name + "-db" }
func (s *Service) QueueSecret() string    { return s.Name + "-rabbitmq" }
func (s *Service) UserSecret() string     { return s.Name + "-keystone" }

// AllSecrets are the secrets the service needs: the derived passwords,
// then Secrets.
func (s *Service) AllSecrets() []Secret {
	var out []Secret
	if len(s.Databases) > 0 {
		out = append(out, Secret{Name: s.DatabaseSecret(), Description: s.Name + " database password"})
	}
	if s.Queue {
		out = append(out, Secret{Name: s.QueueSecret(), Description: s.Name + " RabbitMQ user password"})
	}
	if s.User != nil {
		out = append(out, Secret{Name: s.UserSecret(), Description: s.Name + " service user password in Keystone"})
	}
	return append(out, s.Secrets...)
}

// Enabled says whether the cloud runs the service.
func (s *Service) Enabled(c *model.Cloud) bool {
	return model.Enabled(s.Section(c).Enabled, true)
}

// Placement is the section's placement, or DefaultRoles where it names
// neither hosts nor roles (with the section's position, for messages).
func (s *Service) Placement(c *model.Cloud) *model.Placement {
	p := s.Section(c).Hosts
	if len(p.Hosts) > 0 || len(p.Roles) > 0 {
		return p
	}
	d := *p
	d.Roles = append([]model.Role(nil), s.DefaultRoles...)
	return &d
}

// Hosts are the hosts the service runs on, in inventory order; none
// when it is not enabled.
func (s *Service) Hosts(c *model.Cloud) []*model.Host {
	if !s.Enabled(c) {
		return nil
	}
	return c.Select(s.Placement(c))
}

// Endpoint is the service's API as internal/endpoint takes it; the zero
// API when it has none.
func (s *Service) Endpoint() endpoint.API {
	if s.API == nil {
		return endpoint.API{}
	}
	return endpoint.API{Name: s.Name, Type: s.API.Type, Port: s.API.Port, Path: s.API.Path}
}

// Model is the service as the model's service list has the others: what
// validation's placement rules and `fundament inventory` read.
func (s *Service) Model(c *model.Cloud) *model.Service {
	m := &model.Service{Name: s.Name, Component: s.Name, Key: s.Key + ".hosts", Placement: s.Placement(c), Enabled: s.Enabled(c)}
	m.Hosts = s.Hosts(c)
	if s.Networks != nil {
		m.Networks = s.Networks(c)
	}
	return m
}

// check refuses a declaration the readers could not use.
func (s *Service) check() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("a service without a name")
	case s.Key == "" || s.Section == nil:
		return fmt.Errorf("service %s: no model section (Key, Section)", s.Name)
	case s.API != nil && (s.API.Type == "" || s.API.Port < 1 || s.API.Port > 65535):
		return fmt.Errorf("service %s: an API needs a catalog type and a port", s.Name)
	}
	for _, r := range s.Rules {
		if r.ID == "" || r.Check == nil {
			return fmt.Errorf("service %s: a rule without an id or a check", s.Name)
		}
	}
	return nil
}

// Declarer is a component that deploys a declared service: the component
// registry registers its declaration.
type Declarer interface {
	Declaration() *Service
}

// registry holds the declarations in the order they were registered.
var registry []*Service

// Register adds a declaration; the component registry calls it once per
// service, in deployment order (registering the same declaration again
// does nothing: a test may register what the registry does too). A
// declaration that is incomplete, or whose name, port or rule ids
// another one has, is a programming error: it panics.
func Register(s *Service) {
	if err := s.check(); err != nil {
		panic("service.Register: " + err.Error())
	}
	if slices.Contains(registry, s) {
		return
	}
	for _, o := range registry {
		switch {
		case o.Name == s.Name:
			panic("service.Register: " + s.Name + " is registered twice")
		case o.API != nil && s.API != nil && o.API.Port == s.API.Port:
			panic(fmt.Sprintf("service.Register: %s and %s both serve on port %d", o.Name, s.Name, s.API.Port))
		}
		for _, r := range s.Rules {
			if slices.ContainsFunc(o.Rules, func(x Rule) bool { return x.ID == r.ID }) {
				panic("service.Register: rule " + r.ID + " of " + s.Name + " is " + o.Name + "'s")
			}
		}
	}
	registry = append(registry, s)
}

// Replace makes ss the registered declarations until restore is called:
// for tests whose output must not depend on which services the binary
// registers (internal/testutil/servicetest.Use).
func Replace(ss ...*Service) (restore func()) {
	saved := registry
	registry = nil
	for _, s := range ss {
		Register(s)
	}
	return func() { registry = saved }
}

// All returns the registered declarations, in registration order.
func All() []*Service { return slices.Clone(registry) }

// Lookup returns a registered declaration by name.
func Lookup(name string) (*Service, bool) {
	for _, s := range registry {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// Enabled returns the registered services the cloud enables.
func Enabled(c *model.Cloud) []*Service {
	var out []*Service
	for _, s := range registry {
		if s.Enabled(c) {
			out = append(out, s)
		}
	}
	return out
}

// Placed is the model's service list and then the registered services:
// every service of the cloud with the hosts it runs on.
func Placed(c *model.Cloud) []*model.Service {
	out := c.ServiceList()
	for _, s := range registry {
		out = append(out, s.Model(c))
	}
	return out
}
