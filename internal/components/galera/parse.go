package galera

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// zeroUUID is the cluster state UUID of a node that never belonged to a
// cluster (Galera writes it into grastate.dat when a first join fails).
const zeroUUID = "00000000-0000-0000-0000-000000000000"

var reUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// position is a point in a cluster's history: the cluster state UUID and
// the sequence number of the last transaction committed (-1: unknown, as
// grastate.dat says while the server runs or after it crashed).
type position struct {
	UUID  string
	Seqno int64
}

func (p position) String() string { return p.UUID + ":" + strconv.FormatInt(p.Seqno, 10) }

// hasData says that the position belongs to a cluster's history.
func (p position) hasData() bool { return p.UUID != "" && p.UUID != zeroUUID }

// parsePosition reads "uuid:seqno" as wsrep_start_position and Galera's
// recovery print it, optionally followed by ",gtid".
func parsePosition(s string) (position, error) {
	s = strings.TrimSpace(s)
	s, _, _ = strings.Cut(s, ",")
	uuid, seq, ok := strings.Cut(s, ":")
	if !ok {
		return position{}, fmt.Errorf("position %q is not uuid:seqno", s)
	}
	if !reUUID.MatchString(uuid) {
		return position{}, fmt.Errorf("position %q: %q is not a UUID", s, uuid)
	}
	n, err := strconv.ParseInt(seq, 10, 64)
	if err != nil || n < -1 {
		return position{}, fmt.Errorf("position %q: bad sequence number %q", s, seq)
	}
	return position{UUID: uuid, Seqno: n}, nil
}

// grastate is /var/lib/mysql/grastate.dat, Galera's saved state:
//
//	# GALERA saved state
//	version: 2.1
//	uuid:    971c9b48-ea14-11f1-881b-765d070fc40c
//	seqno:   -1
//	safe_to_bootstrap: 0
//
// seqno is -1 while the server runs and after a crash; a clean shutdown
// writes the last committed one. safe_to_bootstrap is 1 on the member that
// left the cluster last, cleanly (or bootstrapped it and runs alone).
type grastate struct {
	Pos             position
	SafeToBootstrap bool
}

// parseGrastate reads grastate.dat. uuid and seqno are required; an
// unknown key is ignored (later versions add some), a malformed line is
// an error.
func parseGrastate(s string) (grastate, error) {
	var g grastate
	var haveUUID, haveSeqno bool
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return grastate{}, fmt.Errorf("grastate.dat: line %q is not key: value", clip(line))
		}
		value = strings.TrimSpace(value)
		switch strings.TrimSpace(key) {
		case "uuid":
			if !reUUID.MatchString(value) {
				return grastate{}, fmt.Errorf("grastate.dat: uuid %q is not a UUID", clip(value))
			}
			g.Pos.UUID, haveUUID = value, true
		case "seqno":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < -1 {
				return grastate{}, fmt.Errorf("grastate.dat: bad seqno %q", clip(value))
			}
			g.Pos.Seqno, haveSeqno = n, true
		case "safe_to_bootstrap":
			switch value {
			case "0":
			case "1":
				g.SafeToBootstrap = true
			default:
				return grastate{}, fmt.Errorf("grastate.dat: safe_to_bootstrap %q is neither 0 nor 1", clip(value))
			}
		}
	}
	if !haveUUID || !haveSeqno {
		return grastate{}, fmt.Errorf("grastate.dat has no uuid or no seqno")
	}
	return g, nil
}

// wsrepStatus is what a member says about itself and its cluster
// (SHOW GLOBAL STATUS LIKE 'wsrep_%', the variables statusQuery asks for).
type wsrepStatus struct {
	ClusterStatus string // Primary, non-Primary, Disconnected
	LocalState    string // Synced, Donor/Desynced, Joining, Joined, Initialized ...
	ClusterSize   int
	Ready         bool
	StateUUID     string
	LastCommitted int64
}

// statusVariables are the status variables the probe and the health check
// read.
var statusVariables = []string{
	"wsrep_cluster_status", "wsrep_local_state_comment", "wsrep_cluster_size",
	"wsrep_ready", "wsrep_cluster_state_uuid", "wsrep_last_committed",
}

// statusQuery prints statusVariables as name<TAB>value lines (mariadb -N -B).
var statusQuery = "SHOW GLOBAL STATUS WHERE Variable_name IN ('" + strings.Join(statusVariables, "', '") + "')"

var reVariable = regexp.MustCompile(`^[a-z_]+$`)

// parseStatus reads the lines of statusQuery. A server without wsrep has
// none of the variables: that is an error, as is any line that is not
// name<TAB>value (what the client prints when it cannot connect).
func parseStatus(s string) (wsrepStatus, error) {
	var st wsrepStatus
	seen := map[string]bool{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "\t")
		name = strings.ToLower(name)
		if !ok || !reVariable.MatchString(name) {
			return wsrepStatus{}, fmt.Errorf("%s", clip(strings.TrimSpace(line)))
		}
		seen[name] = true
		switch name {
		case "wsrep_cluster_status":
			st.ClusterStatus = value
		case "wsrep_local_state_comment":
			st.LocalState = value
		case "wsrep_cluster_size":
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return wsrepStatus{}, fmt.Errorf("wsrep_cluster_size %q is not a number", clip(value))
			}
			st.ClusterSize = n
		case "wsrep_ready":
			st.Ready = value == "ON"
		case "wsrep_cluster_state_uuid":
			st.StateUUID = value
		case "wsrep_last_committed":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < -1 {
				return wsrepStatus{}, fmt.Errorf("wsrep_last_committed %q is not a sequence number", clip(value))
			}
			st.LastCommitted = n
		}
	}
	if !seen["wsrep_cluster_status"] {
		return wsrepStatus{}, fmt.Errorf("the server reports no wsrep status (it runs without Galera)")
	}
	return st, nil
}

// clip shortens text quoted in an error.
func clip(s string) string {
	const max = 120
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
