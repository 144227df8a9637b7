// Package openstack is Fundament's OpenStack client, a small layer over
// gophercloud: authenticate as a user of a project (from a clouds.yaml or
// from credentials, with the CA of the public endpoint), ask Keystone
// about the token held, and read the catalog. It also writes clouds.yaml
// files (cloudsyaml.go) that Debian's openstack client and gophercloud
// both read.
//
// Tokens and passwords never leave this package in errors or return
// values: a token is a credential as much as the password it came from.
package openstack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	gcopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
)

// Credentials are what a client needs to authenticate with a password:
// one entry of a clouds.yaml.
type Credentials struct {
	// AuthURL is Keystone's versioned endpoint (https://.../v3).
	AuthURL  string
	Username string
	Password string
	// UserDomain and ProjectDomain are domain names ("Default").
	UserDomain    string
	Project       string
	ProjectDomain string
	Region        string
	// Interface is the catalog interface the client uses: public or
	// internal.
	Interface string
}

// Client is an authenticated session with a cloud's Keystone.
type Client struct {
	provider *gophercloud.ProviderClient
	identity *gophercloud.ServiceClient
}

// requestTimeout bounds each HTTP request of a client: a Keystone that
// does not answer in it is as good as down for a health check or a test.
const requestTimeout = 30 * time.Second

// Connect authenticates with credentials. caPEM is the CA the endpoint's
// certificate chains to; nil trusts the system's CAs.
func Connect(ctx context.Context, cr Credentials, caPEM []byte) (*Client, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(caPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("the CA certificate holds no PEM certificate")
		}
		tlsConfig.RootCAs = pool
	}
	ao := gophercloud.AuthOptions{
		IdentityEndpoint: cr.AuthURL,
		Username:         cr.Username,
		Password:         cr.Password,
		DomainName:       cr.UserDomain,
		Scope:            &gophercloud.AuthScope{ProjectName: cr.Project, DomainName: cr.ProjectDomain},
	}
	eo := gophercloud.EndpointOpts{Region: cr.Region, Availability: availability(cr.Interface)}
	return connect(ctx, ao, eo, tlsConfig)
}

// ConnectCloudsYAML authenticates as the cloud entry of a clouds.yaml
// file says, the way the openstack client reads it (cacert, region,
// interface).
func ConnectCloudsYAML(ctx context.Context, path, cloud string) (*Client, error) {
	ao, eo, tlsConfig, err := clouds.Parse(clouds.WithLocations(path), clouds.WithCloudName(cloud))
	if err != nil {
		return nil, fmt.Errorf("reading cloud %s from %s: %w", cloud, path, err)
	}
	return connect(ctx, ao, eo, tlsConfig)
}

func connect(ctx context.Context, ao gophercloud.AuthOptions, eo gophercloud.EndpointOpts, tlsConfig *tls.Config) (*Client, error) {
	httpClient := http.Client{Timeout: requestTimeout}
	provider, err := config.NewProviderClient(ctx, ao, config.WithHTTPClient(httpClient), config.WithTLSConfig(tlsConfig))
	if err != nil {
		return nil, fmt.Errorf("authenticating as %s at %s: %w", ao.Username, ao.IdentityEndpoint, err)
	}
	identity, err := gcopenstack.NewIdentityV3(provider, eo)
	if err != nil {
		return nil, fmt.Errorf("the identity endpoint in the catalog: %w", err)
	}
	return &Client{provider: provider, identity: identity}, nil
}

func availability(iface string) gophercloud.Availability {
	switch iface {
	case "internal":
		return gophercloud.AvailabilityInternal
	case "admin":
		return gophercloud.AvailabilityAdmin
	}
	return gophercloud.AvailabilityPublic
}

// Token is what Keystone says about the token a client holds. Its ID is
// left out on purpose.
type Token struct {
	ExpiresAt time.Time
	User      string
	Project   string
}

// Token asks Keystone, at the identity endpoint of the catalog, to
// validate the token the client authenticated with: a round trip through
// issuing and validating.
func (c *Client) Token(ctx context.Context) (Token, error) {
	res := tokens.Get(ctx, c.identity, c.provider.Token())
	tok, err := res.ExtractToken()
	if err != nil {
		return Token{}, fmt.Errorf("validating the token at %s: %w", c.identity.Endpoint, err)
	}
	out := Token{ExpiresAt: tok.ExpiresAt}
	if u, err := res.ExtractUser(); err == nil && u != nil {
		out.User = u.Name
	}
	if p, err := res.ExtractProject(); err == nil && p != nil {
		out.Project = p.Name
	}
	return out, nil
}

// Endpoint is one endpoint of the catalog.
type Endpoint struct {
	Service   string `json:"service"`
	Type      string `json:"type"`
	Interface string `json:"interface"`
	Region    string `json:"region"`
	URL       string `json:"url"`
}

// Catalog lists the endpoints of the catalog the token came with, sorted
// by type, interface and region.
func (c *Client) Catalog() ([]Endpoint, error) {
	res, ok := c.provider.GetAuthResult().(tokens.CreateResult)
	if !ok {
		return nil, errors.New("the authentication left no Identity v3 token")
	}
	sc, err := res.ExtractServiceCatalog()
	if err != nil {
		return nil, fmt.Errorf("reading the catalog: %w", err)
	}
	var out []Endpoint
	for _, e := range sc.Entries {
		for _, ep := range e.Endpoints {
			region := ep.RegionID
			if region == "" {
				region = ep.Region
			}
			out = append(out, Endpoint{Service: e.Name, Type: e.Type, Interface: ep.Interface, Region: region, URL: ep.URL})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Interface != b.Interface {
			return a.Interface < b.Interface
		}
		return a.Region < b.Region
	})
	return out, nil
}
