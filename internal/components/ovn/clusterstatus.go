package ovn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
)

// clusterStatus is one member's view of its RAFT cluster, as
// `ovn-appctl -t <db>.ctl cluster/status <db>` prints it (ovs's
// raft_unixctl_status). Server IDs are the short (4 hex digit) forms the
// command prints.
type clusterStatus struct {
	Name     string
	ServerID string
	Address  string
	Status   string // cluster member, joining cluster, leaving cluster, failed, disconnected ...
	Role     string // leader, candidate, follower
	Term     uint64
	Leader   string // self, a server ID, or unknown
	// Log holds entries [LogStart, LogEnd): LogEnd-1 is the last index.
	LogStart, LogEnd uint64
	ElectionTimer    int
	Conns            []raftConn
	Servers          []raftServer
}

// raftConn is one connection to another server ("->sid" outgoing, "<-sid"
// incoming; in parentheses while not connected).
type raftConn struct {
	SID       string
	Incoming  bool
	Connected bool
}

// raftServer is a server of the cluster's configuration.
type raftServer struct {
	SID     string
	Address string
	Self    bool
	// Phase is set while the server is being added or removed
	// ("adding: catchup", ...).
	Phase string
	// MatchIndex is the leader's record of the last entry the server has
	// (only a leader prints it).
	MatchIndex    uint64
	HasMatchIndex bool
}

// parseClusterStatus reads cluster/status output. It fails on output that
// is not a cluster status (a standalone database says so, an error
// message has no Status line).
func parseClusterStatus(out string) (*clusterStatus, error) {
	s := &clusterStatus{}
	inServers := false
	for _, raw := range strings.Split(out, "\n") {
		line := strings.TrimRight(raw, "\r ")
		if inServers && strings.HasPrefix(line, " ") {
			srv, err := parseRaftServer(strings.TrimSpace(line))
			if err != nil {
				return nil, err
			}
			s.Servers = append(s.Servers, srv)
			continue
		}
		inServers = false
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		var err error
		switch key {
		case "Name":
			s.Name = val
		case "Server ID":
			s.ServerID = firstField(val)
		case "Address":
			s.Address = val
		case "Status":
			s.Status = val
		case "Role":
			s.Role = val
		case "Leader":
			s.Leader = firstField(val)
		case "Term":
			s.Term, err = strconv.ParseUint(val, 10, 64)
		case "Election timer":
			s.ElectionTimer, err = strconv.Atoi(val)
		case "Log":
			s.LogStart, s.LogEnd, err = parseLogRange(val)
		case "Connections":
			s.Conns = parseConns(val)
		case "Servers":
			inServers = true
		}
		if err != nil {
			return nil, fmt.Errorf("cluster status: %s %q: %w", key, val, err)
		}
	}
	if s.Status == "" || s.ServerID == "" {
		return nil, fmt.Errorf("not a cluster status (no Status or Server ID line): %s", health.FirstLine(out))
	}
	return s, nil
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// parseLogRange reads "[2, 8]".
func parseLogRange(v string) (start, end uint64, err error) {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
		return 0, 0, fmt.Errorf("want [start, end]")
	}
	a, b, ok := strings.Cut(v[1:len(v)-1], ",")
	if !ok {
		return 0, 0, fmt.Errorf("want [start, end]")
	}
	if start, err = strconv.ParseUint(strings.TrimSpace(a), 10, 64); err != nil {
		return 0, 0, err
	}
	if end, err = strconv.ParseUint(strings.TrimSpace(b), 10, 64); err != nil {
		return 0, 0, err
	}
	return start, end, nil
}

// parseConns reads " ->0000 <-4811 (->b286)".
func parseConns(v string) []raftConn {
	var out []raftConn
	for _, f := range strings.Fields(v) {
		c := raftConn{Connected: true}
		if strings.HasPrefix(f, "(") && strings.HasSuffix(f, ")") && len(f) >= 2 {
			c.Connected = false
			f = f[1 : len(f)-1]
		}
		switch {
		case strings.HasPrefix(f, "<-"):
			c.Incoming, c.SID = true, f[2:]
		case strings.HasPrefix(f, "->"):
			c.SID = f[2:]
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}

// parseRaftServer reads a line of Servers:
//
//	4811 (4811 at tcp:10.0.0.1:6643) (self) next_index=3 match_index=7 last msg 360 ms ago
func parseRaftServer(line string) (raftServer, error) {
	var s raftServer
	sid, rest, ok := strings.Cut(line, " (")
	if !ok {
		return s, fmt.Errorf("cluster status: server line %q: no address", line)
	}
	s.SID = sid
	inner, rest, ok := strings.Cut(rest, ")")
	if !ok {
		return s, fmt.Errorf("cluster status: server line %q: unterminated address", line)
	}
	_, addr, ok := strings.Cut(inner, " at ")
	if !ok {
		return s, fmt.Errorf("cluster status: server line %q: no address", line)
	}
	s.Address = addr
	rest = strings.TrimSpace(rest)
	for rest != "" {
		if strings.HasPrefix(rest, "(") {
			word, after, ok := strings.Cut(rest[1:], ")")
			if !ok {
				return s, fmt.Errorf("cluster status: server line %q: unterminated %q", line, rest)
			}
			switch {
			case word == "self":
				s.Self = true
			case strings.HasPrefix(word, "voted for"):
			default:
				s.Phase = word
			}
			rest = strings.TrimSpace(after)
			continue
		}
		word, after, _ := strings.Cut(rest, " ")
		if k, v, ok := strings.Cut(word, "="); ok && k == "match_index" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return s, fmt.Errorf("cluster status: server line %q: match_index: %w", line, err)
			}
			s.MatchIndex, s.HasMatchIndex = n, true
		}
		rest = strings.TrimSpace(after)
	}
	return s, nil
}

// connectedTo says whether the member has a working connection, either
// way, to the server sid.
func (s *clusterStatus) connectedTo(sid string) bool {
	for _, c := range s.Conns {
		if c.SID == sid && c.Connected {
			return true
		}
	}
	return false
}
