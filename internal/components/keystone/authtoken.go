package keystone

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/memcached"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/render/ini"
	"github.com/fundament-cloud/fundament/internal/service"
)

// AuthToken is what an API service's keystonemiddleware needs to validate
// the tokens its clients bring: Keystone's endpoints, the service's own
// user (declared in its service.User, registered by Keystone) and the
// token cache in memcached. Every API service writes the same
// [keystone_authtoken] section from it, so that how a service talks to
// Keystone is decided here, once.
type AuthToken struct {
	user string
	// authURL is the internal endpoint the middleware asks; publicURL
	// the one it names to clients that came without a token.
	authURL, publicURL, region, password string
	memcacheServers                      []string
	memcacheSecret                       string
	// After are the steps the service starts after: its user's
	// registration, and every memcached of its token cache
	// (memcached.Ready says why).
	After []catalog.Ref
}

// NewAuthToken is the middleware's configuration of service s, with its
// user's password and the shared memcache key from the secrets.
func NewAuthToken(in *catalog.Input, s *service.Service) (AuthToken, error) {
	c := in.Cloud
	a := AuthToken{user: s.Name, region: Region(c)}
	if s.User == nil {
		return a, fmt.Errorf("%s validates tokens, and declares no Keystone user to do it with", s.Name)
	}
	var ok bool
	if a.authURL, ok = endpoint.URL(c, endpoint.Internal, Service.Endpoint()); !ok {
		return a, fmt.Errorf("%s validates tokens with Keystone through the internal virtual IP, and the cloud has none (network.yaml virtual_ips, name internal)", s.Name)
	}
	if a.publicURL, ok = endpoint.URL(c, endpoint.Public, Service.Endpoint()); !ok {
		return a, fmt.Errorf("%s names Keystone's public endpoint to clients, and the cloud has no public virtual IP (network.yaml virtual_ips, name public)", s.Name)
	}
	var err error
	if a.password, err = in.SecretValue(s.UserSecret()); err != nil {
		return a, err
	}
	if a.memcacheSecret, err = in.SecretValue(MemcacheSecret); err != nil {
		return a, err
	}
	if a.memcacheServers, err = memcacheServers(c, s.Name); err != nil {
		return a, err
	}
	registered, err := RegistrationRef(c, s)
	if err != nil {
		return a, err
	}
	a.After = append([]catalog.Ref{registered}, memcached.Ready(c)...)
	return a, nil
}

// identityCallTimeout is keystonemiddleware's limit, in seconds, on one
// call to Keystone: well past a loaded validation, well before HAProxy's
// one-minute server timeout in front of the service.
const identityCallTimeout = 15

// Section writes [keystone_authtoken] into f: the middleware validates
// every request's token with Keystone through the internal virtual IP,
// as the service's user, and keeps the answers in memcached (encrypted
// and signed with the key every API service shares), so that a token is
// validated once, not at every call. The password makes f a secret.
//
// http_connect_timeout bounds each call to Keystone (connecting and
// reading). Without it a call sent through the virtual IP's holder just
// before that host died waits for keystoneauth's own TCP keepalive,
// which it sets per socket to 60 s idle (over the host's sysctl): in the
// lab a Placement request with a token to validate then answered 503
// after 63 s, and HAProxy had given up on it at 60 s. A validation
// takes well under a second; 6 s was the slowest on the lab's loaded
// cores.
func (a AuthToken) Section(f *ini.File) {
	f.Section("keystone_authtoken").
		Set("www_authenticate_uri", a.publicURL).
		Set("auth_url", a.authURL).
		Set("auth_type", "password").
		Set("project_domain_name", DefaultDomain).
		Set("user_domain_name", DefaultDomain).
		Set("project_name", ServiceProject).
		Set("username", a.user).
		Set("password", a.password).
		Set("region_name", a.region).
		Set("service_token_roles_required", "true").
		Set("http_connect_timeout", strconv.Itoa(identityCallTimeout)).
		Set("memcached_servers", strings.Join(a.memcacheServers, ",")).
		Set("memcache_security_strategy", "ENCRYPT").
		Set("memcache_secret_key", a.memcacheSecret)
}
