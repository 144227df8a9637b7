package rabbitmq

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/fundament-cloud/fundament/internal/endpoint"
)

const (
	confPath    = "/etc/rabbitmq/rabbitmq.conf"
	envConfPath = "/etc/rabbitmq/rabbitmq-env.conf"
	cookiePath  = "/var/lib/rabbitmq/.erlang.cookie"
	// epmdDropIn binds the Erlang port mapper, which Debian's epmd.socket
	// opens on every address.
	epmdDropIn = "/etc/systemd/system/epmd.socket.d/fundament.conf"
)

const header = "# Written by Fundament from the configuration repository; changes here are overwritten.\n"

// rabbitmqConf is member i's rabbitmq.conf.
//
//   - AMQP and the Erlang distribution (inter-node traffic and the CLI
//     tools, port 25672) listen on the member's internal API address
//     only: clients reach it there, and nothing of the cluster is on the
//     management or public networks. The CLI tools find the node through
//     its host name, which /etc/hosts (hostnet) resolves to the same
//     address.
//   - No peer discovery: a blank node starts a cluster of its own at
//     once, and the join command (cluster.go) makes it join the others.
//     RabbitMQ 4.0's classic_config discovery retries every peer that
//     does not run yet 11 times a round, 30 rounds: the first member,
//     starting while the others do not run, waited twelve minutes in the
//     lab (fixed upstream in 4.2, rabbitmq-server#14743).
//   - pause_minority: on a partition the side without a majority of the
//     members stops serving rather than accept writes the other side
//     does not see; quorum queues need the majority anyway.
//   - Memory: the lab's hosts share one machine whose whole memory each
//     node would otherwise see, so the watermark is absolute there.
func rabbitmqConf(t *topology, i int) string {
	m := t.Members[i]
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "# RabbitMQ node %s, member %d of %d of the cluster %s.\n\n", m.Node, i+1, len(t.Members), t.Cloud)
	b.WriteString("# Clients (AMQP 0-9-1) and the other members (Erlang distribution, port 25672)\n" +
		"# on this host's internal API address only; epmd (4369) is bound by epmd.socket.\n")
	// Cuttlefish takes the port after the last colon: no brackets, even
	// around an IPv6 address.
	fmt.Fprintf(&b, "listeners.tcp.1 = %s:%d\n", m.Addr, amqpPort)
	fmt.Fprintf(&b, "distribution.listener.interface = %s\n", m.Addr)
	b.WriteString("\n# The cluster's members (the join command of Fundament clusters them; peer\n" +
		"# discovery stays off, see docs/rabbitmq.md):")
	for _, o := range t.Members {
		b.WriteString(" " + o.Node)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "cluster_name = %s\n", t.Cloud)
	b.WriteString("# The side of a partition without a majority of the members pauses.\n")
	b.WriteString("cluster_partition_handling = pause_minority\n")
	if t.Quorum {
		b.WriteString("\n# Queues are replicated quorum queues unless a client asks otherwise.\n")
		b.WriteString("default_queue_type = quorum\n")
		b.WriteString("# A member that (re)joins gets its replicas of the quorum queues back.\n")
		b.WriteString("quorum_queue.continuous_membership_reconciliation.enabled = true\n")
	}
	b.WriteString("\n")
	if t.Lab {
		b.WriteString("# The lab: every node sees the whole machine's memory, shared by the cloud;\n" +
			"# publishers are blocked above this much (idle, a node uses ~150 MiB).\n")
		b.WriteString("vm_memory_high_watermark.absolute = 512MiB\n")
		b.WriteString("disk_free_limit.absolute = 50MB\n")
	} else {
		b.WriteString("# Publishers are blocked when the node uses 40% of the host's memory (the\n" +
			"# control hosts run the databases and APIs too), or when less free disk than\n" +
			"# memory is left (what a node may need to page out).\n")
		b.WriteString("vm_memory_high_watermark.relative = 0.4\n")
		b.WriteString("disk_free_limit.relative = 1.0\n")
	}
	return b.String()
}

// rabbitmqEnvConf is read by the server's start script and by the CLI
// tools: the node name (the tools' default target) and, because the
// control hosts run many services (and the lab's whole cloud shares two
// cores), Erlang schedulers that sleep instead of spinning when idle.
//
// On an IPv6 internal API network the distribution (server and CLI
// tools alike) runs over IPv6.
func rabbitmqEnvConf(t *topology, i int) string {
	m := t.Members[i]
	args := "+sbwt none +sbwtdcpu none +sbwtdio none"
	env := header + "NODENAME=" + m.Node + "\n" +
		"# Where an epmd that the server or a CLI tool starts itself (epmd.socket not\n" +
		"# running) listens: the addresses of epmd.socket.\n" +
		"ERL_EPMD_ADDRESS=" + strings.Join(epmdAddresses(m.Addr), ",") + "\n"
	if m.Addr.Is6() {
		args += " -proto_dist inet6_tcp"
		env += "# The internal API network is IPv6: so is the Erlang distribution.\n" +
			"CTL_ERL_ARGS=\"-proto_dist inet6_tcp\"\n"
	}
	return env + "# Idle schedulers sleep rather than busy-wait: the host's other services get the CPU.\n" +
		"SERVER_ADDITIONAL_ERL_ARGS=\"" + args + "\"\n"
}

// epmdSocketConf binds epmd (epmdAddresses) where Debian's epmd.socket
// listens on every address: the other members and their CLI tools ask it
// for this node's port on the internal API address. FreeBind: at boot the
// socket opens before networkd has put the address on its VLAN
// interface.
func epmdSocketConf(t *topology, i int) string {
	var b strings.Builder
	b.WriteString(header + "[Socket]\nListenStream=\n")
	for _, a := range epmdAddresses(t.Members[i].Addr) {
		b.WriteString("ListenStream=" + endpoint.HostPort(netip.MustParseAddr(a), epmdPort) + "\n")
	}
	b.WriteString("FreeBind=yes\n")
	return b.String()
}

// epmdPort is the Erlang port mapper's.
const epmdPort = 4369

// epmdAddresses are where epmd listens: loopback, where nodes register
// (::1 too on an IPv6 network), and the internal API address.
func epmdAddresses(a netip.Addr) []string {
	out := []string{"127.0.0.1"}
	if a.Is6() {
		out = append(out, "::1")
	}
	return append(out, a.String())
}
