// Package rabbitmq deploys rabbitmq (being written).
package rabbitmq

import "github.com/fundament-cloud/fundament/internal/catalog"

// Component is the rabbitmq component.
type Component struct{}

func (Component) Name() string { return "rabbitmq" }

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	return nil, nil, nil
}
