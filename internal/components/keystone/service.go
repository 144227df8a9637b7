package keystone

import (
	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/service"
)

// Service declares Keystone to the components it shares with the other
// services (internal/service): its database, the identity API behind
// HAProxy, its secrets, its placement and its rule. Its catalog entries
// are keystone-manage bootstrap's; it has no service user of its own
// (the administrator is bootstrap's too).
var Service = &service.Service{
	Name: "keystone",
	Key:  "openstack.keystone",
	Section: func(c *model.Cloud) service.Section {
		k := &c.Services.OpenStack.Keystone
		return service.Section{Enabled: k.Enabled, Hosts: &k.Hosts}
	},
	DefaultRoles: []model.Role{model.RoleControl},
	Databases:    []string{"keystone"},
	API:          &service.API{Type: "identity", Port: 5000, Path: "/v3", Check: "/v3"},
	Secrets: []service.Secret{
		{Name: AdminSecret, Description: "password of the cloud administrator (user admin, domain Default)"},
		{Name: FernetKeys.Secret(0), Kind: "fernet-key", Ring: FernetKeys.Prefix, Description: "Keystone fernet key 0 (staged)"},
		{Name: FernetKeys.Secret(1), Kind: "fernet-key", Ring: FernetKeys.Prefix, Description: "Keystone fernet key 1 (primary)"},
		{Name: CredentialKeys.Secret(0), Kind: "fernet-key", Ring: CredentialKeys.Prefix, Description: "Keystone credential key 0"},
		{Name: CredentialKeys.Secret(1), Kind: "fernet-key", Ring: CredentialKeys.Prefix, Description: "Keystone credential key 1"},
		{Name: MemcacheSecret, Description: "keystonemiddleware memcache_secret_key shared by the API services"},
	},
	Rules: []service.Rule{{ID: RuleTokenExpiration, Summary: "openstack.keystone.token_expiration is at least 1 second", Check: checkTokenExpiration}},
}

// Declaration is the component's service (internal/components registers it).
func (Component) Declaration() *service.Service { return Service }

// RuleTokenExpiration: openstack.keystone.token_expiration below a second.
const RuleTokenExpiration = "keystone-token-expiration"

func checkTokenExpiration(c *model.Cloud, d *diag.List) {
	if k := &c.Services.OpenStack.Keystone; k.Has("token_expiration") && k.TokenExpiration < 1 {
		d.Errorf(k.At("token_expiration"), RuleTokenExpiration, "token_expiration %d must be at least 1 (seconds)", k.TokenExpiration)
	}
}
