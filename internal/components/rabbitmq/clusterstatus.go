package rabbitmq

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
)

// clusterStatus is one member's view of its cluster, as
// `rabbitmqctl cluster_status --formatter json` prints it (RabbitMQ 4.0).
type clusterStatus struct {
	// DiskNodes are the members the node knows (every member of a
	// RabbitMQ 4 cluster is a disc node), running or not.
	DiskNodes []string `json:"disk_nodes"`
	// RunningNodes are the members that run the RabbitMQ application and
	// that this node reaches.
	RunningNodes []string `json:"running_nodes"`
	Alarms       []alarm  `json:"alarms"`
	// Partitions maps a node to the nodes it was cut off from
	// (pause_minority pauses the smaller side).
	Partitions map[string][]string `json:"partitions"`
}

// alarm is a resource alarm: while one is set anywhere in the cluster,
// every publisher is blocked.
type alarm struct {
	Node     string
	Resource string // memory, disk, or the alarm's type (file_descriptor_limit ...)
}

// UnmarshalJSON reads RabbitMQ's alarm maps ({"node": ..., "type":
// "resource_limit", "resource": "memory"}, {"node": ..., "type":
// "file_descriptor_limit"}) and, should an alarm come as a bare string,
// that.
func (a *alarm) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		a.Resource = s
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("alarm %s: %w", b, err)
	}
	a.Node, _ = m["node"].(string)
	a.Resource, _ = m["resource"].(string)
	if a.Resource == "" {
		a.Resource, _ = m["type"].(string)
	}
	if a.Resource == "" {
		a.Resource = string(b)
	}
	return nil
}

// parseClusterStatus reads cluster_status's JSON. Anything around the
// object (a warning the CLI prints first) is ignored; output without one,
// or one without the members, is an error.
func parseClusterStatus(out string) (*clusterStatus, error) {
	start, end := strings.Index(out, "{"), strings.LastIndex(out, "}")
	if start < 0 || end < start {
		return nil, fmt.Errorf("not a cluster status (no JSON object): %s", health.FirstLine(out))
	}
	var s clusterStatus
	if err := json.Unmarshal([]byte(out[start:end+1]), &s); err != nil {
		return nil, fmt.Errorf("cluster status: %w", err)
	}
	if len(s.DiskNodes) == 0 {
		return nil, fmt.Errorf("cluster status without members: %s", health.FirstLine(out))
	}
	sort.Strings(s.DiskNodes)
	sort.Strings(s.RunningNodes)
	return &s, nil
}

func (s *clusterStatus) runs(node string) bool { return slices.Contains(s.RunningNodes, node) }
