package keystone

import (
	"encoding/json"
	"fmt"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/service"
)

// Keystone's catalog of the other services: for every service the cloud
// enables that declares a Keystone user or an API (internal/service), a
// step on the first Keystone host makes its user (with its password and
// its roles on the service project), its catalog service and its
// endpoints in the first region, through Keystone's API; its guard asks
// the database whether all of them are as declared.

// registration is what the register step makes of a service: the JSON
// helper.py's register and registered commands take. Nothing in it is
// secret: the user's password is in the step's environment.
type registration struct {
	Name      string            `json:"name"`
	Roles     []string          `json:"roles"` // nil: no user
	Type      string            `json:"type"`  // "": no catalog entries
	Region    string            `json:"region"`
	Endpoints map[string]string `json:"endpoints"` // interface -> URL
}

// registered lists the services Keystone registers: those the cloud
// enables that have a user or an API, Keystone itself aside (its own
// catalog entries are bootstrap's).
func registered(c *model.Cloud) []*service.Service {
	var out []*service.Service
	for _, s := range service.Enabled(c) {
		if s != Service && (s.User != nil || s.API != nil) {
			out = append(out, s)
		}
	}
	return out
}

func registerCommandName(s *service.Service) string { return "keystone/register-" + s.Name }

// RegistrationRef is the step after which a service's Keystone user and
// catalog entries exist: a service that validates tokens with its user
// starts after it.
func RegistrationRef(c *model.Cloud, s *service.Service) (catalog.Ref, error) {
	hosts := Hosts(c)
	if len(hosts) == 0 {
		return catalog.Ref{}, fmt.Errorf("%s needs Keystone, and no host runs it", s.Name)
	}
	return catalog.Ref{Host: hosts[0].Name, ID: resource.Command{Name: registerCommandName(s)}.ID()}, nil
}

func (b *builder) registration(s *service.Service) (registration, error) {
	r := registration{Name: s.Name, Region: Region(b.c), Endpoints: map[string]string{}}
	if s.User != nil {
		r.Roles = append([]string{}, s.User.Roles...)
	}
	if s.API != nil {
		r.Type = s.API.Type
		for _, iface := range service.Interfaces {
			u, ok := endpoint.URL(b.c, iface, s.Endpoint())
			if !ok {
				return r, fmt.Errorf("the %s endpoint of %s needs a %s virtual IP (network.yaml virtual_ips)", iface, s.Name, iface)
			}
			r.Endpoints[string(iface)] = u
		}
	}
	return r, nil
}

// register is the step of one service, on the first host.
func (b *builder) register(s *service.Service) (resource.Command, error) {
	r, err := b.registration(s)
	if err != nil {
		return resource.Command{}, err
	}
	spec, err := json.Marshal(r)
	if err != nil {
		return resource.Command{}, err
	}
	env := map[string]string{"FM_DB_URL": b.dbURL, "OS_PASSWORD": b.adminPassword}
	if s.User != nil {
		pw, err := b.in.SecretValue(s.UserSecret())
		if err != nil {
			return resource.Command{}, err
		}
		env["FM_SERVICE_PASSWORD"] = pw
	}
	return resource.Command{
		Name:    registerCommandName(s),
		Guard:   helperCmd("registered", string(spec)),
		Env:     env,
		Script:  "set -e\n" + helperCmd("register", backendURL(b.addrs[0]), string(spec)) + "\n",
		Timeout: "10m",
	}, nil
}
