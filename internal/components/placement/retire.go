package placement

import (
	"fmt"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/galera"
)

// retirePreviousDBPassword ends a rotation of the database password
// (docs/galera.md): once every Placement host restarted with the new
// one, and after the schema step, which may have used the old one.
func (b *builder) retirePreviousDBPassword(services []*catalog.Item, sync *catalog.Item) error {
	it, err := galera.RetirePreviousPassword(b.c, Service.Name, b.dbPassword, Component{}.Name(), append(services, sync)...)
	if err != nil {
		return fmt.Errorf("placement's database: %w", err)
	}
	b.items = append(b.items, it)
	return nil
}
