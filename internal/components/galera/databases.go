package galera

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/service"
)

// Port is where every member serves SQL, and where HAProxy forwards the
// internal virtual IP's connections to (one member at a time).
const Port = 3306

// serviceDB is what an OpenStack service gets: its databases, one account
// with every privilege on them, and the secret with its password.
type serviceDB struct {
	Service   string
	User      string
	Databases []string
	Secret    string
}

// serviceDatabases lists the databases the services the cloud enables
// declare (internal/service), in registration order.
func serviceDatabases(c *model.Cloud) []serviceDB {
	var out []serviceDB
	for _, s := range service.Enabled(c) {
		if len(s.Databases) > 0 {
			out = append(out, serviceDB{Service: s.Name, User: s.Name, Databases: s.Databases, Secret: s.DatabaseSecret()})
		}
	}
	return out
}

// lookupDB finds a service's databases by the service's name or the name
// of one of its databases (nova_api is nova's).
func lookupDB(c *model.Cloud, name string) (serviceDB, string, error) {
	for _, db := range serviceDatabases(c) {
		for _, d := range db.Databases {
			if name == db.Service || name == d {
				if name == db.Service {
					d = db.Databases[0]
				}
				return db, d, nil
			}
		}
	}
	return serviceDB{}, "", fmt.Errorf("galera creates no database %s (the service is not enabled, or has none)", name)
}

// accountHosts are the host parts of the services' accounts: the internal
// API networks, which the services and HAProxy connect from. IPv4
// networks as address/netmask (MariaDB matches those); IPv6, which
// MariaDB cannot match by prefix, as every host address on the network.
func accountHosts(c *model.Cloud) []string {
	var out []string
	for _, n := range c.Network.Networks {
		if n == nil || n.Role != model.NetInternalAPI || !n.Prefix.IsValid() {
			continue
		}
		if n.Prefix.Addr().Is4() {
			out = append(out, n.Prefix.Masked().Addr().String()+"/"+netmask(n.Prefix.Bits()))
			continue
		}
		for _, h := range c.Hosts {
			if att := h.Networks[n.Name]; att != nil && att.Address.IsValid() {
				out = append(out, att.Address.String())
			}
		}
		for _, v := range c.Network.VirtualIPs {
			if v.Network == n.Name && v.Address.IsValid() {
				out = append(out, v.Address.String())
			}
		}
	}
	return out
}

func netmask(bits int) string {
	m := net.CIDRMask(bits, 32)
	return netip.AddrFrom4([4]byte(m)).String()
}

func databaseCommandName(service string) string { return "galera/database-" + service }

// DatabaseRef is the step after which a service's databases and account
// exist (keystone's db_sync orders after it). service is the service's
// name, or one of its databases (nova_api). An error says why there is
// none: the service is not enabled or has no database, or Galera has no
// member (or its members' addresses are wrong). The step runs on the
// first Galera member; while that host is down, steps after it wait for
// the next apply.
func DatabaseRef(c *model.Cloud, service string) (catalog.Ref, error) {
	db, host, err := accountsHost(c, service)
	if err != nil {
		return catalog.Ref{}, err
	}
	return databaseStep(db, host), nil
}

// databaseStep is the step that makes db's database and accounts on host.
func databaseStep(db serviceDB, host string) catalog.Ref {
	return catalog.Ref{Host: host, ID: resource.Command{Name: databaseCommandName(db.Service)}.ID()}
}

// accountsHost is a service's database and the member whose socket its
// accounts are managed through: the first, so that every step about them
// runs in one place, in order.
func accountsHost(c *model.Cloud, service string) (serviceDB, string, error) {
	db, _, err := lookupDB(c, service)
	if err != nil {
		return serviceDB{}, "", err
	}
	ms, err := members(c)
	if err != nil {
		return serviceDB{}, "", fmt.Errorf("the database of %s: %w", service, err)
	}
	if len(ms) == 0 {
		return serviceDB{}, "", fmt.Errorf("the database of %s: no host runs Galera", service)
	}
	return db, ms[0].Host, nil
}

// RetirePreviousPassword is the step that ends a change of a service's
// database password, as the item the service's component adds. After a
// rotation the service's accounts accept the new password and the
// previous one, so that the service's members still running with the old
// one keep working while they are restarted one by one (a rolling
// restart cannot restart them all at the instant the password changes).
// The step comes after every member's restart (after: the items that
// still use the old password, the service's units among them); from then
// on only the new password is accepted. It runs on the first member, as
// root over its socket, and is planned with the password change: it
// subscribes to the database step (at plan time, before the change, the
// account accepts one password and the retirement's own guard holds).
func RetirePreviousPassword(c *model.Cloud, service, password, component string, after ...*catalog.Item) (*catalog.Item, error) {
	db, host, err := accountsHost(c, service)
	if err != nil {
		return nil, err
	}
	accounts := accountHosts(c)
	it := &catalog.Item{Host: host, Component: component,
		Resource: resource.Command{Name: "galera/retire-previous-password-" + db.Service, Script: retireScript(db, accounts),
			Guard: retireGuard(db, accounts), Env: map[string]string{"GALERA_DB_PASSWORD": password}, Timeout: "2m"},
		Subscribes: []catalog.Ref{databaseStep(db, host)}}
	for _, a := range after {
		it.After = append(it.After, a.Ref())
	}
	return it, nil
}

// ConnectionURL is the SQLAlchemy URL of a service's database through the
// internal virtual IP (HAProxy forwards Port to one member at a time):
// mysql+pymysql://user:password@address:3306/database?charset=utf8.
// service is the service's name, or one of its databases (nova_api), the
// user being the service's. Without an internal virtual IP it names the
// first member. An error when the service has no database or there is
// no address to name.
func ConnectionURL(c *model.Cloud, service, password string) (string, error) {
	db, name, err := lookupDB(c, service)
	if err != nil {
		return "", err
	}
	var host string
	if v := endpoint.VIP(c, endpoint.Internal); v != nil && v.Address.IsValid() {
		host = v.Address.String()
	} else {
		ms, err := members(c)
		if err != nil {
			return "", fmt.Errorf("the database of %s: %w", service, err)
		}
		if len(ms) == 0 {
			return "", fmt.Errorf("the database of %s: no internal virtual IP and no host runs Galera", service)
		}
		host = ms[0].Addr.String()
	}
	u := url.URL{
		Scheme:   "mysql+pymysql",
		User:     url.UserPassword(db.User, password),
		Host:     net.JoinHostPort(host, strconv.Itoa(Port)),
		Path:     "/" + name,
		RawQuery: "charset=utf8",
	}
	return u.String(), nil
}
