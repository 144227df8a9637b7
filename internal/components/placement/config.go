package placement

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/ini"
)

// Files of a Placement host.
const (
	confPath = "/etc/placement/placement.conf"
	// uwsgiPath is Fundament's own uwsgi configuration, beside Debian's
	// placement-api-uwsgi.ini (a conffile left as the package ships it).
	uwsgiPath = "/etc/placement/placement-uwsgi-fundament.ini"
	// dropInPath replaces the unit's ExecStart: Debian's init wrapper
	// (/etc/init.d/placement-api systemd-start) binds uwsgi to every
	// address of the host (--http-socket :8778), while HAProxy binds the
	// virtual IPs on the same port.
	dropInPath = "/etc/systemd/system/placement-api.service.d/fundament.conf"
	unit       = "placement-api.service"
	helperPath = "/usr/local/libexec/fundament/placement-helper.py"
)

const header = "Written by Fundament from the configuration repository; changes here are overwritten."

// conf is the content of placement.conf. It holds the database and the
// service user's passwords: the file is written as a secret
// (root:placement 0640). Every host gets the same file.
type conf struct {
	Cloud *model.Cloud
	// DatabaseURL is [placement_database] connection.
	DatabaseURL string
	// AuthURL is Keystone's internal endpoint, which the middleware asks;
	// PublicAuthURL the public one, which it names to clients that came
	// without a token.
	AuthURL, PublicAuthURL string
	Region                 string
	Password               string // of the service user
	MemcacheServers        []string
	MemcacheSecret         string
}

func (p conf) String() string {
	f := ini.New(header + "\nPlacement of cloud " + p.Cloud.Spec.Name + ". Values Debian's placement.conf sets are kept.\n" +
		"oslo.config expands $name in values: no value here may hold a dollar sign.")
	f.Section("DEFAULT").
		Set("pybasedir", "/usr/lib/python3/dist-packages")
	f.Section("api").
		Set("auth_strategy", "keystone")
	// keystonemiddleware validates every request's token with Keystone
	// through the internal virtual IP, as the placement user, and keeps
	// the answers in memcached (encrypted and signed with the key every
	// API service shares), so that a token is validated once, not at
	// every call.
	f.Section("keystone_authtoken").
		Set("www_authenticate_uri", p.PublicAuthURL).
		Set("auth_url", p.AuthURL).
		Set("auth_type", "password").
		Set("project_domain_name", "Default").
		Set("user_domain_name", "Default").
		Set("project_name", "service").
		Set("username", Service.Name).
		Set("password", p.Password).
		Set("region_name", p.Region).
		Set("service_token_roles_required", "true").
		Set("memcached_servers", strings.Join(p.MemcacheServers, ",")).
		Set("memcache_security_strategy", "ENCRYPT").
		Set("memcache_secret_key", p.MemcacheSecret)
	// HAProxy terminates TLS on the public endpoint and says so in
	// X-Forwarded-Proto: Placement then writes https into its links.
	f.Section("oslo_middleware").
		Set("enable_proxy_headers_parsing", "true")
	f.Section("oslo_policy").
		Set("policy_dirs", "/etc/placement/policy.d")
	f.Section("placement_database").
		Set("connection", p.DatabaseURL).
		// Placement starts even while the database is unreachable (the
		// virtual IP moving, Galera recovering) and keeps trying.
		Set("max_retries", "-1")
	return f.String()
}

// workers sizes uwsgi. Placement answers the scheduler and the computes'
// periodic reports: little work, most of it waiting on the database, so
// threads carry it. The lab machine has 2 cores for the whole cloud.
func workers(c *model.Cloud) (processes, threads int) {
	if c.Spec.Profile == model.ProfileLab {
		return 1, 4
	}
	return 4, 8
}

// uwsgiConf is Fundament's uwsgi configuration on a host that listens on
// addr: Debian's placement-api-uwsgi.ini with its own socket and sizes.
// The chunked-input settings are Placement's own needs (Debian's file
// says why it does not run under Apache).
func uwsgiConf(c *model.Cloud, addr netip.Addr) string {
	processes, threads := workers(c)
	f := ini.New(header + "\nPlacement's API under uwsgi, on this host's internal API address only: HAProxy\n" +
		"listens on the virtual IPs on the same port and forwards to every Placement host.")
	f.Section("uwsgi").
		Set("http-socket", endpoint.HostPort(addr, Service.API.Port)).
		Set("master", "true").
		Set("plugins", "python3").
		Set("wsgi-file", "/usr/bin/placement-api").
		Set("name", "placement-api").
		Set("chdir", "/var/lib/placement").
		Set("processes", strconv.Itoa(processes)).
		Set("threads", strconv.Itoa(threads)).
		Set("enable-threads", "true").
		Set("listen", "100").
		Set("buffer-size", "65535").
		Set("rem-header", "Content-Length").
		Set("thunder-lock", "true").
		Set("lazy-apps", "true").
		Set("paste-logger", "true").
		Set("no-orphans", "true").
		Set("die-on-term", "true").
		Set("exit-on-reload", "true").
		Set("close-on-exec", "true").
		Set("close-on-exec2", "true").
		Set("socket-timeout", "10").
		Set("http-auto-chunked", "true").
		Set("http-chunked-input", "true").
		Set("http-raw-body", "true").
		Set("wsgi-manage-chunked-input", "true").
		Set("add-header", "Connection: close").
		Set("logto", "/var/log/placement/placement-api.log")
	return f.String()
}

// dropIn runs uwsgi with uwsgiConf under Debian's unit (its user, its
// runtime directories, its restart policy).
func dropIn() string {
	return "# " + header + "\n" +
		"# uwsgi with Fundament's configuration instead of Debian's wrapper, which\n" +
		"# would listen on every address of the host.\n" +
		"[Service]\n" +
		"ExecStart=\n" +
		"ExecStart=/usr/bin/uwsgi_python3 --ini " + uwsgiPath + "\n" +
		"UMask=0022\n"
}

// backendURL is Placement's own URL on a host, past HAProxy.
func backendURL(addr netip.Addr) string {
	return "http://" + endpoint.HostPort(addr, Service.API.Port) + Service.API.Path
}
