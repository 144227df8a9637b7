package glance

import (
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/service"
)

// Service declares Glance to the components it shares with the other
// services (internal/service): its database in Galera, its user in
// Keystone (the service role: keystonemiddleware validates tokens with
// it), its API behind HAProxy on the virtual IPs (port 9292, no path, as
// every deployment tool and the clients' default expect), its placement
// on the control hosts, the storage network its hosts need for the RBD
// store, and its rules. It needs no RabbitMQ: its notifications are off
// (no service of the cloud reads them).
var Service = &service.Service{
	Name: "glance",
	Key:  "openstack.glance",
	Section: func(c *model.Cloud) service.Section {
		g := &c.Services.OpenStack.Glance
		return service.Section{Enabled: g.Enabled, Hosts: &g.Hosts}
	},
	DefaultRoles: []model.Role{model.RoleControl},
	Databases:    []string{"glance"},
	User:         &service.User{Roles: []string{"service"}},
	// /healthcheck is oslo.middleware's, in Debian's paste pipeline: 200
	// without a token, 503 while /etc/glance/healthcheck_disable exists
	// (an operator drains a host with it). "/" answers 300 (the version
	// document), which HAProxy's check, expecting 200, would refuse.
	API:      &service.API{Type: "image", Port: 9292, Path: "", Check: "/healthcheck"},
	Networks: networks,
	// The RBD store's client: the Ceph component writes its keyring
	// (root:glance 0640, glance-api runs as glance) and ceph.conf on
	// Glance's hosts, and installs ceph-common, which brings the
	// python3-rbd and python3-rados the store imports.
	Ceph: &service.CephClient{Client: cephClient, Group: "glance", Package: "glance-api",
		Enabled: func(c *model.Cloud) bool { return storeOf(c) == storeRBD }},
}

// The rules read the declaration (its hosts): set here, not in its
// initializer, which cannot refer to itself.
func init() {
	Service.Rules = []service.Rule{
		{ID: RuleBackend, Summary: "openstack.glance.backend is rbd (with Ceph enabled and an images pool) or file", Check: checkBackend},
		{ID: RuleFileStoreUnshared, Summary: "a file store on more than one Glance host is declared shared storage (openstack.glance.file_store_shared)", Check: checkFileStoreShared},
	}
}

// Declaration is the component's service (internal/components registers it).
func (Component) Declaration() *service.Service { return Service }

// networks: the RBD store reaches the Ceph monitors and OSDs on the
// storage public network.
func networks(c *model.Cloud) []model.NetworkRole {
	if storeOf(c) == storeRBD {
		return []model.NetworkRole{model.NetStoragePublic}
	}
	return nil
}
