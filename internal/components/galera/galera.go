// Package galera deploys galera (being written).
package galera

import "github.com/fundament-cloud/fundament/internal/catalog"

// Component is the galera component.
type Component struct{}

func (Component) Name() string { return "galera" }

func (Component) Items(in *catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	return nil, nil, nil
}
