// Package loadbalancer deploys loadbalancer (being written).
package loadbalancer

import "github.com/fundament-cloud/fundament/internal/catalog"

// Component is the loadbalancer component.
type Component struct{}

func (Component) Name() string { return "loadbalancer" }

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	return nil, nil, nil
}
