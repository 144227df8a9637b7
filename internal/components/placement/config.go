package placement

import (
	"net/netip"

	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/ini"
	"github.com/fundament-cloud/fundament/internal/uwsgi"
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
	AuthToken   keystone.AuthToken
}

func (p conf) String() string {
	f := ini.New(header + "\nPlacement of cloud " + p.Cloud.Spec.Name + ". Values Debian's placement.conf sets are kept.\n" +
		"oslo.config expands $name in values: no value here may hold a dollar sign.")
	f.Section("DEFAULT").
		Set("pybasedir", "/usr/lib/python3/dist-packages")
	f.Section("api").
		Set("auth_strategy", "keystone")
	p.AuthToken.Section(f)
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
	return uwsgi.Config(header, uwsgi.App{Title: "Placement", Name: "placement-api", WSGIFile: "/usr/bin/placement-api",
		Chdir: "/var/lib/placement", LogTo: "/var/log/placement/placement-api.log", Processes: processes, Threads: threads,
		Extra: [][2]string{
			{"exit-on-reload", "true"},
			{"socket-timeout", "10"},
			{"http-auto-chunked", "true"},
			{"http-chunked-input", "true"},
			{"http-raw-body", "true"},
			{"wsgi-manage-chunked-input", "true"},
			{"add-header", "Connection: close"},
		}}, addr, Service.API.Port)
}

// dropIn runs uwsgi with uwsgiConf under Debian's unit.
func dropIn() string { return uwsgi.DropIn(header, uwsgiPath) }
