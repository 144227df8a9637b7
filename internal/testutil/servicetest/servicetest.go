// Package servicetest declares a service for the tests of the components
// that read the services' declarations (internal/service): Galera's
// databases, RabbitMQ's accounts, HAProxy's frontends, Keystone's
// catalog. The tests register it; the cloud's real services register in
// internal/components, which those tests cannot import.
package servicetest

import (
	"os"
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/service"
)

// Enabled is the switch of Demo's section (nil: on); a test that turns
// it off turns it back on when it ends.
var Enabled *bool

// Demo has everything a service can declare: two databases, a queue, a
// Keystone user, an API on the virtual IPs, a secret of its own. It runs
// on the control hosts.
var Demo = &service.Service{
	Name: "demo",
	Key:  "openstack.demo",
	Section: func(*model.Cloud) service.Section {
		return service.Section{Enabled: Enabled, Hosts: &model.Placement{}}
	},
	DefaultRoles: []model.Role{model.RoleControl},
	Databases:    []string{"demo", "demo_api"},
	Queue:        true,
	User:         &service.User{Roles: []string{"service"}},
	API:          &service.API{Type: "demo", Port: 9876, Path: "/v1", Check: "/"},
	Secrets:      []service.Secret{{Name: "demo-token", Kind: "token", Description: "the demo's own token"}},
}

// Queued has a RabbitMQ user and vhost and nothing else: what RabbitMQ's
// lab test logs in with while no service of the cloud uses the queue.
var Queued = &service.Service{
	Name:    "queued",
	Key:     "test.queued",
	Section: func(*model.Cloud) service.Section { return service.Section{Hosts: &model.Placement{}} },
	// On the control hosts, as the cloud's services: validation refuses
	// a service placed on no host.
	DefaultRoles: []model.Role{model.RoleControl},
	Queue:        true,
}

// Register registers Demo (again: a no-op).
func Register() { service.Register(Demo) }

// Main runs a package's tests with ss as the registered services (see
// Use): a component's goldens show the services its tests declare, and
// do not change when the cloud gains a service. labtest restores the
// cloud's own for a lab test.
func Main(m *testing.M, ss ...*service.Service) {
	service.Replace(ss...)
	os.Exit(m.Run())
}

// Use makes ss the registered services for the test: what a component
// compiles from the declarations then shows the test's services, not
// those the test binary happens to register (a lab test in the same
// binary registers the cloud's through internal/components).
func Use(t testing.TB, ss ...*service.Service) {
	t.Cleanup(service.Replace(ss...))
}
