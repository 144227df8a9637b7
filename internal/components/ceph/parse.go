package ceph

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// cephStatus is the part of `ceph status -f json` the check reads (the
// shape of Ceph 18).
type cephStatus struct {
	FSID   string `json:"fsid"`
	Health struct {
		Status string                 `json:"status"` // HEALTH_OK, HEALTH_WARN, HEALTH_ERR
		Checks map[string]healthCheck `json:"checks"`
	} `json:"health"`
	QuorumNames []string `json:"quorum_names"`
	MonMap      struct {
		NumMons int `json:"num_mons"`
	} `json:"monmap"`
	OSDMap struct {
		NumOSDs   int `json:"num_osds"`
		NumUpOSDs int `json:"num_up_osds"`
		NumInOSDs int `json:"num_in_osds"`
	} `json:"osdmap"`
	PGMap struct {
		PGsByState []struct {
			State string `json:"state_name"`
			Count int    `json:"count"`
		} `json:"pgs_by_state"`
		NumPGs     int   `json:"num_pgs"`
		NumPools   int   `json:"num_pools"`
		BytesUsed  int64 `json:"bytes_used"`
		BytesTotal int64 `json:"bytes_total"`
	} `json:"pgmap"`
}

// healthCheck is one of Ceph's health checks, by code (OSD_DOWN, ...).
type healthCheck struct {
	Severity string `json:"severity"`
	Summary  struct {
		Message string `json:"message"`
	} `json:"summary"`
	Muted bool `json:"muted"`
}

func parseStatus(s string) (*cephStatus, error) {
	var st cephStatus
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		return nil, fmt.Errorf("ceph status: %w", err)
	}
	if st.Health.Status == "" {
		return nil, fmt.Errorf("ceph status: no health status")
	}
	return &st, nil
}

// warnings are the health checks not muted, "CODE: message", sorted by
// code.
func (st *cephStatus) warnings(expected map[string]bool) []string {
	var out []string
	for code, c := range st.Health.Checks {
		if c.Muted || expected[code] {
			continue
		}
		out = append(out, code+": "+oneLine(c.Summary.Message))
	}
	sort.Strings(out)
	return out
}

// muted are the health checks that are raised but muted, by code,
// sorted.
func (st *cephStatus) muted() []string {
	var out []string
	for code, c := range st.Health.Checks {
		if c.Muted {
			out = append(out, code)
		}
	}
	sort.Strings(out)
	return out
}

// pgStates counts the PGs by state.
type pgStates struct {
	Total, Clean, Inactive int
	Other                  map[string]int // neither clean nor inactive
}

// clean says whether a PG state is active+clean (scrubbing aside).
func clean(state string) bool {
	for _, f := range strings.Split(state, "+") {
		switch f {
		case "active", "clean", "scrubbing", "deep", "snaptrim", "snaptrim_wait":
		default:
			return false
		}
	}
	return strings.Contains("+"+state+"+", "+active+") && strings.Contains("+"+state+"+", "+clean+")
}

func (st *cephStatus) pgs() pgStates {
	p := pgStates{Total: st.PGMap.NumPGs, Other: map[string]int{}}
	for _, s := range st.PGMap.PGsByState {
		switch {
		case clean(s.State):
			p.Clean += s.Count
		case !strings.Contains("+"+s.State+"+", "+active+"):
			p.Inactive += s.Count
			p.Other[s.State] += s.Count
		default:
			p.Other[s.State] += s.Count
		}
	}
	return p
}

// mgrStat is `ceph mgr stat -f json`.
type mgrStat struct {
	Available  bool   `json:"available"`
	ActiveName string `json:"active_name"`
	NumStandby int    `json:"num_standby"`
}

func parseMgrStat(s string) (*mgrStat, error) {
	var m mgrStat
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("ceph mgr stat: %w", err)
	}
	return &m, nil
}

// osdTree is `ceph osd tree -f json`: CRUSH buckets and OSDs as nodes.
type osdTree struct {
	Nodes []struct {
		ID       int     `json:"id"`
		Name     string  `json:"name"`
		Type     string  `json:"type"`
		Status   string  `json:"status"` // OSDs: up, down
		Reweight float64 `json:"reweight"`
		Children []int   `json:"children"`
	} `json:"nodes"`
}

// hostOSDs is what the tree says of a host's OSDs.
type hostOSDs struct {
	Host          string
	Total, Up, In int
	Down, Out     []string // osd.N
}

func parseOSDTree(s string) ([]hostOSDs, error) {
	var t osdTree
	if err := json.Unmarshal([]byte(s), &t); err != nil {
		return nil, fmt.Errorf("ceph osd tree: %w", err)
	}
	byID := map[int]int{}
	for i, n := range t.Nodes {
		byID[n.ID] = i
	}
	var out []hostOSDs
	for _, n := range t.Nodes {
		if n.Type != "host" {
			continue
		}
		h := hostOSDs{Host: n.Name}
		for _, c := range n.Children {
			i, ok := byID[c]
			if !ok || t.Nodes[i].Type != "osd" {
				continue
			}
			o := t.Nodes[i]
			h.Total++
			if o.Status == "up" {
				h.Up++
			} else {
				h.Down = append(h.Down, o.Name)
			}
			if o.Reweight > 0 {
				h.In++
			} else {
				h.Out = append(h.Out, o.Name)
			}
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out, nil
}

// poolUsage is a pool's line of `ceph df -f json`.
type poolUsage struct {
	Name        string
	Stored      int64
	PercentUsed float64 // of what the pool may still use, 0..1
}

func parseDF(s string) ([]poolUsage, error) {
	var df struct {
		Pools []struct {
			Name  string `json:"name"`
			Stats struct {
				Stored      int64   `json:"stored"`
				PercentUsed float64 `json:"percent_used"`
			} `json:"stats"`
		} `json:"pools"`
	}
	if err := json.Unmarshal([]byte(s), &df); err != nil {
		return nil, fmt.Errorf("ceph df: %w", err)
	}
	out := make([]poolUsage, len(df.Pools))
	for i, p := range df.Pools {
		out[i] = poolUsage{Name: p.Name, Stored: p.Stats.Stored, PercentUsed: p.Stats.PercentUsed}
	}
	return out, nil
}

// oneLine keeps a message of Ceph's on one line, cut at 200 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
