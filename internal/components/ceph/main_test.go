package ceph

import (
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
)

// The unit tests compile for the demo service (servicetest.Demo), not for
// the cloud's services: the goldens do not change when it gains one.
func TestMain(m *testing.M) { servicetest.Main(m, servicetest.Demo) }
