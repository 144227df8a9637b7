package placement

import (
	"github.com/fundament-cloud/fundament/internal/apiservice"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
)

// HealthChecks is one check, placement-api, run on every Placement host:
// the host's own Placement (past HAProxy, so that a dead member is
// named) and Placement through the internal virtual IP each answer the
// version document, and refuse resource providers to a request without
// a token (apiservice.Checks says what it reports). An authenticated call
// (a token, the resource providers) is the lab test's.
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	return apiservice.Checks(c, Service, "Placement", helperPath)
}
