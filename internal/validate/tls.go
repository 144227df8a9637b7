package validate

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/secrets"
)

// The certificate an operator brings for the public endpoint
// (loadbalancer.tls).
const (
	// RuleTLSCertificate: the certificate file (and the CA file) must be
	// PEM certificates of the repository that clients of the public
	// endpoint can verify.
	RuleTLSCertificate = "tls-certificate"
	// RuleTLSKeySecret: the certificate's private key is an existing
	// secret.
	RuleTLSKeySecret = "tls-key-secret"
)

// tlsExpiryWarning: a certificate expiring this soon is worth a warning.
const tlsExpiryWarning = 30 * 24 * time.Hour

// validateNow is the clock of the expiry checks, replaced by tests.
var validateNow = time.Now

func init() {
	register(
		Rule{ID: RuleTLSCertificate, Summary: "loadbalancer.tls.certificate is a PEM file of the repository (the server certificate, then its chain) that is valid now and for the name clients use for the public virtual IP (its fqdn; its address in the lab profile); loadbalancer.tls.ca, when set, is a PEM file the certificate chains to", check: checkTLSCertificate},
		Rule{ID: RuleTLSKeySecret, Summary: "loadbalancer.tls.key_secret names a secret of secrets/ (the certificate's private key, PEM)", check: checkTLSKeySecret},
	)
}

func checkTLSCertificate(ck *checker) {
	tls := ck.c.Services.LoadBalancer.TLS
	if tls == nil || ck.fsys == nil {
		return
	}
	chain := ck.readCertificates(tls, "certificate", tls.Certificate)
	if len(chain) == 0 {
		return
	}
	leaf := chain[0]
	at := tls.At("certificate")
	t := validateNow()
	switch left := leaf.NotAfter.Sub(t); {
	case t.Before(leaf.NotBefore):
		ck.d.Errorf(at, RuleTLSCertificate, "loadbalancer.tls.certificate: the certificate in %s is valid only from %s", tls.Certificate, leaf.NotBefore.UTC().Format(time.DateTime))
	case left <= 0:
		ck.d.Errorf(at, RuleTLSCertificate, "loadbalancer.tls.certificate: the certificate in %s expired on %s", tls.Certificate, leaf.NotAfter.UTC().Format(time.DateOnly))
	case left < tlsExpiryWarning:
		ck.d.Warnf(at, RuleTLSCertificate, "loadbalancer.tls.certificate: the certificate in %s expires on %s; renew it", tls.Certificate, leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	if pub := endpoint.VIP(ck.c, endpoint.Public); pub != nil {
		host := strings.Trim(endpoint.Host(ck.c, pub), "[]")
		if err := leaf.VerifyHostname(host); err != nil {
			ck.d.Errorf(at, RuleTLSCertificate, "loadbalancer.tls.certificate: the certificate in %s is not valid for %s, the name clients use for the public endpoint (it names %s)",
				tls.Certificate, host, certificateNames(leaf))
		}
	}
	if tls.CA == "" {
		return
	}
	cas := ck.readCertificates(tls, "ca", tls.CA)
	if len(cas) == 0 {
		return
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, c := range cas {
		roots.AddCert(c)
	}
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	// The chain alone: names and times are checked above.
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: leaf.NotBefore.Add(time.Second), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		ck.d.Errorf(tls.At("ca"), RuleTLSCertificate, "loadbalancer.tls.ca: the certificate in %s does not chain to the CA in %s: %v", tls.Certificate, tls.CA, err)
	}
}

// readCertificates reads the PEM certificates of a repository file that
// field of loadbalancer.tls names, reporting what is wrong with it.
func (ck *checker) readCertificates(tls *model.TLS, field, file string) []*x509.Certificate {
	at := tls.At(field)
	name := path.Clean(file)
	if !fs.ValidPath(name) || strings.HasPrefix(file, "/") {
		ck.d.Errorf(at, RuleTLSCertificate, "loadbalancer.tls.%s: %q must be a path inside the repository, relative to its root", field, file)
		return nil
	}
	data, err := fs.ReadFile(ck.fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		ck.d.Errorf(at, RuleTLSCertificate, "loadbalancer.tls.%s: %s does not exist in the repository", field, file)
		return nil
	}
	if err != nil {
		ck.d.Errorf(at, RuleTLSCertificate, "loadbalancer.tls.%s: reading %s: %v", field, file, err)
		return nil
	}
	var out []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case strings.Contains(b.Type, "PRIVATE KEY"):
			ck.d.Errorf(at, RuleTLSCertificate, "loadbalancer.tls.%s: %s holds a private key; keep the key in a secret (key_secret), never in the repository's plain files", field, file)
			return nil
		case b.Type != "CERTIFICATE":
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			ck.d.Errorf(at, RuleTLSCertificate, "loadbalancer.tls.%s: certificate %d of %s does not parse: %v", field, len(out)+1, file, err)
			return nil
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		ck.d.Errorf(at, RuleTLSCertificate, "loadbalancer.tls.%s: %s holds no PEM certificate", field, file)
	}
	return out
}

// certificateNames lists what a certificate is valid for.
func certificateNames(c *x509.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no subject alternative name"
	}
	return strings.Join(names, ", ")
}

func checkTLSKeySecret(ck *checker) {
	tls := ck.c.Services.LoadBalancer.TLS
	if tls == nil || !tls.Has("key_secret") {
		return // a missing key_secret is a schema error already
	}
	at := tls.At("key_secret")
	if err := secrets.ValidateName(tls.KeySecret); err != nil {
		ck.d.Errorf(at, RuleTLSKeySecret, "loadbalancer.tls.key_secret: %v", err)
		return
	}
	if ck.fsys == nil {
		return
	}
	file := path.Join(secrets.DirName, tls.KeySecret+secrets.FileExt)
	if _, err := fs.Stat(ck.fsys, file); err != nil {
		ck.d.Errorf(at, RuleTLSKeySecret, "loadbalancer.tls.key_secret: there is no secret %s (%s); store the certificate's private key (PEM) as that secret", tls.KeySecret, file)
	}
}
