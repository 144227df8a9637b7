package transport

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/fundament-cloud/fundament/internal/testutil/sshd"
)

// strict is d.config without first-use trust: what an operator gets
// without --trust-new-host-keys.
func (d *testSSHD) strict(store HostKeyStore) SSHConfig {
	cfg := d.config(store)
	cfg.TrustNewHostKeys = false
	return cfg
}

func dialErr(t *testing.T, cfg SSHConfig) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := DialSSH(ctx, cfg)
	if err == nil {
		s.Close()
	}
	return err
}

func wantErrIn[E error](t *testing.T, what string, err error, wants ...string) E {
	t.Helper()
	t.Logf("%s: %v", what, err)
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("%s: got %v, want a %T", what, err, target)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: message lacks %q:\n%s", what, w, err)
		}
	}
	return target
}

func TestSSHHostKeyUnknownRefused(t *testing.T) {
	d := newTestSSHD(t)
	store := NewMemoryHostKeys()
	fp := ssh.FingerprintSHA256(d.HostKey())

	err := dialErr(t, d.strict(store))
	wantErrIn[*UnknownHostKeyError](t, "without --trust-new-host-keys", err,
		"test-host", fp, "ssh-ed25519", "ssh.host_key", "known_hosts", "--trust-new-host-keys")
	if _, ok, _ := store.Lookup("test-host"); ok {
		t.Fatal("a refused key was recorded")
	}

	// With the flag: accepted, recorded and said.
	cfg := d.strict(store)
	cfg.TrustNewHostKeys = true
	var told []string
	cfg.OnNewHostKey = func(host, addr string, key ssh.PublicKey) {
		told = append(told, host+" "+addr+" "+ssh.FingerprintSHA256(key))
	}
	d.dial(cfg).Close()
	if rec, _, _ := store.Lookup("test-host"); rec != marshalHostKey(d.HostKey()) {
		t.Fatalf("recorded %q, want the host's key", rec)
	}
	if want := fmt.Sprintf("test-host 127.0.0.1:%d %s", d.Port, fp); len(told) != 1 || told[0] != want {
		t.Errorf("OnNewHostKey told %q, want [%q]", told, want)
	}
	// From now on the recorded key is enough, without the flag.
	told = nil
	d.dial(d.strict(store)).Close()
	if len(told) != 0 {
		t.Errorf("a known key was reported as new: %q", told)
	}

	// A changed key is refused even with the flag, naming both keys.
	d.Stop()
	d.NewHostKey()
	d.Restart()
	err = dialErr(t, cfg)
	wantErrIn[*HostKeyMismatchError](t, "changed key with the flag", err,
		"expected "+fp+" (recorded in the state database), offered "+ssh.FingerprintSHA256(d.HostKey()), "fundament hostkeys forget test-host")
}

func TestSSHHostKeyPinned(t *testing.T) {
	d := newTestSSHD(t)
	store := NewMemoryHostKeys()
	cfg := d.strict(store)
	cfg.HostKey = marshalHostKey(d.HostKey()) + " root@somewhere"
	cfg.HostKeyFrom = "inventory/hosts.yaml:7:15 (ssh.host_key)"
	d.dial(cfg).Close()
	if _, ok, _ := store.Lookup("test-host"); ok {
		t.Error("a pinned key was recorded")
	}

	// The pin wins over a recorded key (and would over known_hosts).
	store.Record("test-host", marshalHostKey(sshd.WriteKey(t, filepath.Join(t.TempDir(), "k"))))
	d.dial(cfg).Close()

	other := sshd.WriteKey(t, filepath.Join(t.TempDir(), "k"))
	cfg.HostKey = marshalHostKey(other)
	cfg.TrustNewHostKeys = true // irrelevant: the pin decides
	err := dialErr(t, cfg)
	wantErrIn[*HostKeyMismatchError](t, "another pinned key", err,
		"expected "+ssh.FingerprintSHA256(other)+" (pinned at inventory/hosts.yaml:7:15 (ssh.host_key)), offered "+ssh.FingerprintSHA256(d.HostKey()), "pin its new key")

	cfg.HostKey = "ssh-ed25519 not-base64"
	if err := dialErr(t, cfg); err == nil || !strings.Contains(err.Error(), "not an SSH public key") {
		t.Errorf("a pin that does not parse: %v", err)
	}
}

// The pin is of another type than the host's key: the server is asked for
// that type only, has none, and is refused as changed.
func TestSSHHostKeyPinnedOtherType(t *testing.T) {
	d := newTestSSHD(t)
	cfg := d.strict(NewMemoryHostKeys())
	priv, err := rsaKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg.HostKey = marshalHostKey(priv)
	cfg.HostKeyFrom = "pin"
	wantErrIn[*HostKeyMismatchError](t, "pinned RSA key", dialErr(t, cfg), "no ssh-rsa key", ssh.FingerprintSHA256(priv))
}

func rsaKey() (ssh.PublicKey, error) {
	// A fixed RSA public key (generating one is slow on a loaded machine).
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(testRSAKey))
	return k, err
}

const testRSAKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC2BGvjlP6Nkiw2bpU3MSFm9LIfE0aa8iDuGam1+cxR8e++QLyrh5FcZ8k6mhZFA7gYVjfVPxo7IYWkxnXXEfPvphLbgtE95XOXqrJ1UdSYRxRjPuUGf/RJ8iYQw9CKVHLizyaMWEDpC72d7hSThucS3dkQxH24ymA/PzCG/jJ9qStOLkG7cm2tY6uwxMGjxa/Al0SO/38yyubXU16DnAyeUHVV3jgJ0jaAQNySnTruvISzGDDXVh8FPd5Q/Efk/J05aq9+0/yGEompLDZDls/9vMKkFSkNKbddymqQYR5KJHBNpjRysMzuoH9eZ2glzRJw/XLFgIg/xxouMn/63WTx"

func knownHosts(t *testing.T, text string) *KnownHosts {
	t.Helper()
	k, errs := ParseKnownHosts("ops/known_hosts", []byte(text))
	if len(errs) > 0 {
		t.Fatalf("known_hosts: %v", errs)
	}
	return k
}

func TestSSHHostKeyKnownHosts(t *testing.T) {
	d := newTestSSHD(t)
	key := marshalHostKey(d.HostKey())
	other := marshalHostKey(sshd.WriteKey(t, filepath.Join(t.TempDir(), "k")))
	hashed := knownhosts.HashHostname(knownhosts.Normalize(fmt.Sprintf("test-host:%d", d.Port)))
	for _, tc := range []struct{ name, file string }{
		{"by name", fmt.Sprintf("# ops\n[test-host]:%d %s\n", d.Port, key)},
		{"by address", fmt.Sprintf("[127.0.0.1]:%d %s\n", d.Port, key)},
		{"by FQDN", fmt.Sprintf("[test-host.example.org]:%d %s\n", d.Port, key)},
		{"wildcard and another key", fmt.Sprintf("[127.0.0.*]:%d %s\n[127.0.0.1]:%d %s\n", d.Port, other, d.Port, key)},
		{"hashed", fmt.Sprintf("%s %s\n", hashed, key)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := NewMemoryHostKeys()
			cfg := d.strict(store)
			cfg.KnownHosts = knownHosts(t, tc.file)
			cfg.HostNames = []string{"test-host.example.org"}
			d.dial(cfg).Close()
			if _, ok, _ := store.Lookup("test-host"); ok {
				t.Error("a key from known_hosts was recorded")
			}
		})
	}

	// known_hosts lists another key: refused with both fingerprints and
	// the line, even when a recorded key matches.
	store := NewMemoryHostKeys()
	store.Record("test-host", key)
	cfg := d.strict(store)
	cfg.KnownHosts = knownHosts(t, fmt.Sprintf("\n[test-host]:%d %s\n", d.Port, other))
	wantErrIn[*HostKeyMismatchError](t, "known_hosts lists another key", dialErr(t, cfg),
		"expected "+fingerprintOf(t, other)+" (listed at ops/known_hosts:2), offered "+ssh.FingerprintSHA256(d.HostKey()))

	// A line for another port, or a negated pattern, does not cover the
	// host: the recorded key decides.
	for _, file := range []string{
		fmt.Sprintf("test-host %s\n", other),
		fmt.Sprintf("[127.0.0.*]:%d,![127.0.0.1]:%d %s\n", d.Port, d.Port, other),
	} {
		cfg.KnownHosts = knownHosts(t, file)
		d.dial(cfg).Close()
	}

	// A revoked key is refused whatever vouches for it.
	cfg.KnownHosts = knownHosts(t, "@revoked * "+key+"\n")
	wantErrIn[*HostKeyRefusedError](t, "revoked", dialErr(t, cfg), "revoked (ops/known_hosts:1)")
}

func fingerprintOf(t *testing.T, authorized string) string {
	k, err := ParseHostKey(authorized)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(k)
}

// certSSHD is an sshd that presents a host certificate signed by ca.
type certSSHD struct {
	*testSSHD
	ca       ssh.Signer
	certFile string
}

func newCertSSHD(t *testing.T) *certSSHD {
	certFile := filepath.Join(t.TempDir(), "host-cert.pub")
	srv := sshd.Start(t, sshd.WithConfig("HostCertificate "+certFile))
	d := &certSSHD{testSSHD: &testSSHD{Server: srv, t: t}, ca: sshd.NewCA(t), certFile: certFile}
	d.sign(d.ca, []string{"test-host"}, ssh.CertTimeInfinity)
	return d
}

// sign certifies the host key with ca and restarts sshd to present it.
func (d *certSSHD) sign(ca ssh.Signer, principals []string, validBefore uint64) {
	d.t.Helper()
	cert := &ssh.Certificate{
		Key: d.HostKey(), CertType: ssh.HostCert, KeyId: "test-host",
		ValidPrincipals: principals, ValidBefore: validBefore,
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		d.t.Fatal(err)
	}
	if err := os.WriteFile(d.certFile, ssh.MarshalAuthorizedKey(cert), 0o644); err != nil {
		d.t.Fatal(err)
	}
	d.Restart()
}

