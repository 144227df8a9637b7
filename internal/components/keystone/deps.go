package keystone

// What Keystone takes from the components before it: its database from
// Galera (reached through the internal virtual IP) and the memcached
// servers of its token cache.

import (
	"fmt"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/galera"
	"github.com/fundament-cloud/fundament/internal/components/memcached"
	"github.com/fundament-cloud/fundament/internal/model"
)

// databaseRef is the item that creates Keystone's database and user.
func databaseRef(c *model.Cloud) (catalog.Ref, error) { return galera.DatabaseRef(c, Service.Name) }

// databaseURL is keystone.conf's [database] connection.
func databaseURL(c *model.Cloud, password string) (string, error) {
	return galera.ConnectionURL(c, Service.Name, password)
}

// retirePreviousDBPassword is the step after which Keystone's database
// account (its declaration's) no longer accepts a password it had before
// a rotation, after the items that may still use it.
func retirePreviousDBPassword(c *model.Cloud, password string, after ...*catalog.Item) (*catalog.Item, error) {
	return galera.RetirePreviousPassword(c, Service.Name, password, Component{}.Name(), after...)
}

// memcacheServers are the memcached servers of who's token cache (Keystone's
// own, or a service's middleware): at least one, as the cache is enabled.
func memcacheServers(c *model.Cloud, who string) ([]string, error) {
	s, err := memcached.Servers(c)
	if err == nil && len(s) == 0 {
		err = fmt.Errorf("%s's token cache needs memcached, and no host runs it", who)
	}
	return s, err
}
