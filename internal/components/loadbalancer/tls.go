package loadbalancer

import (
	cryptotls "crypto/tls"
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/secrets"
)

// certificateBundle is the content of publicPEM: the public endpoint's
// certificate with its chain, then its private key. It is either the
// certificate Fundament generated (secrets tls-public-cert and
// tls-public-key), which must still match the model, or the operator's
// (loadbalancer.tls: a file of the repository and a secret), whose key
// must be the certificate's.
func certificateBundle(in *catalog.Input) ([]byte, error) {
	tls := in.Cloud.Services.LoadBalancer.TLS
	if tls == nil {
		for _, sp := range secrets.TLSSpecs(in.Cloud) {
			if sp.Kind != secrets.Certificate {
				continue
			}
			// Expiring soon is for `secrets generate` to renew; only a
			// certificate that no longer fits is refused here.
			cs := *sp.Cert
			cs.RenewBefore = 0
			sp.Cert = &cs
			problem, err := secrets.CertificateProblem(sp, in.SecretValue, nowFunc())
			if err != nil {
				return nil, fmt.Errorf("the generated certificate of the public endpoint: %w (fundament secrets generate makes it)", err)
			}
			if problem != "" {
				return nil, fmt.Errorf("the generated certificate of the public endpoint, secret %s, is out of date: %s; run fundament secrets generate", sp.Name, problem)
			}
		}
		cert, err := in.SecretValue(endpoint.GeneratedPublicCrt)
		if err != nil {
			return nil, err
		}
		key, err := in.SecretValue(endpoint.GeneratedPublicKey)
		if err != nil {
			return nil, err
		}
		return bundle(cert, key), nil
	}
	cert, err := model.ReadRepoFile(in.RepoDir, tls.Certificate)
	if err != nil {
		return nil, fmt.Errorf("loadbalancer.tls.certificate: %w", err)
	}
	key, err := in.SecretValue(tls.KeySecret)
	if err != nil {
		return nil, fmt.Errorf("loadbalancer.tls.key_secret: %w", err)
	}
	if _, err := cryptotls.X509KeyPair(cert, []byte(key)); err != nil {
		// The error of X509KeyPair never quotes the key.
		return nil, fmt.Errorf("loadbalancer.tls: the key in secret %s and the certificate in %s are no pair: %v", tls.KeySecret, tls.Certificate, err)
	}
	return bundle(string(cert), key), nil
}

func bundle(parts ...string) []byte {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strings.TrimRight(p, "\n"))
		b.WriteString("\n")
	}
	return []byte(b.String())
}
