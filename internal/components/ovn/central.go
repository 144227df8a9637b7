package ovn

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// centralDefaults is read by Debian's ovn-ovsdb-server-nb, -sb and
// ovn-northd units (OVN_CTL_OPTS, passed to ovn-ctl).
const centralDefaults = "/etc/default/ovn-central"

var centralPackages = []string{"openvswitch-common", "ovn-common", "ovn-central"}

// central declares the i-th member's databases and ovn-northd:
//
//	packages (rolling group ovn-central) -> /etc/default/ovn-central ->
//	a bootstrap command per database (create or join the cluster, once)
//	-> ovn-northd -> the database units (rolling group ovn-central)
//
// Installing ovn-central starts nothing (resource.InstallScript): the
// bootstrap starts the databases once /etc/default/ovn-central makes them
// cluster members (a standalone database that an older installation
// started is set aside). On a member that serves, an upgrade is the
// rolling group's: its packages change only while the other members are
// healthy, then its northd and databases restart on the new version
// (subscribed to the packages) before the next member's turn; a member
// being set up installs them outside the group (see joinedMembers).
// The database units come last
// on the host: the engine runs a host's actions in order, and a member's
// unit waits for the rolling group's gate, which waits for every member
// to have joined; northd comes before them for the same reason (the gate
// wants one active northd and its standbys).
func (b *builder) central(i int) error {
	t := b.t
	m := t.Members[i]
	names := centralPackages
	if m.HostnetOVS {
		names = names[1:] // openvswitch-common comes from host networking
	}
	pkgs, err := b.pkgs(m.Host, "ovn", names)
	if err != nil {
		return err
	}
	if b.joined[m.Host] {
		for _, p := range pkgs {
			p.Group = centralGroup
		}
	}
	conf := b.add(m.Host, "ovn", resource.File{Path: centralDefaults, Content: []byte(centralConf(t, i))}, pkgs...)
	var boots []*catalog.Item
	for _, db := range databases {
		boot := b.add(m.Host, "ovn", bootstrapCommand(t, i, db), append(pkgs, conf)...)
		// Members join one after the other, each after the one before it
		// is a member: RAFT adds one server at a time.
		if i > 0 {
			boot.After = append(boot.After, catalog.Ref{Host: t.Members[i-1].Host, ID: boot.Resource.ID()})
		}
		boots = append(boots, boot)
	}
	prepared := append(append(pkgs, conf), boots...)
	restartOn := append(append([]*catalog.Item(nil), pkgs...), conf)
	northd := b.service(m.Host, "ovn", "ovn-northd.service", restartOn, prepared...)
	umbrella := b.service(m.Host, "ovn", "ovn-central.service", nil, northd)
	for _, db := range databases {
		svc := b.service(m.Host, "ovn", db.Unit, restartOn, prepared...)
		svc.After = append(svc.After, northd.Ref(), umbrella.Ref())
		svc.Group = centralGroup
	}
	return nil
}

