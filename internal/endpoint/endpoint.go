// Package endpoint knows where the cloud's APIs are: the URLs of an
// OpenStack API (its port and path its service declares) behind the
// virtual IPs (network.yaml virtual_ips): the public endpoint with TLS,
// the internal one without. HAProxy's frontends, Keystone's catalog and
// clouds.yaml all take their addresses from here, so that they cannot
// disagree.
package endpoint

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/model"
)

// API is an OpenStack API service, as the service's package declares it
// (internal/service).
type API struct {
	// Name is the service's name (keystone, placement, ...).
	Name string
	// Type is its type in the Keystone catalog.
	Type string
	// Port is where HAProxy listens on the virtual IPs and the service on
	// each of its hosts' internal API addresses.
	Port int
	// Path follows host and port in the catalog's URLs.
	Path string
}

// Interface is a Keystone endpoint interface.
type Interface string

const (
	Public   Interface = "public"
	Internal Interface = "internal"
)

// VIP returns the virtual IP of an interface (network.yaml virtual_ips
// named public or internal), nil when the cloud has none.
func VIP(c *model.Cloud, iface Interface) *model.VirtualIP {
	for _, v := range c.Network.VirtualIPs {
		if v.Name == string(iface) {
			return v
		}
	}
	return nil
}

// Host is what clients put into URLs to reach a virtual IP: its fqdn
// (default <name>.api.<domain>), which the operator's DNS resolves; in
// the lab profile its address, as no DNS knows the lab's names (they are
// in the certificate all the same).
func Host(c *model.Cloud, v *model.VirtualIP) string {
	if v.FQDN != "" && c.Spec.Profile != model.ProfileLab {
		return v.FQDN
	}
	if v.Address.Is6() {
		return "[" + v.Address.String() + "]"
	}
	return v.Address.String()
}

// URL is the endpoint of an API on an interface: https on the public
// virtual IP, http on the internal one. ok is false when the cloud has no
// virtual IP for the interface.
func URL(c *model.Cloud, iface Interface, a API) (url string, ok bool) {
	v := VIP(c, iface)
	if v == nil {
		return "", false
	}
	scheme := "http"
	if iface == Public {
		scheme = "https"
	}
	return scheme + "://" + Host(c, v) + ":" + strconv.Itoa(a.Port) + a.Path, true
}

// Backend is the address a service listens on on one of its hosts: the
// host's address on the internal API network.
func Backend(c *model.Cloud, h *model.Host) (netip.Addr, error) {
	for _, n := range c.Network.Networks {
		if n.Role != model.NetInternalAPI {
			continue
		}
		if att := h.Networks[n.Name]; att != nil && att.Address.IsValid() {
			return att.Address, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("host %s has no address on an internal API network", h.Name)
}

// HostAddr is a host and the address a service listens on there.
type HostAddr struct {
	Host string
	Addr netip.Addr
}

// Backends are the hosts' addresses on the internal API network (Backend),
// in the hosts' order. The error names every host without one and what
// would listen there (listener, e.g. "Galera listens there").
func Backends(c *model.Cloud, hosts []*model.Host, listener string) ([]HostAddr, error) {
	out := make([]HostAddr, 0, len(hosts))
	var problems []string
	for _, h := range hosts {
		a, err := Backend(c, h)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%v (%s)", err, listener))
			continue
		}
		out = append(out, HostAddr{Host: h.Name, Addr: a})
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}

// Secrets of the certificate Fundament generates when loadbalancer.tls is
// left out.
const (
	GeneratedCAKey     = "tls-ca-key"
	GeneratedCACert    = "tls-ca-cert"
	GeneratedPublicKey = "tls-public-key"
	GeneratedPublicCrt = "tls-public-cert"
)

// CACertificate returns the PEM of the CA that clients of the public
// endpoint trust (clouds.yaml cacert): the generated CA, or the file
// loadbalancer.tls.ca names; nil when the operator's certificate is
// trusted by the system's CAs.
func CACertificate(c *model.Cloud, repoDir string, secret func(string) (string, error)) ([]byte, error) {
	tls := c.Services.LoadBalancer.TLS
	if tls == nil {
		pem, err := secret(GeneratedCACert)
		if err != nil {
			return nil, fmt.Errorf("the generated CA certificate: %w", err)
		}
		return []byte(pem), nil
	}
	if tls.CA == "" {
		return nil, nil
	}
	b, err := model.ReadRepoFile(repoDir, tls.CA)
	if err != nil {
		return nil, fmt.Errorf("loadbalancer.tls.ca: %w", err)
	}
	return b, nil
}

// HostPort is address:port, an IPv6 address in brackets.
func HostPort(a netip.Addr, port int) string {
	return netip.AddrPortFrom(a, uint16(port)).String()
}
