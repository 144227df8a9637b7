package glance

import (
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

// The unit tests compile with Glance as the one registered service:
// the goldens do not change when the cloud gains another.
func TestMain(m *testing.M) { servicetest.Main(m, Service) }
