// Package components is the registry: the components in the order their
// resources are compiled (later components may depend on earlier ones),
// and the declarations of the services they deploy (internal/service),
// registered in the same order. A new service is one line here.
package components

import (
	"slices"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/ceph"
	"github.com/fundament-cloud/fundament/internal/components/custom"
	"github.com/fundament-cloud/fundament/internal/components/fabric"
	"github.com/fundament-cloud/fundament/internal/components/galera"
	"github.com/fundament-cloud/fundament/internal/components/glance"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/components/loadbalancer"
	"github.com/fundament-cloud/fundament/internal/components/memcached"
	"github.com/fundament-cloud/fundament/internal/components/ovn"
	"github.com/fundament-cloud/fundament/internal/components/placement"
	"github.com/fundament-cloud/fundament/internal/components/rabbitmq"
	"github.com/fundament-cloud/fundament/internal/service"
)

var all = []catalog.Component{
	fabric.Component{},
	hostnet.Component{},
	ovn.Component{},
	ceph.Component{},
	galera.Component{},
	rabbitmq.Component{},
	memcached.Component{},
	loadbalancer.Component{},
	keystone.Component{},
	placement.Component{},
	glance.Component{},
	custom.Component{},
}

// Every service a component declares is registered before anything runs:
// validation, the secrets a cloud needs and the shared components read
// the declarations.
func init() {
	for _, s := range Services() {
		service.Register(s)
	}
}

// Services are the declarations of the services the components deploy,
// in the components' order.
func Services() []*service.Service {
	var out []*service.Service
	for _, c := range all {
		if d, ok := c.(service.Declarer); ok {
			out = append(out, d.Declaration())
		}
	}
	return out
}

// All returns every component.
func All() []catalog.Component { return slices.Clone(all) }
