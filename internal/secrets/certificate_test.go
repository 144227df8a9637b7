package secrets

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
)

// tlsCloud is the little of a cloud the generated certificate depends on.
func tlsCloud(public string) *model.Cloud {
	c := &model.Cloud{}
	c.Spec.Name = "lab"
	c.Network.VirtualIPs = []*model.VirtualIP{
		{Name: "internal", Network: "internal", Address: netip.MustParseAddr("10.199.20.10"), FQDN: "internal.api.lab.fundament.test"},
		{Name: "public", Network: "public", Address: netip.MustParseAddr(public), FQDN: "public.api.lab.fundament.test"},
	}
	return c
}

func tlsStore(t *testing.T) *Store {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg"))
	t.Setenv(IdentityEnv, filepath.Join(home, "id.agekey"))
	return openStore(t, Options{RepoDir: t.TempDir(), CloudName: "lab"})
}

func mustCert(t *testing.T, s *Store, name string) *x509.Certificate {
	t.Helper()
	c, err := readCert(s.Get, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// at makes the store's clock read d from now for the rest of the test.
func at(t *testing.T, d time.Duration) {
	t.Helper()
	now = func() time.Time { return time.Now().Add(d) }
	t.Cleanup(func() { now = time.Now })
}

func TestGeneratedCertificate(t *testing.T) {
	s := tlsStore(t)
	specs := TLSSpecs(tlsCloud("10.199.100.10"))
	created, rotated, err := s.Generate(specs, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{endpoint.GeneratedCAKey, endpoint.GeneratedCACert, endpoint.GeneratedPublicKey, endpoint.GeneratedPublicCrt}
	if !slices.Equal(created, want) || len(rotated) != 0 {
		t.Fatalf("created %v, rotated %v", created, rotated)
	}
	ca, server := mustCert(t, s, endpoint.GeneratedCACert), mustCert(t, s, endpoint.GeneratedPublicCrt)
	for _, c := range []*x509.Certificate{ca, server} {
		k, ok := c.PublicKey.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() {
			t.Errorf("%s: key %T, want ECDSA P-256", c.Subject.CommonName, c.PublicKey)
		}
	}
	if !ca.IsCA || ca.MaxPathLen != 0 || !ca.MaxPathLenZero || ca.Subject.CommonName != "Fundament lab CA" {
		t.Errorf("CA: IsCA %t, path length %d, CN %q", ca.IsCA, ca.MaxPathLen, ca.Subject.CommonName)
	}
	if life := ca.NotAfter.Sub(ca.NotBefore); life < 9*365*24*time.Hour {
		t.Errorf("the CA lives %s", life)
	}
	if server.IsCA || !slices.Contains(server.ExtKeyUsage, x509.ExtKeyUsageServerAuth) || server.Subject.CommonName != "public.api.lab.fundament.test" {
		t.Errorf("server: IsCA %t, ext key usage %v, CN %q", server.IsCA, server.ExtKeyUsage, server.Subject.CommonName)
	}
	if life := server.NotAfter.Sub(server.NotBefore); life < 365*24*time.Hour || life > 367*24*time.Hour {
		t.Errorf("the server certificate lives %s", life)
	}
	if got := certNames(server.DNSNames, server.IPAddresses); !slices.Equal(got, []string{"10.199.100.10", "10.199.20.10", "internal.api.lab.fundament.test", "public.api.lab.fundament.test"}) {
		t.Errorf("SANs %v", got)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, host := range []string{"10.199.100.10", "public.api.lab.fundament.test", "10.199.20.10", "internal.api.lab.fundament.test"} {
		if _, err := server.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("verifying for %s: %v", host, err)
		}
	}
	if _, err := server.Verify(x509.VerifyOptions{DNSName: "10.199.100.11", Roots: roots}); err == nil {
		t.Error("the certificate is valid for an address it does not name")
	}
	key, err := s.Get(endpoint.GeneratedPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode([]byte(key)); b == nil || b.Type != "PRIVATE KEY" {
		t.Errorf("the key is not a PKCS #8 PEM")
	}
}

// generate runs Generate and returns what it created and rotated, as one
// string each.
func generate(t *testing.T, s *Store, specs []Spec, rotate ...string) (string, string) {
	t.Helper()
	created, rotated, err := s.Generate(specs, rotate)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(created, " "), strings.Join(rotated, " ")
}

func TestCertificateRegeneration(t *testing.T) {
	s := tlsStore(t)
	specs := TLSSpecs(tlsCloud("10.199.100.10"))
	generate(t, s, specs)
	first := mustCert(t, s, endpoint.GeneratedPublicCrt)
	caBefore := mustCert(t, s, endpoint.GeneratedCACert)

	steps := []struct {
		name        string
		specs       []Spec
		rotate      []string
		clock       time.Duration
		wantRotated string
	}{
		{name: "unchanged", specs: specs},
		{name: "the public VIP moves", specs: TLSSpecs(tlsCloud("10.199.100.20")), wantRotated: endpoint.GeneratedPublicCrt},
		{name: "moved, again unchanged", specs: TLSSpecs(tlsCloud("10.199.100.20"))},
		{name: "a new server key", specs: TLSSpecs(tlsCloud("10.199.100.20")), rotate: []string{endpoint.GeneratedPublicKey},
			wantRotated: endpoint.GeneratedPublicKey + " " + endpoint.GeneratedPublicCrt},
		{name: "a new CA key", specs: TLSSpecs(tlsCloud("10.199.100.20")), rotate: []string{endpoint.GeneratedCAKey},
			wantRotated: endpoint.GeneratedCAKey + " " + endpoint.GeneratedCACert + " " + endpoint.GeneratedPublicCrt},
		{name: "eleven months later", specs: TLSSpecs(tlsCloud("10.199.100.20")), clock: 340 * 24 * time.Hour, wantRotated: endpoint.GeneratedPublicCrt},
		{name: "nine years later", specs: TLSSpecs(tlsCloud("10.199.100.20")), clock: 9*365*24*time.Hour + 100*24*time.Hour,
			wantRotated: endpoint.GeneratedCACert + " " + endpoint.GeneratedPublicCrt},
	}
	for _, st := range steps {
		if st.clock != 0 {
			at(t, st.clock)
		}
		created, rotated := generate(t, s, st.specs, st.rotate...)
		if created != "" || rotated != st.wantRotated {
			t.Errorf("%s: created %q, rotated %q; want rotated %q", st.name, created, rotated, st.wantRotated)
		}
		for _, sp := range st.specs {
			if sp.Kind != Certificate {
				continue
			}
			if problem, err := CertificateProblem(sp, s.Get, now()); problem != "" || err != nil {
				t.Errorf("%s: after Generate, %s: %s %v", st.name, sp.Name, problem, err)
			}
		}
	}
	if last := mustCert(t, s, endpoint.GeneratedPublicCrt); last.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Error("the server certificate was never issued anew")
	}
	if ca := mustCert(t, s, endpoint.GeneratedCACert); ca.SerialNumber.Cmp(caBefore.SerialNumber) == 0 {
		t.Error("the CA certificate was never issued anew")
	}
}

func TestCertificateProblems(t *testing.T) {
	s := tlsStore(t)
	specs := TLSSpecs(tlsCloud("10.199.100.10"))
	generate(t, s, specs)
	server := specs[3]
	tests := []struct {
		name string
		edit func(t *testing.T)
		want string
	}{
		{"not a certificate", func(t *testing.T) { s.Set(endpoint.GeneratedPublicCrt, "garbage") }, "secret tls-public-cert does not hold a PEM certificate"},
		{"another key's", func(t *testing.T) {
			generate(t, s, specs, endpoint.GeneratedPublicKey)
			k, _ := newECKey()
			s.Set(endpoint.GeneratedPublicKey, k)
		}, "it is not the certificate of key tls-public-key"},
		{"another issuer's", func(t *testing.T) {
			generate(t, s, specs)
			k, _ := newECKey()
			s.Set(endpoint.GeneratedCAKey, k)
			generate(t, s, specs[:2])
		}, "it was not issued by tls-ca-cert"},
		{"other names", func(t *testing.T) {
			generate(t, s, specs)
			server = TLSSpecs(tlsCloud("10.199.100.30"))[3]
		}, "it names 10.199.100.10, 10.199.20.10, internal.api.lab.fundament.test, public.api.lab.fundament.test, the configuration 10.199.100.30, 10.199.20.10, internal.api.lab.fundament.test, public.api.lab.fundament.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.edit(t)
			got, err := CertificateProblem(server, s.Get, now())
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v\nwant %q", got, err, tt.want)
			}
		})
	}
	if got, _ := CertificateProblem(specs[3], s.Get, now().Add(400*24*time.Hour)); !strings.HasPrefix(got, "it expired on ") {
		t.Errorf("a year and more later: %q", got)
	}
}

func TestTLSSpecsOnlyWhenGenerated(t *testing.T) {
	c := tlsCloud("10.199.100.10")
	if len(TLSSpecs(c)) != 4 {
		t.Fatal("no generated certificate for a cloud without loadbalancer.tls")
	}
	names := map[string]bool{}
	for _, sp := range Required(c) {
		names[sp.Name] = true
	}
	if !names[endpoint.GeneratedCACert] || !names[endpoint.GeneratedPublicCrt] {
		t.Error("Required lacks the generated certificate")
	}
	c.Services.LoadBalancer.TLS = &model.TLS{Certificate: "tls/public.pem", KeySecret: "public-tls-key"}
	if specs := TLSSpecs(c); specs != nil {
		t.Errorf("with loadbalancer.tls: %v", specs)
	}
	c = tlsCloud("10.199.100.10")
	c.Network.VirtualIPs = c.Network.VirtualIPs[:1]
	if specs := TLSSpecs(c); specs != nil {
		t.Errorf("without a public virtual IP: %v", specs)
	}
}