func TestSSHHostKeyCertificate(t *testing.T) {
	d := newCertSSHD(t)
	caLine := func(ca ssh.Signer) string {
		return "@cert-authority * " + marshalHostKey(ca.PublicKey()) + " ops CA\n"
	}
	store := NewMemoryHostKeys()
	cfg := d.strict(store)
	cfg.KnownHosts = knownHosts(t, caLine(d.ca))
	s := d.dial(cfg)
	if res := run(t, s, "echo ok"); string(res.Stdout) != "ok\n" {
		t.Errorf("run over a certified connection: %q", res.Stdout)
	}
	s.Close()
	if _, ok, _ := store.Lookup("test-host"); ok {
		t.Error("a certified key was recorded")
	}
	// The principal may be the address too.
	d.sign(d.ca, []string{"127.0.0.1"}, ssh.CertTimeInfinity)
	d.dial(cfg).Close()

	// Refused: a certificate from another CA, one for another host, an
	// expired one, a revoked CA.
	caFP := ssh.FingerprintSHA256(d.ca.PublicKey())
	otherCA := sshd.NewCA(t)
	d.sign(otherCA, []string{"test-host"}, ssh.CertTimeInfinity)
	wantErrIn[*HostKeyRefusedError](t, "another CA", dialErr(t, cfg),
		"signed by the CA "+ssh.FingerprintSHA256(otherCA.PublicKey()), "not one that known_hosts trusts for test-host", "ops/known_hosts:1")
	// ... unless known_hosts also lists the plain key (as OpenSSH falls back).
	withKey := d.strict(store)
	withKey.KnownHosts = knownHosts(t, caLine(d.ca)+fmt.Sprintf("[127.0.0.1]:%d %s\n", d.Port, marshalHostKey(d.HostKey())))
	d.dial(withKey).Close()

	d.sign(d.ca, []string{"ctl-9"}, ssh.CertTimeInfinity)
	wantErrIn[*HostKeyRefusedError](t, "another host's certificate", dialErr(t, cfg), "not for test-host or 127.0.0.1 (its principals: ctl-9)")
	d.sign(d.ca, []string{"test-host"}, uint64(time.Now().Add(-time.Hour).Unix()))
	wantErrIn[*HostKeyRefusedError](t, "expired", dialErr(t, cfg), "but the certificate has expired")
	d.sign(d.ca, []string{"test-host"}, ssh.CertTimeInfinity)
	cfg.KnownHosts = knownHosts(t, caLine(d.ca)+"@revoked * "+marshalHostKey(d.ca.PublicKey())+"\n")
	wantErrIn[*HostKeyRefusedError](t, "revoked CA", dialErr(t, cfg), "its CA "+caFP+" is revoked (ops/known_hosts:2)")

	// A CA that covers other hosts only: the host is unknown.
	cfg.KnownHosts = knownHosts(t, "@cert-authority *.example.org "+marshalHostKey(d.ca.PublicKey())+"\n")
	wantErrIn[*UnknownHostKeyError](t, "CA for other hosts", dialErr(t, cfg))
}

// A host that known_hosts covers only by a CA must present a certificate.
func TestSSHHostKeyCertificateMissing(t *testing.T) {
	d := newTestSSHD(t)
	cfg := d.strict(NewMemoryHostKeys())
	cfg.KnownHosts = knownHosts(t, "@cert-authority * "+marshalHostKey(sshd.NewCA(t).PublicKey())+"\n")
	wantErrIn[*HostKeyRefusedError](t, "no certificate", dialErr(t, cfg), "no host certificate", "ops/known_hosts:1")
}

func TestKnownHostsLines(t *testing.T) {
	ca := sshd.NewCA(t)
	caKey := marshalHostKey(ca.PublicKey())
	key := testRSAKey
	kh := knownHosts(t, "ctl-1 "+key+"\n@cert-authority *.example.org,[*.example.org]:* "+caKey+"\n@revoked * "+caKey+"\n")
	got, err := KnownHostsLines(SSHConfig{Host: "ctl-1", Address: "10.0.0.11", Port: 2222, HostNames: []string{"ctl-1.example.org"}, KnownHosts: kh, HostKeys: NewMemoryHostKeys()})
	if err != nil {
		t.Fatal(err)
	}
	// Port 2222: the line for ctl-1 (port 22) does not cover it.
	want := []string{"@cert-authority [10.0.0.11]:2222 " + caKey, "@revoked * " + caKey}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("KnownHostsLines = %q, want %q", got, want)
	}
	store := NewMemoryHostKeys()
	store.Record("ctl-1", key)
	got, _ = KnownHostsLines(SSHConfig{Host: "ctl-1", Address: "10.0.0.11", HostKeys: store})
	if want := []string{"10.0.0.11 " + key}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("recorded: KnownHostsLines = %q, want %q", got, want)
	}
}
