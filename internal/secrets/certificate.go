package secrets

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// CertSpec is what a Certificate secret certifies. Generate issues it
// from other secrets of the same run (listed before it): the subject's
// key and, unless it is self-signed, the issuer's key and certificate.
type CertSpec struct {
	// Key names the secret holding the certificate's private key (an
	// ECKey secret).
	Key string
	// IssuerKey and IssuerCert name the secrets of the issuing CA's key
	// and certificate; both empty: the certificate is self-signed with Key.
	IssuerKey, IssuerCert string
	// CA makes a certificate authority (may sign certificates, no
	// further CAs); otherwise a TLS server certificate.
	CA         bool
	CommonName string
	// DNSNames and IPs are the subject alternative names a server
	// certificate is valid for.
	DNSNames []string
	IPs      []netip.Addr
	// Lifetime of a newly issued certificate.
	Lifetime time.Duration
	// RenewBefore: Generate issues the certificate anew once it expires
	// within this time.
	RenewBefore time.Duration
}

// now is the clock of issuing and of renewal, replaced by tests.
var now = time.Now

// backdate is how far before its issue a certificate is valid, so that a
// host whose clock is a little behind accepts it.
const backdate = time.Hour

func (cs *CertSpec) validate() error {
	if cs == nil {
		return errors.New("a certificate needs its CertSpec")
	}
	if err := ValidateName(cs.Key); err != nil {
		return fmt.Errorf("key: %w", err)
	}
	if (cs.IssuerKey == "") != (cs.IssuerCert == "") {
		return errors.New("an issuer needs both its key and its certificate")
	}
	for _, n := range []string{cs.IssuerKey, cs.IssuerCert} {
		if n != "" {
			if err := ValidateName(n); err != nil {
				return fmt.Errorf("issuer: %w", err)
			}
		}
	}
	if cs.Lifetime <= 0 || cs.RenewBefore < 0 || cs.RenewBefore >= cs.Lifetime {
		return fmt.Errorf("lifetime %s and renewal %s before expiry do not make sense", cs.Lifetime, cs.RenewBefore)
	}
	if !cs.CA && len(cs.DNSNames)+len(cs.IPs) == 0 {
		return errors.New("a server certificate needs at least one DNS name or IP address")
	}
	return nil
}

// newECKey returns a fresh ECDSA P-256 private key, PKCS #8 PEM encoded.
func newECKey() (string, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("generating an ECDSA P-256 key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// issue makes the certificate of cs, reading the keys and the issuer's
// certificate through get, and returns it PEM encoded.
func issue(cs *CertSpec, get func(string) (string, error)) (string, error) {
	key, err := readKey(get, cs.Key)
	if err != nil {
		return "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cs.CommonName, Organization: []string{"Fundament"}},
		NotBefore:    t.Add(-backdate).UTC(),
		NotAfter:     t.Add(cs.Lifetime).UTC(),
		DNSNames:     cs.DNSNames,
	}
	for _, a := range cs.IPs {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(a.AsSlice()))
	}
	if cs.CA {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.MaxPathLenZero = true, true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	parent, signer := tmpl, key
	if cs.IssuerKey != "" {
		if signer, err = readKey(get, cs.IssuerKey); err != nil {
			return "", err
		}
		if parent, err = readCert(get, cs.IssuerCert); err != nil {
			return "", err
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return "", fmt.Errorf("issuing the certificate: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// CertificateProblem says why the certificate secret of a Certificate
// spec has to be issued anew ("" when it is fine): it does not parse, it
// is not for the key the spec names, it was not signed by the issuer the
// spec names, it is (not) a CA where the spec says otherwise, its names
// differ from the spec's, or it expires within the spec's RenewBefore.
// err is for secrets that cannot be read.
func CertificateProblem(sp Spec, get func(string) (string, error), at time.Time) (problem string, err error) {
	cs := sp.Cert
	if err := cs.validate(); err != nil {
		return "", fmt.Errorf("secret %q: %w", sp.Name, err)
	}
	cert, err := readCert(get, sp.Name)
	if err != nil {
		var bad *badPEMError
		if errors.As(err, &bad) {
			return bad.Error(), nil
		}
		return "", err
	}
	key, err := readKey(get, cs.Key)
	if err != nil {
		return "", err
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return "it is not the certificate of key " + cs.Key, nil
	}
	issuer := cert
	if cs.IssuerCert != "" {
		if issuer, err = readCert(get, cs.IssuerCert); err != nil {
			return "", err
		}
	}
	if err := cert.CheckSignatureFrom(issuer); err != nil {
		if cs.IssuerCert == "" {
			return "it is not self-signed", nil
		}
		return "it was not issued by " + cs.IssuerCert, nil
	}
	if cert.IsCA != cs.CA {
		return fmt.Sprintf("it is a CA: %t, want %t", cert.IsCA, cs.CA), nil
	}
	if have, want := certNames(cert.DNSNames, cert.IPAddresses), certSpecNames(cs); !slices.Equal(have, want) {
		return fmt.Sprintf("it names %s, the configuration %s", orNone(have), orNone(want)), nil
	}
	if left := cert.NotAfter.Sub(at); left < cs.RenewBefore {
		if left <= 0 {
			return "it expired on " + cert.NotAfter.UTC().Format(time.DateOnly), nil
		}
		return "it expires on " + cert.NotAfter.UTC().Format(time.DateOnly), nil
	}
	return "", nil
}

// certNames are a certificate's subject alternative names, sorted.
func certNames(dns []string, ips []net.IP) []string {
	var out []string
	out = append(out, dns...)
	for _, ip := range ips {
		if a, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, a.Unmap().String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func certSpecNames(cs *CertSpec) []string {
	var ips []net.IP
	for _, a := range cs.IPs {
		ips = append(ips, net.IP(a.AsSlice()))
	}
	return certNames(cs.DNSNames, ips)
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no names"
	}
	return strings.Join(names, ", ")
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	da, errA := x509.MarshalPKIXPublicKey(a)
	db, errB := x509.MarshalPKIXPublicKey(b)
	return errA == nil && errB == nil && bytes.Equal(da, db)
}

// badPEMError is a secret that does not hold what it should; its message
// names the secret and never shows its content.
type badPEMError struct{ name, want string }

func (e *badPEMError) Error() string {
	return fmt.Sprintf("secret %s does not hold %s", e.name, e.want)
}

// readKey decrypts a PEM private key (PKCS #8, SEC 1 or PKCS #1).
func readKey(get func(string) (string, error), name string) (crypto.Signer, error) {
	v, err := get(name)
	if err != nil {
		return nil, err
	}
	return ParsePrivateKey(name, []byte(v))
}

// ParsePrivateKey reads the first private key of a PEM text; errors name
// the secret, never its content.
func ParsePrivateKey(name string, data []byte) (crypto.Signer, error) {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, &badPEMError{name, "a PEM private key"}
		}
		var k any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, &badPEMError{name, "a private key that parses"}
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, &badPEMError{name, "a private key that can sign"}
		}
		return s, nil
	}
}

func readCert(get func(string) (string, error), name string) (*x509.Certificate, error) {
	v, err := get(name)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode([]byte(v))
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, &badPEMError{name, "a PEM certificate"}
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, &badPEMError{name, "a certificate that parses"}
	}
	return c, nil
}