// ctlAddr is an address as ovn-ctl puts it into OVS remotes: IPv6 in
// brackets.
func ctlAddr(a netip.Addr) string {
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

// centralConf is /etc/default/ovn-central of member i. Each database
// listens for clients on the member's internal API address only (ptcp on
// the command line: a Connection row in the database is replicated to
// every member, so it could only name one address for all, or 0.0.0.0,
// which would put the unauthenticated databases on every network of the
// host). The cluster remote address makes ovn-ctl join the cluster, never
// create one, should the database file ever be missing; the bootstrap
// command creates the cluster, once, on the first member.
func centralConf(t *topology, i int) string {
	m := t.Members[i]
	var opts []string
	for _, db := range databases {
		p := "--db-" + db.Key + "-"
		opts = append(opts,
			p+"addr="+ctlAddr(m.Addr), p+"create-insecure-remote=yes",
			p+"cluster-local-proto=tcp", p+"cluster-local-addr="+ctlAddr(m.Addr), p+"cluster-local-port="+strconv.Itoa(db.RaftPort))
		if len(t.Members) > 1 {
			peer := t.Members[(i+1)%len(t.Members)]
			opts = append(opts, p+"cluster-remote-proto=tcp", p+"cluster-remote-addr="+ctlAddr(peer.Addr), p+"cluster-remote-port="+strconv.Itoa(db.RaftPort))
		}
	}
	opts = append(opts, "--ovn-northd-nb-db="+t.remotes(nbPort), "--ovn-northd-sb-db="+t.remotes(sbPort))
	return "# Written by Fundament from the configuration repository; changes here are overwritten.\n" +
		"# The clustered OVN databases of " + m.Host + " and ovn-northd: Debian's units pass\n" +
		"# OVN_CTL_OPTS to ovn-ctl. Clients reach the databases on this host's internal\n" +
		"# API address (northbound " + strconv.Itoa(nbPort) + ", southbound " + strconv.Itoa(sbPort) + "), RAFT runs on " +
		strconv.Itoa(nbRaftPort) + " and " + strconv.Itoa(sbRaftPort) + ".\n" +
		"OVN_CTL_OPTS=\"" + strings.Join(opts, " ") + "\"\n"
}

// bootstrapCommand makes member i part of db's cluster, once: its guard
// holds as soon as the member has a clustered database file, so a member
// of the cluster is never created or joined again.
//
// A standalone database (Debian's units started one where an older
// installation let the package start them) is set aside first. The first member creates the cluster,
// unless another member already answers (the cluster exists: the first
// member lost its file), in which case it joins like the others. The
// others join only once some member says it is the leader, and wait for
// one up to ten minutes. Each then starts its unit and waits until it is
// a cluster member; the creator initialises the empty database.
func bootstrapCommand(t *topology, i int, db database) resource.Command {
	m := t.Members[i]
	var others, raftOthers []string
	for j, o := range t.Members {
		if j != i {
			others = append(others, tcpAddr(o.Addr, db.Port))
			raftOthers = append(raftOthers, tcpAddr(o.Addr, db.RaftPort))
		}
	}
	self := tcpAddr(m.Addr, db.RaftPort)
	create := "no"
	if i == 0 {
		create = "yes"
	}
	query := `["_Server",{"table":"Database","where":[["name","==","` + db.Schema + `"]],"columns":["leader"],"op":"select"}]`
	script := fmt.Sprintf(`set -eu
db=%[1]s
unit=%[2]s
if [ -e "$db" ] && ! ovsdb-tool db-is-clustered "$db"; then
	systemctl stop "$unit"
	mv -f "$db" "$db.standalone"
	echo "fundament: set the standalone $db aside as $db.standalone"
fi
if [ ! -e "$db" ]; then
	create=%[3]s
	deadline=$(($(date +%%s) + 600))
	while :; do
		answered= leader=
		for r in %[4]s; do
			out=$(ovsdb-client --timeout=5 query "$r" %[5]s 2>/dev/null) || continue
			answered=$r
			case $out in *'"leader":true'*) leader=$r ;; esac
		done
		[ -z "$leader" ] || break
		if [ "$create" = yes ] && [ -z "$answered" ]; then
			break
		fi
		if [ "$(date +%%s)" -ge "$deadline" ]; then
			echo "fundament: no member of the %[6]s cluster answers as its leader (asked: %[4]s); %[7]s creates the cluster" >&2
			exit 1
		fi
		sleep 5
	done
	systemctl stop "$unit" || true
	if [ -n "$leader" ]; then
		echo "fundament: joining the %[6]s cluster (leader at $leader)"
		ovsdb-tool join-cluster "$db" %[6]s %[8]s %[9]s
		create=no
	else
		echo "fundament: creating the %[6]s cluster"
		ovsdb-tool --election-timer=%[10]d create-cluster "$db" %[11]s %[8]s
	fi
fi
# Enabled before it first runs: enabling adds the alias ovn-northd.service
# orders itself after, and systemd, merging that alias into a running
# unit, loses track of the running server.
systemctl enable "$unit"
systemctl start "$unit"
deadline=$(($(date +%%s) + 600))
until %[12]s 2>/dev/null | grep -q '^Status: cluster member'; do
	if [ "$(date +%%s)" -ge "$deadline" ]; then
		echo "fundament: %[2]s is not a member of the %[6]s cluster after ten minutes:" >&2
		%[12]s >&2 || true
		exit 1
	fi
	sleep 2
done
if [ "${create:-no}" = yes ]; then
	%[13]s --timeout=300 --no-leader-only --db=unix:%[14]s init
fi
`, db.File, db.Unit, create, strings.Join(others, " "), resource.Quote(query), db.Schema, t.Members[0].Host,
		self, strings.Join(raftOthers, " "), t.Election, db.SchemaFile, db.statusScript(), db.Client, db.Sock)
	return resource.Command{
		Name:    "ovn/" + db.Key + "-cluster",
		Script:  script,
		Guard:   "ovsdb-tool db-is-clustered " + db.File,
		Timeout: "25m",
		// Not idempotent (it creates or joins a RAFT cluster): after a
		// timeout its guard is asked again.
	}
}
