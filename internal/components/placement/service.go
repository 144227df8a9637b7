package placement

import (
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/service"
)

// Service declares Placement to the components it shares with the other
// services (internal/service): its database in Galera, its user in
// Keystone (the service role: keystonemiddleware validates tokens with
// it, and Keystone's policy lets the service role do that), its API
// behind HAProxy on the virtual IPs (port 8778, no path, as every
// deployment tool and Nova's default expect) and its placement on the
// control hosts. It needs no RabbitMQ: Placement is an HTTP API over a
// database, nothing more.
var Service = &service.Service{
	Name: "placement",
	Key:  "openstack.placement",
	Section: func(c *model.Cloud) service.Section {
		p := &c.Services.OpenStack.Placement
		return service.Section{Enabled: p.Enabled, Hosts: &p.Hosts}
	},
	DefaultRoles: []model.Role{model.RoleControl},
	Databases:    []string{"placement"},
	User:         &service.User{Roles: []string{"service"}},
	// "/" answers the version document without a token.
	API: &service.API{Type: "placement", Port: 8778, Path: "", Check: "/"},
}

// Declaration is the component's service (internal/components registers it).
func (Component) Declaration() *service.Service { return Service }
