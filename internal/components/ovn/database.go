package ovn

// database is one of OVN's two clustered databases, with the names and
// paths Debian's packages and ovn-ctl give it.
type database struct {
	Key        string // nb, sb: in item and check names
	Schema     string // the database's name, OVN_Northbound
	Port       int    // for clients
	RaftPort   int
	File       string
	SchemaFile string
	Ctl        string // ovsdb-server's control socket (ovn-appctl -t)
	Sock       string // its local client socket
	Unit       string // the systemd unit that runs it
	Client     string // ovn-nbctl, ovn-sbctl
}

var (
	nbDB = database{Key: "nb", Schema: "OVN_Northbound", Port: nbPort, RaftPort: nbRaftPort,
		File: "/var/lib/ovn/ovnnb_db.db", SchemaFile: "/usr/share/ovn/ovn-nb.ovsschema",
		Ctl: "/var/run/ovn/ovnnb_db.ctl", Sock: "/var/run/ovn/ovnnb_db.sock",
		Unit: "ovn-ovsdb-server-nb.service", Client: "ovn-nbctl"}
	sbDB = database{Key: "sb", Schema: "OVN_Southbound", Port: sbPort, RaftPort: sbRaftPort,
		File: "/var/lib/ovn/ovnsb_db.db", SchemaFile: "/usr/share/ovn/ovn-sb.ovsschema",
		Ctl: "/var/run/ovn/ovnsb_db.ctl", Sock: "/var/run/ovn/ovnsb_db.sock",
		Unit: "ovn-ovsdb-server-sb.service", Client: "ovn-sbctl"}
	databases = []database{nbDB, sbDB}
)

// statusScript prints the member's view of its cluster (ovs's
// raft_unixctl_status; see parseClusterStatus).
func (db database) statusScript() string {
	return "ovn-appctl --timeout=20 -t " + db.Ctl + " cluster/status " + db.Schema
}
