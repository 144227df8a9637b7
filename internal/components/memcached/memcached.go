// Package memcached deploys memcached (being written).
package memcached

import "github.com/fundament-cloud/fundament/internal/catalog"

// Component is the memcached component.
type Component struct{}

func (Component) Name() string { return "memcached" }

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	return nil, nil, nil
}
