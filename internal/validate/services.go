package validate

import (
	"strings"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
)

// RuleServiceUnplaced: an enabled service runs nowhere.
const RuleServiceUnplaced = "service-unplaced"

func init() {
	register(Rule{ID: RuleServiceUnplaced, Summary: "every enabled service's placement selects at least one host", check: checkUnplaced})
}

func checkUnplaced(ck *checker) {
	if len(ck.c.Hosts) == 0 {
		ck.d.Errorf(diag.Pos{File: model.InventoryDir}, RuleServiceUnplaced,
			"the inventory has no hosts, so no service can run; describe the hosts in YAML files under %s/", model.InventoryDir)
		return
	}
	seen := map[*model.Placement]bool{}
	for _, s := range ck.services {
		p := s.Placement
		if !s.Enabled || len(s.Hosts) > 0 || p == nil || seen[p] {
			continue
		}
		seen[p] = true
		if len(p.Hosts) > 0 {
			continue // every host listed is unknown: unknown-host says so
		}
		want := describeSelector(p)
		fixes := []string{"add " + strings.Replace(want, "hosts with", "a host with", 1)}
		if strings.Contains(s.Key, ".") {
			// ovn-controller follows the roles and has no placement of its own.
			fixes = append(fixes, "set "+s.Key)
		}
		if k := disableKey(s); k != "" {
			fixes = append(fixes, "disable it with "+k+": false")
		}
		ck.d.Errorf(ck.placementPos(s), RuleServiceUnplaced,
			"%s runs on no host: there are no %s; %s", s.Name, want, orList(fixes))
	}
}

// disableKey is the setting that turns a service off, where there is one.
func disableKey(s *model.Service) string {
	switch s.Component {
	case "ceph":
		return "ceph.enabled"
	case "kubernetes":
		return "kubernetes.enabled"
	case "openstack":
		if parts := strings.Split(s.Key, "."); len(parts) >= 2 {
			return parts[0] + "." + parts[1] + ".enabled"
		}
	}
	return ""
}
