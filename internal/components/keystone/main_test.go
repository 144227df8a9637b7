package keystone

import (
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

// The unit tests compile for Keystone alone (a test of the catalog adds
// the demo service), not for every service the cloud has: the goldens do
// not change when it gains one.
func TestMain(m *testing.M) { servicetest.Main(m, Service) }
