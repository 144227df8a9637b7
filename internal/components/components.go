// Package components lists the components in the order their resources
// are compiled: later components may depend on earlier ones.
package components

import (
	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/custom"
	"github.com/fundament-cloud/fundament/internal/components/fabric"
	"github.com/fundament-cloud/fundament/internal/components/galera"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/components/loadbalancer"
	"github.com/fundament-cloud/fundament/internal/components/memcached"
	"github.com/fundament-cloud/fundament/internal/components/ovn"
	"github.com/fundament-cloud/fundament/internal/components/rabbitmq"
)

// All returns every component.
func All() []catalog.Component {
	return []catalog.Component{
		fabric.Component{},
		hostnet.Component{},
		ovn.Component{},
		galera.Component{},
		rabbitmq.Component{},
		memcached.Component{},
		loadbalancer.Component{},
		keystone.Component{},
		custom.Component{},
	}
}
