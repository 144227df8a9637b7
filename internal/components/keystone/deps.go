package keystone

// What Keystone takes from the components before it: its database from
// Galera (reached through the internal virtual IP) and the memcached
// servers of its token cache.

import (
	"errors"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/galera"
	"github.com/fundament-cloud/fundament/internal/components/memcached"
	"github.com/fundament-cloud/fundament/internal/model"
)

// service is Keystone's name for Galera: its database and user.
const service = "keystone"

// errNoDatabase: Galera creates no database for Keystone.
var errNoDatabase = errors.New("galera creates no database for keystone (no Galera member?)")

// databaseRef is the item that creates Keystone's database and user.
func databaseRef(c *model.Cloud) (catalog.Ref, error) {
	ref, ok := galera.DatabaseRef(c, service)
	if !ok {
		return catalog.Ref{}, errNoDatabase
	}
	return ref, nil
}

// databaseURL is keystone.conf's [database] connection.
func databaseURL(c *model.Cloud, password string) (string, error) {
	u := galera.ConnectionURL(c, service, password)
	if u == "" {
		return "", errNoDatabase
	}
	return u, nil
}

// memcacheServers are [cache] memcache_servers.
func memcacheServers(c *model.Cloud) []string { return memcached.Servers(c) }
