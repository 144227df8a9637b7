// Package keystone deploys keystone (being written).
package keystone

import "github.com/fundament-cloud/fundament/internal/catalog"

// Component is the keystone component.
type Component struct{}

func (Component) Name() string { return "keystone" }

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	return nil, nil, nil
}
