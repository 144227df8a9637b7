package glance

import (
	"github.com/fundament-cloud/fundament/internal/apiservice"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
)

// HealthChecks is one check, glance-api, run on every Glance host: the
// host's own Glance (past HAProxy, so that a dead member is named) and
// Glance through the internal virtual IP each answer the version
// document, and refuse the images to a request without a token
// (apiservice.Checks says what it reports). An upload and download is the
// lab test's.
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	return apiservice.Checks(c, Service, "Glance", helperPath)
}
