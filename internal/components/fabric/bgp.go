package fabric

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// bgpPeer is one neighbour of `show bgp summary json` (FRR, also SONiC).
type bgpPeer struct {
	State  string `json:"state"`
	PfxRcd int    `json:"pfxRcd"`
}

type bgpSummary struct {
	IPv4 *struct {
		Peers map[string]bgpPeer `json:"peers"`
	} `json:"ipv4Unicast"`
}

// parseBGPSummary returns the state of each IPv4 unicast neighbour, keyed
// by neighbour (an interface name for unnumbered sessions).
func parseBGPSummary(out string) (map[string]bgpPeer, error) {
	var s bgpSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		return nil, fmt.Errorf("reading `show bgp summary json`: %w", err)
	}
	if s.IPv4 == nil {
		return map[string]bgpPeer{}, nil
	}
	return s.IPv4.Peers, nil
}

// sessionVerdict compares the sessions a switch should have (its
// switch-to-switch ports) with what BGP reports.
func sessionVerdict(expected []string, peers map[string]bgpPeer) (up int, down []string) {
	for _, port := range expected {
		if p, ok := peers[port]; ok && p.State == "Established" {
			up++
			continue
		}
		state := "not configured"
		if p, ok := peers[port]; ok {
			state = p.State
		}
		down = append(down, port+" "+state)
	}
	sort.Strings(down)
	return up, down
}

// parseUnreachable reads the loopback probe's output: one line
// "unreachable ADDRESS" per loopback that did not answer.
func parseUnreachable(out string) []string {
	var bad []string
	for _, line := range strings.Split(out, "\n") {
		if a, ok := strings.CutPrefix(strings.TrimSpace(line), "unreachable "); ok && a != "" {
			bad = append(bad, a)
		}
	}
	sort.Strings(bad)
	return bad
}
