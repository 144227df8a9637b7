package glance

import (
	"net/netip"
	"strconv"

	"github.com/fundament-cloud/fundament/internal/apiservice"
	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/ini"
)

// Files and units of a Glance host.
const (
	confPath = "/etc/glance/glance-api.conf"
	// unit is Debian's: its init wrapper runs glance-api itself
	// (eventlet; Debian leaves uwsgi off) with --config-file confPath
	// and --log-file /var/log/glance/glance-api.log, as user glance.
	unit       = "glance-api.service"
	helperPath = "/usr/local/libexec/fundament/glance-helper.py"
)

const header = "Written by Fundament from the configuration repository; changes here are overwritten."

// conf is the content of glance-api.conf on one host. It holds the
// database and the service user's passwords: the file is written as a
// secret (root:glance 0640). The hosts' files differ only in the address
// Glance binds and names to its peers.
type conf struct {
	Cloud *model.Cloud
	// Addr is the host's internal API address: glance-api binds it, and
	// the other hosts reach the host's staged uploads through it.
	Addr netip.Addr
	// DatabaseURL is [database] connection.
	DatabaseURL string
	AuthToken   keystone.AuthToken
	Store       string
}

func (g conf) String() string {
	workers, tasks := sizes(g.Cloud)
	f := ini.New(header + "\nGlance API of cloud " + g.Cloud.Spec.Name + " on this host. Values Debian's glance-api.conf sets are kept.\n" +
		"oslo.config expands $name in values: no value here may hold a dollar sign.")
	d := f.Section("DEFAULT").
		// The host's internal API address only: HAProxy binds the
		// virtual IPs on the same port on the same hosts.
		Set("bind_host", g.Addr.String()).
		Set("bind_port", strconv.Itoa(Service.API.Port)).
		Set("workers", strconv.Itoa(workers)).
		// An image uploaded for import (glance-direct) is staged on
		// the host that took it; another host running the import asks
		// this host for it at this URL.
		Set("worker_self_reference_url", backendURL(g.Addr)).
		Set("enabled_backends", g.Store+":"+g.Store).
		Set("enabled_import_methods", "[glance-direct,web-download]")
	if g.Store == storeRBD {
		// Nova and Cinder clone images inside Ceph (copy on write)
		// when they see the image's rbd:// location.
		d.Set("show_image_direct_url", "true")
	}
	f.Section("database").
		Set("connection", g.DatabaseURL).
		// Glance starts even while the database is unreachable (the
		// virtual IP moving, Galera recovering) and keeps trying.
		Set("max_retries", "-1")
	g.AuthToken.Section(f)
	f.Section("paste_deploy").Set("flavor", "keystone")
	storeSections(f, g.Store)
	// HAProxy terminates TLS on the public endpoint and says so in
	// X-Forwarded-Proto: Glance then writes https into its links.
	f.Section("oslo_middleware").Set("enable_proxy_headers_parsing", "true")
	f.Section("oslo_concurrency").Set("lock_path", "/var/lock/glance")
	// No service of the cloud reads Glance's notifications, and Glance
	// has no RabbitMQ account.
	f.Section("oslo_messaging_notifications").Set("driver", "noop")
	// Glance's own defaults (new defaults, scopes enforced), with
	// Debian's policy.d (its 00_default_policy.yaml only comments them).
	f.Section("oslo_policy").Set("policy_dirs", "/etc/glance/policy.d")
	// Interoperable image import runs its tasks in this pool.
	f.Section("wsgi").Set("task_pool_threads", strconv.Itoa(tasks))
	return f.String()
}

// sizes: glance-api's worker processes and the threads of image import
// tasks. Glance's work is streaming image data, mostly waiting on the
// store; the lab machine has 2 cores for the whole cloud.
func sizes(c *model.Cloud) (workers, tasks int) {
	if c.Spec.Profile == model.ProfileLab {
		return 1, 4
	}
	return 4, 16
}

// backendURL is Glance's own URL on a host, past HAProxy.
func backendURL(addr netip.Addr) string { return apiservice.BackendURL(Service, addr) }
