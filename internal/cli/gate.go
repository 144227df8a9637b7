package cli

import (
	"context"

	"github.com/fundament-cloud/fundament/internal/engine"
	"github.com/fundament-cloud/fundament/internal/health"
)

// healthGate wires the engine's health-gate policy to the session: its
// catalog, the components' checks and its connections.
func (s *session) healthGate(f *engineFlags) engine.Gate {
	return engine.HealthGate{
		Catalog: s.cat,
		Checks:  healthChecks(s.cloud),
		Env: func(ctx context.Context) *health.Env {
			return &health.Env{Cloud: s.cloud, Targets: s.allTargets(ctx, f)}
		},
	}.Gate()
}
