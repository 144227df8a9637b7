package uwsgi

import (
	"net/netip"
	"strings"
	"testing"
)

// The application's own settings follow the common ones, the log comes
// last, and the socket is the host's address only.
func TestConfig(t *testing.T) {
	got := Config("HEADER", App{Title: "Demo", Name: "demo-api", WSGIFile: "/usr/bin/demo-api", Chdir: "/var/lib/demo",
		LogTo: "/var/log/demo/api.log", Processes: 1, Threads: 4, Extra: [][2]string{{"socket-timeout", "10"}}},
		netip.MustParseAddr("10.0.20.11"), 9876)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if !strings.HasPrefix(got, "# HEADER\n# Demo's API under uwsgi") || lines[len(lines)-1] != "logto=/var/log/demo/api.log" ||
		lines[len(lines)-2] != "socket-timeout=10" || !strings.Contains(got, "\nhttp-socket=10.0.20.11:9876\n") ||
		!strings.Contains(got, "\nprocesses=1\nthreads=4\n") {
		t.Errorf("config:\n%s", got)
	}
	if d := DropIn("HEADER", "/etc/demo/uwsgi.ini"); !strings.Contains(d, "ExecStart=\nExecStart=/usr/bin/uwsgi_python3 --ini /etc/demo/uwsgi.ini\n") {
		t.Errorf("drop-in:\n%s", d)
	}
}
