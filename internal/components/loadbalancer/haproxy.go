package loadbalancer

import (
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/components/galera"
	"github.com/fundament-cloud/fundament/internal/endpoint"
)

const (
	haproxyConf = "/etc/haproxy/haproxy.cfg"
	// haproxyDefaults is the environment of Debian's haproxy.service; it
	// carries the statistics password, so that haproxy.cfg holds no
	// secret and shows in plans.
	haproxyDefaults = "/etc/default/haproxy"
	certDir         = "/etc/haproxy/certs"
	// publicPEM is the public endpoint's certificate, its chain and its
	// private key, as HAProxy's crt takes them.
	publicPEM = certDir + "/public.pem"
	// statsSocket is where the health checks read HAProxy's view of its
	// backends; Debian's tmpfiles.d makes its directory.
	statsSocket = "/run/haproxy/admin.sock"
	// statsPort serves the statistics page on each member's internal API
	// address (kolla-ansible's port).
	statsPort = 1984
	// statsPasswordEnv is the variable haproxy.cfg takes the password
	// of the statistics page from.
	statsPasswordEnv = "FUNDAMENT_HAPROXY_STATS_PASSWORD"
)

// The backends' health checks: every 2 s, up after 2 passes, down after
// 3 failures (a dead API leaves the pool within about 6 s).
const serverCheck = "check inter 2s rise 2 fall 3"

// haproxyConfig is member m's haproxy.cfg: the same on every member but
// for the statistics page, which listens on the member's own address.
func haproxyConfig(t *topology, m member) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	internal, public := t.vip(string(endpoint.Internal)), t.vip(string(endpoint.Public))
	p("# Written by Fundament from the configuration repository; changes here are overwritten.")
	p("# HAProxy of the API endpoints on %s. It binds the virtual IPs whether or not", m.Host)
	p("# this host holds them (net.ipv4.ip_nonlocal_bind), so a VRRP failover needs no reload.")
	p("")
	p("global")
	p("    log /dev/log local0")
	p("    log /dev/log local1 notice")
	p("    chroot /var/lib/haproxy")
	p("    user haproxy")
	p("    group haproxy")
	p("    maxconn 4096")
	p("    stats socket %s mode 600 level admin expose-fd listeners", statsSocket)
	p("    stats timeout 30s")
	p("    # Mozilla's intermediate TLS configuration, as Debian's default haproxy.cfg.")
	p("    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384")
	p("    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256")
	p("    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets")
	p("")
	p("defaults")
	p("    log global")
	p("    mode http")
	p("    option httplog")
	p("    option dontlognull")
	p("    option redispatch")
	p("    retries 3")
	p("    timeout connect 5s")
	p("    timeout client 1m")
	p("    timeout server 1m")
	p("    timeout http-request 10s")
	p("    timeout http-keep-alive 10s")
	p("    timeout queue 1m")
	p("    timeout check 5s")
	if m.Internal.IsValid() {
		p("")
		p("# The statistics page of this member (user fundament, password: secret haproxy-stats).")
		p("listen stats")
		p("    bind %s", endpoint.HostPort(m.Internal, statsPort))
		p("    stats enable")
		p("    stats uri /")
		p("    stats refresh 10s")
		p("    stats auth \"fundament:${%s}\"", statsPasswordEnv)
	}
	for _, a := range t.APIs {
		p("")
		p("# %s (%s): http on the internal virtual IP, https on the public one.", a.Name, a.Type)
		if internal != nil {
			p("frontend %s_internal", a.Name)
			p("    bind %s", endpoint.HostPort(internal.Addr, a.Port))
			p("    http-request del-header X-Forwarded-Proto")
			p("    option forwardfor")
			p("    default_backend %s", a.Name)
			p("")
		}
		if public != nil {
			p("frontend %s_public", a.Name)
			p("    bind %s ssl crt %s", endpoint.HostPort(public.Addr, a.Port), publicPEM)
			p("    http-request set-header X-Forwarded-Proto https")
			p("    option forwardfor")
			p("    default_backend %s", a.Name)
			p("")
		}
		p("backend %s", a.Name)
		p("    balance roundrobin")
		p("    option httpchk GET %s", a.Check)
		p("    http-check expect status 200")
		p("    default-server %s", serverCheck)
		for _, s := range a.Servers {
			p("    server %s %s", s.Host, endpoint.HostPort(s.Addr, a.Port))
		}
	}
	if internal != nil && len(t.Galera) > 0 {
		p("")
		p("# Galera on the internal virtual IP: one member takes every connection, the")
		p("# others stand by (backup), so that no two members take writes to the same")
		p("# rows at once, which Galera would abort as certification conflicts. The")
		p("# check reads MariaDB's greeting, without a MariaDB user; MariaDB, which")
		p("# skips name resolution, keeps no error count of the checking host to lock")
		p("# it out with (max_connect_errors).")
		p("# When a member goes down its connections are cut, so clients reconnect to")
		p("# the next; when the first comes back, the backups' connections are cut, so")
		p("# writes go to one member again.")
		p("listen galera")
		p("    bind %s", endpoint.HostPort(internal.Addr, galera.Port))
		p("    mode tcp")
		p("    option tcplog")
		p("    option tcpka")
		p("    option mysql-check")
		p("    timeout client 1h")
		p("    timeout server 1h")
		p("    default-server %s on-marked-down shutdown-sessions", serverCheck)
		for i, s := range t.Galera {
			role := "backup"
			if i == 0 {
				role = "on-marked-up shutdown-backup-sessions"
			}
			p("    server %s %s %s", s.Host, endpoint.HostPort(s.Addr, galera.Port), role)
		}
	}
	return b.String()
}

// haproxyEnv is /etc/default/haproxy: Debian's defaults and the password
// of the statistics page.
func haproxyEnv(password string) string {
	return "# Written by Fundament from the configuration repository; changes here are overwritten.\n" +
		"# The environment of haproxy.service. It holds the statistics page's password\n" +
		"# (secret haproxy-stats), which haproxy.cfg reads from it.\n" +
		statsPasswordEnv + "=" + password + "\n"
}

func (t *topology) vip(name string) *vip {
	for i := range t.VIPs {
		if t.VIPs[i].Name == name {
			return &t.VIPs[i]
		}
	}
	return nil
}
