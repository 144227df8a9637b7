package rabbitmq

import (
	"context"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
)

// layer is the health layer of RabbitMQ's check.
const layer = "rabbitmq"

// statusScript asks a member for its view of the cluster. While the
// server does not run it says so rather than start a CLI tool, which
// would start an epmd of its own (see serverActive).
const statusScript = `if ! systemctl is-active -q ` + serverUnit + `; then
	echo "` + serverUnit + ` is $(systemctl is-active ` + serverUnit + `)" >&2
	exit 3
fi
exec rabbitmqctl -q --timeout 60 cluster_status --formatter json
`

// HealthChecks is the check of the cluster: its members running in one
// cluster against the model's, resource alarms and partitions
// (evaluateCluster). The rolling group gates on it. A model the
// component cannot compile has one check that says why.
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	t, err := newTopology(c)
	if err != nil {
		return health.Unavailable(layer, name, err)
	}
	if len(t.Members) == 0 {
		return nil
	}
	return []health.Check{{Layer: layer, Name: "rabbitmq-cluster", Component: name,
		Run: func(ctx context.Context, env *health.Env) []health.Result {
			return []health.Result{checkCluster(ctx, env, t)}
		}}}
}

func checkCluster(ctx context.Context, env *health.Env, t *topology) health.Result {
	answers := env.RunEach(ctx, t.hosts(), func(int) string { return statusScript })
	views := make([]nodeView, len(t.Members))
	for i, a := range answers {
		views[i] = nodeView{Host: a.Host, Node: t.Members[i].Node, Err: a.Err}
		if a.Err == nil {
			views[i].Status, views[i].Err = parseClusterStatus(a.Out)
		}
	}
	return evaluateCluster(views)
}
