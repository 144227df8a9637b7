package placement

import "github.com/fundament-cloud/fundament/internal/catalog"

// retirePreviousDBPassword: placeholder until the rebase onto main's galera.RetirePreviousPassword.
func (b *builder) retirePreviousDBPassword(services []*catalog.Item, sync *catalog.Item) error {
	return nil
}
