// Package uwsgi is how the OpenStack API services run on their hosts:
// uwsgi under Debian's unit, listening on the host's internal API address
// only (HAProxy binds the virtual IPs on the same port on the same
// hosts), with Fundament's own ini file beside the package's and a
// drop-in that replaces the unit's ExecStart. Debian's init wrappers
// (/etc/init.d/<service> systemd-start) bind uwsgi to every address of
// the host and cannot be told otherwise. A library, so that no component
// imports another for it.
package uwsgi

import (
	"net/netip"
	"strconv"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/render/ini"
)

// App is one service's uwsgi application.
type App struct {
	// Title names the service in the file's comment (Keystone).
	Title string
	// Name is uwsgi's process name (keystone-api).
	Name     string
	WSGIFile string
	Chdir    string
	LogTo    string
	// Processes and threads size it for the host (the lab's 2 cores are
	// the whole cloud's).
	Processes, Threads int
	// Extra are the application's own settings, after the common ones
	// (Placement's chunked input, Keystone's process name for oslo).
	Extra [][2]string
}

// Config is the ini file of app on a host that listens on addr:port,
// under the given header (the "written by Fundament" line). The common
// settings are those of Debian's <service>-uwsgi.ini files.
func Config(header string, app App, addr netip.Addr, port int) string {
	f := ini.New(header + "\n" + app.Title + "'s API under uwsgi, on this host's internal API address only: HAProxy\n" +
		"listens on the virtual IPs on the same port and forwards to every " + app.Title + " host.")
	s := f.Section("uwsgi").
		Set("http-socket", endpoint.HostPort(addr, port)).
		Set("master", "true").
		Set("plugins", "python3").
		Set("wsgi-file", app.WSGIFile).
		Set("name", app.Name).
		Set("chdir", app.Chdir).
		Set("processes", strconv.Itoa(app.Processes)).
		Set("threads", strconv.Itoa(app.Threads)).
		Set("enable-threads", "true").
		Set("listen", "100").
		Set("buffer-size", "65535").
		Set("rem-header", "Content-Length").
		Set("thunder-lock", "true").
		Set("lazy-apps", "true").
		Set("paste-logger", "true").
		Set("no-orphans", "true").
		Set("die-on-term", "true").
		Set("close-on-exec", "true").
		Set("close-on-exec2", "true")
	for _, kv := range app.Extra {
		s.Set(kv[0], kv[1])
	}
	s.Set("logto", app.LogTo)
	return f.String()
}

// DropIn runs uwsgi with the ini file at iniPath under Debian's unit
// (its user, its runtime directories, its restart policy).
func DropIn(header, iniPath string) string {
	return "# " + header + "\n" +
		"# uwsgi with Fundament's configuration instead of Debian's wrapper, which\n" +
		"# would listen on every address of the host.\n" +
		"[Service]\n" +
		"ExecStart=\n" +
		"ExecStart=/usr/bin/uwsgi_python3 --ini " + iniPath + "\n" +
		"UMask=0022\n"
}
