package secrets

import (
	"time"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Lifetimes of the generated certificates. The server certificate lives
// a year and is renewed in its last month by `fundament secrets
// generate`; the CA ten years, renewed (same key, so certificates it
// issued stay valid) in its last year.
const (
	caLifetime      = 10 * 365 * 24 * time.Hour
	caRenewBefore   = 365 * 24 * time.Hour
	certLifetime    = 365 * 24 * time.Hour
	certRenewBefore = 30 * 24 * time.Hour
)

// TLSSpecs are the secrets of the public endpoint's certificate that
// Fundament generates when loadbalancer.tls is left out: an ECDSA P-256
// CA and a server certificate issued by it for both virtual IPs (their
// addresses and fqdns), in the order Generate must make them. Nil when
// the cloud has no public virtual IP or brings its own certificate.
func TLSSpecs(c *model.Cloud) []Spec {
	pub := endpoint.VIP(c, endpoint.Public)
	if pub == nil || c.Services.LoadBalancer.TLS != nil {
		return nil
	}
	server := &CertSpec{Key: endpoint.GeneratedPublicKey, IssuerKey: endpoint.GeneratedCAKey, IssuerCert: endpoint.GeneratedCACert,
		Lifetime: certLifetime, RenewBefore: certRenewBefore}
	for _, v := range []*model.VirtualIP{pub, endpoint.VIP(c, endpoint.Internal)} {
		if v == nil {
			continue
		}
		if v.Address.IsValid() {
			server.IPs = append(server.IPs, v.Address)
		}
		if v.FQDN != "" {
			server.DNSNames = append(server.DNSNames, v.FQDN)
		}
	}
	server.CommonName = pub.FQDN
	if server.CommonName == "" {
		server.CommonName = pub.Address.String()
	}
	return []Spec{
		{Name: endpoint.GeneratedCAKey, Kind: ECKey, Description: "key of the CA generated for the public API endpoint"},
		{Name: endpoint.GeneratedCACert, Kind: Certificate, Description: "certificate of the generated CA (clouds.yaml cacert)",
			Cert: &CertSpec{Key: endpoint.GeneratedCAKey, CA: true, CommonName: "Fundament " + c.Spec.Name + " CA",
				Lifetime: caLifetime, RenewBefore: caRenewBefore}},
		{Name: endpoint.GeneratedPublicKey, Kind: ECKey, Description: "key of the public API endpoint's generated certificate"},
		{Name: endpoint.GeneratedPublicCrt, Kind: Certificate, Description: "the public API endpoint's certificate, issued by the generated CA for the virtual IPs", Cert: server},
	}
}
