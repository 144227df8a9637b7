package ovn

import (
	"context"
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
)

// layer is the health layer of OVN's checks.
const layer = "ovn"

// HealthChecks are the checks of OVN: each database cluster, ovn-northd,
// and the chassis. The central checks belong to the component (its
// rolling group gates on them), the chassis check to the chassis part.
// A model the component cannot compile has one check that says why.
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	t, err := newTopology(c)
	if err != nil {
		return health.Unavailable(layer, "ovn", err)
	}
	var checks []health.Check
	for _, db := range databases {
		checks = append(checks, health.Check{Layer: layer, Name: "ovn-" + db.Key + "-cluster", Component: "ovn",
			Run: func(ctx context.Context, env *health.Env) []health.Result {
				return []health.Result{checkCluster(ctx, env, t, db)}
			}})
	}
	checks = append(checks,
		health.Check{Layer: layer, Name: "ovn-northd", Component: "ovn", Run: func(ctx context.Context, env *health.Env) []health.Result {
			return []health.Result{checkNorthd(ctx, env, t)}
		}},
		health.Check{Layer: layer, Name: "ovn-chassis", Component: chassisComponent, Run: func(ctx context.Context, env *health.Env) []health.Result {
			return checkChassis(ctx, env, t)
		}})
	return checks
}

// explain says "not running" where ovn-appctl found no daemon to ask.
func explain(err error, daemon string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "failed to connect to") || strings.Contains(msg, "cannot read pidfile") {
		return fmt.Errorf("%s is not running (%s)", daemon, msg)
	}
	return err
}

func (t *topology) memberHosts() []string {
	var out []string
	for _, m := range t.Members {
		out = append(out, m.Host)
	}
	return out
}

func checkCluster(ctx context.Context, env *health.Env, t *topology, db database) health.Result {
	answers := env.RunEach(ctx, t.memberHosts(), func(int) string { return db.statusScript() })
	views := make([]memberView, len(t.Members))
	for i, m := range t.Members {
		views[i] = memberView{Host: m.Host, Addr: tcpAddr(m.Addr, db.RaftPort), Err: answers[i].Err}
		if answers[i].Err == nil {
			views[i].Status, views[i].Err = parseClusterStatus(answers[i].Out)
		}
		if views[i].Err != nil {
			views[i].Err = explain(views[i].Err, "the "+db.Schema+" database server")
		}
	}
	return evaluateCluster(db, views)
}

func checkNorthd(ctx context.Context, env *health.Env, t *topology) health.Result {
	answers := env.RunEach(ctx, t.memberHosts(), func(int) string { return northdScript })
	views := make([]northdView, len(t.Members))
	for i, m := range t.Members {
		views[i] = northdView{Host: m.Host, Err: explain(answers[i].Err, "ovn-northd")}
		if answers[i].Err == nil {
			views[i].Status, views[i].Err = parseNorthdStatus(answers[i].Out)
		}
	}
	return evaluateNorthd(views)
}

func checkChassis(ctx context.Context, env *health.Env, t *topology) []health.Result {
	if len(t.Chassis) == 0 {
		return nil
	}
	// The southbound database from the first central member that answers.
	var sb map[string]*sbChassis
	var sbErr error
	for _, m := range t.Members {
		out, err := env.Run(ctx, m.Host, sbChassisScript)
		if err == nil {
			sb, err = parseSBChassis(out)
		}
		if err == nil {
			sbErr = nil
			break
		}
		if sbErr == nil {
			sbErr = fmt.Errorf("%s: %w", m.Host, err)
		} else {
			sbErr = fmt.Errorf("%w; %s: %w", sbErr, m.Host, err)
		}
	}
	hosts := make([]string, len(t.Chassis))
	for i, ch := range t.Chassis {
		hosts[i] = ch.Host
	}
	ctrl := map[string]controllerView{}
	for _, a := range env.RunEach(ctx, hosts, func(int) string { return controllerScript }) {
		v := controllerView{Err: explain(a.Err, "ovn-controller")}
		if a.Err == nil {
			v.Connected, v.Err = parseConnectionStatus(a.Out)
		}
		ctrl[a.Host] = v
	}
	return evaluateChassis(t, sb, sbErr, ctrl)
}
