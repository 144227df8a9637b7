package rabbitmq

import (
	"context"
	"sync"

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
		return []health.Check{{Layer: layer, Name: "rabbitmq-model", Component: name, Run: func(context.Context, *health.Env) []health.Result {
			return []health.Result{{Target: "rabbitmq", Status: health.Down, Reason: err.Error()}}
		}}}
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
	views := make([]nodeView, len(t.Members))
	var wg sync.WaitGroup
	for i, m := range t.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			views[i] = nodeView{Host: m.Host, Node: m.Node}
			out, err := env.Run(ctx, m.Host, statusScript)
			if err == nil {
				views[i].Status, err = parseClusterStatus(out)
			}
			if err != nil {
				views[i].Err = err
			}
		}()
	}
	wg.Wait()
	return evaluateCluster(views)
}
