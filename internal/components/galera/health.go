package galera

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
)

// layer is the health layer of Galera's check.
const layer = "galera"

// healthScript asks a member for its wsrep status as root over the unix
// socket (Debian's default account), after the unit's state.
var healthScript = `echo "== unit"
systemctl is-active ` + unit + ` 2>/dev/null | head -n 1
echo "== status"
timeout 15 mariadb --connect-timeout=5 -N -B -e "` + statusQuery + `" 2>&1 || true
echo "== end"
`

// HealthChecks is the cluster check: every member's view of its cluster.
// The rolling group galera gates on it. A model the component cannot
// compile has one check that says why.
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	ms, err := members(c)
	if err != nil {
		return health.Unavailable(layer, name, err)
	}
	if len(ms) == 0 {
		return nil
	}
	return []health.Check{{Layer: layer, Name: "galera-cluster", Component: name,
		Run: func(ctx context.Context, env *health.Env) []health.Result {
			return []health.Result{checkCluster(ctx, env, ms)}
		}}}
}

// memberView is what one member said, or why it said nothing.
type memberView struct {
	Host   string
	Unit   string
	Status *wsrepStatus
	Err    error
}

func checkCluster(ctx context.Context, env *health.Env, ms []member) health.Result {
	answers := env.RunEach(ctx, hostsOf(ms), func(int) string { return healthScript })
	views := make([]memberView, len(ms))
	for i, a := range answers {
		views[i] = viewOf(a)
	}
	return evaluate(env.Cloud.Spec.Name, views)
}

func viewOf(a health.Answer) memberView {
	v := memberView{Host: a.Host}
	if a.Err != nil {
		v.Err = a.Err
		return v
	}
	sec := health.Sections(a.Out)
	if _, ok := sec["end"]; !ok {
		v.Err = fmt.Errorf("the status script's output ends early")
		return v
	}
	v.Unit = strings.TrimSpace(sec["unit"])
	st, err := parseStatus(sec["status"])
	if err != nil {
		switch v.Unit {
		case "active":
			v.Err = fmt.Errorf("MariaDB does not answer: %v", err)
		case "activating":
			v.Err = fmt.Errorf("MariaDB is starting (joining, or waiting for its peers)")
		default:
			v.Err = fmt.Errorf("MariaDB is not running (%s)", orUnknown(v.Unit))
		}
		return v
	}
	v.Status = &st
	return v
}

// evaluate judges the cluster from its members' views:
//
//   - DOWN: no member is in a primary component (the cluster takes no
//     reads or writes), or members are in different primary components
//     (split brain).
//   - DEGRADED: a primary component serves, but a member is unreachable,
//     not running, outside it, not Synced (joining, donor) or not ready,
//     or the component's size differs from the number of members.
//   - OK: every member Synced and ready in one primary component of all
//     the members.
//
// A DEGRADED result names the members at fault in Hosts (a rolling
// group's gate after another member's batch need not wait for them);
// OK and DOWN name every member.
func evaluate(cluster string, views []memberView) health.Result {
	r := health.Result{Target: cluster}
	var all []string
	for _, v := range views {
		all = append(all, v.Host)
	}
	r.Hosts = all
	components := map[string][]string{} // state UUID -> members in a primary component with it
	size := 0
	for _, v := range views {
		if v.Status != nil && v.Status.ClusterStatus == "Primary" {
			components[v.Status.StateUUID] = append(components[v.Status.StateUUID], v.Host)
			size = max(size, v.Status.ClusterSize)
		}
	}
	var problems []string
	faulty := map[string]bool{}
	healthy := 0
	for _, v := range views {
		switch {
		case v.Err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", v.Host, v.Err))
		case v.Status.ClusterStatus != "Primary":
			problems = append(problems, fmt.Sprintf("%s is outside the primary component (%s, %s)", v.Host, v.Status.ClusterStatus, v.Status.LocalState))
		case v.Status.LocalState != "Synced":
			problems = append(problems, fmt.Sprintf("%s is %s, not Synced", v.Host, v.Status.LocalState))
		case !v.Status.Ready:
			problems = append(problems, fmt.Sprintf("%s is Synced but not ready for queries", v.Host))
		default:
			healthy++
			continue
		}
		faulty[v.Host] = true
	}
	switch {
	case len(components) == 0:
		r.Status = health.Down
		r.Reason = "no member is in a primary component: the databases take no queries; " + strings.Join(problems, "; ")
		return r
	case len(components) > 1:
		var parts []string
		for uuid, hs := range components {
			parts = append(parts, strings.Join(hs, ", ")+" in "+uuid)
		}
		sort.Strings(parts)
		r.Status = health.Down
		r.Reason = "split brain: the members are in " + fmt.Sprint(len(components)) + " primary components (" + strings.Join(parts, "; ") + ")"
		return r
	}
	if size != len(views) {
		problems = append(problems, fmt.Sprintf("the primary component has %d members, the model %d", size, len(views)))
	}
	if len(problems) == 0 {
		r.Status = health.OK
		r.Reason = fmt.Sprintf("%d/%d members Synced in the primary component (cluster size %d)", healthy, len(views), size)
		return r
	}
	r.Status = health.Degraded
	r.Reason = fmt.Sprintf("%d/%d members Synced in the primary component (cluster size %d); %s", healthy, len(views), size, strings.Join(problems, "; "))
	// Only the members at fault: a component larger than the model (a
	// server the model does not know joined) holds no gate back.
	r.Hosts = nil
	for _, h := range all {
		if faulty[h] {
			r.Hosts = append(r.Hosts, h)
		}
	}
	return r
}
