package keystone

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/ini"
	"github.com/fundament-cloud/fundament/internal/uwsgi"
)

// Files of a Keystone host.
const (
	confPath = "/etc/keystone/keystone.conf"
	// uwsgiPath is Fundament's own uwsgi configuration, beside Debian's
	// keystone-uwsgi.ini (a conffile left as the package ships it).
	uwsgiPath = "/etc/keystone/keystone-uwsgi-fundament.ini"
	// dropInPath replaces the unit's ExecStart: Debian's init wrapper
	// (/etc/init.d/keystone systemd-start) binds uwsgi to every address
	// of the host (--http-socket :5000) and cannot be told otherwise
	// before it has built its arguments, while HAProxy binds the virtual
	// IPs on the same port.
	dropInPath = "/etc/systemd/system/keystone.service.d/fundament.conf"
	unit       = "keystone.service"
	// helperPath is helper.py on the hosts. Not keystone.py: Python
	// puts a script's directory first on its path, and a script named
	// keystone would then shadow the keystone package it looks into.
	helperPath = "/usr/local/libexec/fundament/keystone-helper.py"
)

const header = "Written by Fundament from the configuration repository; changes here are overwritten."

// conf is the content of keystone.conf. It holds the database password:
// the file is written as a secret (root:keystone 0640). Every host gets
// the same file: what differs between hosts (the address uwsgi listens
// on) is uwsgi's business.
type conf struct {
	Cloud          *model.Cloud
	DatabaseURL    string
	MemcacheServer []string
}

func (k conf) String() string {
	ks := &k.Cloud.Services.OpenStack.Keystone
	f := ini.New(header + "\nKeystone of cloud " + k.Cloud.Spec.Name + ". Values Debian's keystone.conf sets are kept.\n" +
		"oslo.config expands $name in values: no value here may hold a dollar sign.")
	f.Section("DEFAULT").
		Set("log_dir", "/var/log/keystone").
		Set("log_file", "keystone.log")
	// Tokens are validated on every API call of every service: the cache
	// in memcached (on the control hosts) spares Keystone a Fernet
	// decryption and a database round trip per call.
	f.Section("cache").
		Set("enabled", "true").
		Set("backend", "oslo_cache.memcache_pool").
		Set("memcache_servers", strings.Join(k.MemcacheServer, ","))
	f.Section("credential").
		Set("provider", "fernet").
		Set("key_repository", CredentialKeys.Dir+"/")
	f.Section("database").
		Set("connection", k.DatabaseURL).
		// Keystone starts even while the database is unreachable (the
		// virtual IP moving, Galera recovering) and keeps trying.
		Set("max_retries", "-1")
	f.Section("fernet_receipts").
		Set("key_repository", FernetKeys.Dir+"/").
		Set("max_active_keys", strconv.Itoa(FernetKeys.MaxActive))
	f.Section("fernet_tokens").
		Set("key_repository", FernetKeys.Dir+"/").
		Set("max_active_keys", strconv.Itoa(FernetKeys.MaxActive))
	f.Section("federation").
		Set("sso_callback_template", "/etc/keystone/sso_callback_template.html")
	if k.Cloud.Spec.Profile == model.ProfileLab {
		// Every password login (each openstack command, each service's
		// token) costs a bcrypt verification: at the default cost 12
		// about a quarter of a second of a core, seconds on the lab's 2
		// loaded cores, where logins queued past HAProxy's timeout after
		// a control host stopped. The lab's passwords are generated
		// secrets, whose strength is not in the hash's cost; 4 is
		// bcrypt's least. It applies to hashes written from now on.
		f.Section("identity").Set("password_hash_rounds", strconv.Itoa(labPasswordHashRounds))
	}
	// HAProxy terminates TLS on the public endpoint and says so in
	// X-Forwarded-Proto: Keystone then writes https into the links of its
	// version documents.
	f.Section("oslo_middleware").
		Set("enable_proxy_headers_parsing", "true")
	f.Section("oslo_policy").
		Set("policy_dirs", "/etc/keystone/policy.d")
	f.Section("token").
		Set("provider", "fernet").
		Set("expiration", strconv.Itoa(ks.TokenExpiration))
	return f.String()
}

// labPasswordHashRounds is bcrypt's cost in the lab (its least).
const labPasswordHashRounds = 4

// workers sizes uwsgi. Keystone's work is CPU bound (password hashing,
// Fernet), so processes beyond the cores only queue; threads overlap the
// waits on the database and memcached. The lab machine has 2 cores for
// every service of the cloud; a production control host shares its
// cores with every other API.
func workers(c *model.Cloud) (processes, threads int) {
	if c.Spec.Profile == model.ProfileLab {
		return 2, 4
	}
	return 4, 8
}

// uwsgiConf is Fundament's uwsgi configuration on a host that listens on
// addr: Debian's keystone-uwsgi.ini with its own socket and sizes, and
// without the AppArmor plugin (Debian ships no profile named keystone to
// change into).
func uwsgiConf(c *model.Cloud, addr netip.Addr) string {
	processes, threads := workers(c)
	return uwsgi.Config(header, uwsgi.App{Title: "Keystone", Name: "keystone-api", WSGIFile: "/usr/bin/keystone-wsgi-public",
		Chdir: "/var/lib/keystone", LogTo: "/var/log/keystone/keystone.log", Processes: processes, Threads: threads,
		Extra: [][2]string{{"env", "OS_OSLO_MESSAGING_RABBIT__PROCESSNAME=keystone"}}}, addr, apiPort())
}

// dropIn runs uwsgi with uwsgiConf under Debian's unit.
func dropIn() string { return uwsgi.DropIn(header, uwsgiPath) }

func apiPort() int {
	a := Service.Endpoint()
	return a.Port
}

// backendURL is Keystone's own URL on a host, past HAProxy.
func backendURL(addr netip.Addr) string {
	a := Service.Endpoint()
	return "http://" + endpoint.HostPort(addr, a.Port) + a.Path
}
