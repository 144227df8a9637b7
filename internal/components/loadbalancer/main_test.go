package loadbalancer

import (
	"testing"

	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

// The unit tests compile for Keystone alone, not for every service the
// cloud has: the goldens do not change when it gains one.
func TestMain(m *testing.M) { servicetest.Main(m, keystone.Service) }
