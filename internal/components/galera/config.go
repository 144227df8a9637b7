package galera

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
)

// configPath is read after Debian's 50-server.cnf (bind-address
// 127.0.0.1) and 60-galera.cnf, so that its values win.
const configPath = "/etc/mysql/mariadb.conf.d/90-fundament-galera.cnf"

// Ports of Galera on the internal API network: group communication and
// incremental state transfer (Galera's defaults, which the SST scripts
// and the documentation assume; the SST itself uses 4444).
const (
	groupPort = 4567
	istPort   = 4568
)

// sstUser is the account mariabackup logs in with on a donor, over the
// socket, to copy its data to a joining member.
const sstUser = "mariabackup"

// member is a Galera member: a host galera.placement selects, with its
// address on the internal API network, where the server listens for
// clients and Galera talks to its peers.
type member struct {
	Host string
	Addr netip.Addr
}

// members lists the Galera members in placement order.
func members(c *model.Cloud) ([]member, error) {
	var out []member
	for _, s := range c.ServiceList() {
		if s.Name != "galera" {
			continue
		}
		ms, err := endpoint.Backends(c, s.Hosts, "Galera listens there")
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, member(m))
		}
	}
	return out, nil
}

func hostsOf(ms []member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Host
	}
	return out
}

// bracketed is an address as Galera's URLs take it: IPv6 in brackets.
func bracketed(a netip.Addr) string {
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

// renderConfig is member i's server configuration. It holds the SST
// account's password (wsrep_sst_auth): the file is secret, readable by
// root and the mysql group only.
func renderConfig(c *model.Cloud, ms []member, i int, sstPassword string) string {
	m := ms[i]
	var peers []string
	for _, p := range ms {
		peers = append(peers, bracketed(p.Addr)+":"+strconv.Itoa(groupPort))
	}
	g := c.Services.Galera
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, v) }
	b.WriteString("# Written by Fundament from the configuration repository; changes here are overwritten.\n")
	fmt.Fprintf(&b, "# MariaDB Galera member %s of cluster %s (%d members). Clients and peers reach\n", m.Host, c.Spec.Name, len(ms))
	fmt.Fprintf(&b, "# it on its internal API address: SQL %d, group communication %d, IST %d, SST 4444.\n", Port, groupPort, istPort)
	b.WriteString("[mariadbd]\n")
	line("bind-address", m.Addr.String())
	line("port", strconv.Itoa(Port))
	// Accounts are addresses and networks; no lookups that a slow DNS
	// would turn into slow logins.
	line("skip-name-resolve", "ON")
	line("max_connections", strconv.Itoa(g.MaxConnections))
	line("innodb_buffer_pool_size", g.BufferPoolSize)
	b.WriteString("# What Galera requires: row-based replication, InnoDB, interleaved auto-increment locks.\n")
	line("binlog_format", "ROW")
	line("default_storage_engine", "InnoDB")
	line("innodb_autoinc_lock_mode", "2")
	b.WriteString("\n# Galera\n")
	line("wsrep_on", "ON")
	line("wsrep_provider", "/usr/lib/galera/libgalera_smm.so")
	line("wsrep_cluster_name", c.Spec.Name)
	line("wsrep_cluster_address", "gcomm://"+strings.Join(peers, ","))
	line("wsrep_node_name", m.Host)
	line("wsrep_node_address", bracketed(m.Addr))
	// pc.recovery keeps the last primary component in gvwstate.dat, so
	// that the members restore it by themselves when they all come back
	// after a crash of the whole cluster. gmcast.listen_addr keeps group
	// communication off the other networks (Galera listens on 0.0.0.0
	// otherwise).
	line("wsrep_provider_options", `"pc.recovery=TRUE; gmcast.listen_addr=tcp://`+bracketed(m.Addr)+":"+strconv.Itoa(groupPort)+
		`; ist.recv_addr=`+bracketed(m.Addr)+":"+strconv.Itoa(istPort)+`"`)
	line("wsrep_sst_method", "mariabackup")
	line("wsrep_sst_auth", `"`+sstUser+":"+sstPassword+`"`)
	return b.String()
}

// checkPassword refuses a password that the option file or the SQL
// scripts could not carry verbatim. Generated passwords never trip it;
// the error names the secret, never the value.
func checkPassword(secret, pw string) error {
	if pw == "" {
		return fmt.Errorf("secret %s is empty", secret)
	}
	for _, r := range pw {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' || r == '\'' {
			return fmt.Errorf("secret %s holds a character MariaDB's option files and Fundament's SQL cannot carry (whitespace, a quote, a backslash or a non-ASCII character); regenerate it", secret)
		}
	}
	return nil
}
