package hostnet

import "github.com/fundament-cloud/fundament/internal/resource"

const tcpSysctlFile = "/etc/sysctl.d/60-fundament-tcp.conf"

// tcpSettings make a connection whose far end vanished fail in seconds,
// not hours. The case is a virtual IP's failover: a service's pooled
// database connection through the VIP holder's HAProxy had sent a query
// and seen it acknowledged when the holder died; with nothing unsent, the
// kernel's only way to learn of it is a keepalive probe, by default after
// two hours, and until then the thread waits. In the lab every Placement
// thread hung so for the whole test after the VIP holder stopped. With
// these, the first probe 10 s after the last byte reaches the VIP's new
// holder, which answers with a reset; where nobody answers, 3 probes 3 s
// apart end it. They apply to the sockets that ask for keepalives (PyMySQL,
// the AMQP clients, HAProxy), and a live peer answers the probes however
// long its query runs. tcp_retries2 ends a connection whose sent data
// nobody acknowledges after about 100 s instead of about 15 minutes
// (Kolla documents the same setting for VIP failovers).
var tcpSettings = []resource.Sysctl{
	{Key: "net.ipv4.tcp_keepalive_time", Value: "10"},
	{Key: "net.ipv4.tcp_keepalive_intvl", Value: "3"},
	{Key: "net.ipv4.tcp_keepalive_probes", Value: "3"},
	{Key: "net.ipv4.tcp_retries2", Value: "8"},
}

func tcpSysctl() string {
	return resource.SysctlConf("Written by Fundament: connections to a host that died (a virtual IP's old holder) end in seconds.", tcpSettings)
}

func tcpSysctlCommand() resource.Command {
	return resource.SysctlApply("hostnet/sysctl-tcp", tcpSysctlFile, tcpSettings)
}
