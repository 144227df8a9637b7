package transport

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// How a host's key is verified, in this order (the first source that
// knows the host decides; see docs/architecture.md):
//
//  1. the key pinned for it (SSHConfig.HostKey, the inventory's ssh.host_key);
//  2. known_hosts files (SSHConfig.KnownHosts): its plain keys, or a host
//     certificate signed by an @cert-authority that covers it;
//  3. the key recorded for it (SSHConfig.HostKeys, the state database:
//     the lab's keys, and keys trusted on first use);
//  4. none knows it: refused, unless SSHConfig.TrustNewHostKeys, which
//     records the key it offers (and tells OnNewHostKey).
//
// A key, certificate or CA listed @revoked in a known_hosts file is
// refused whatever the source.

// MemoryHostKeys is a HostKeyStore kept in memory: for tests, and the
// shape that package state mirrors in SQLite.
type MemoryHostKeys struct {
	mu   sync.Mutex
	keys map[string]string
}

// NewMemoryHostKeys returns an empty in-memory HostKeyStore.
func NewMemoryHostKeys() *MemoryHostKeys {
	return &MemoryHostKeys{keys: map[string]string{}}
}

func (m *MemoryHostKeys) Lookup(host string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[host]
	return k, ok, nil
}

func (m *MemoryHostKeys) Record(host, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[host] = key
	return nil
}

// Forget drops the recorded key of host (what `fundament hostkeys forget`
// does).
func (m *MemoryHostKeys) Forget(host string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, host)
}

// HostKeyMismatchError says a host offered another key than the one its
// source (pinned, known_hosts, recorded) expects.
type HostKeyMismatchError struct {
	Host    string
	Address string
	// Source says where the expected key comes from ("pinned at
	// inventory/hosts.yaml:12:15 (ssh.host_key)", "recorded", ...).
	Source string
	// Expected and Offered are SHA256 fingerprints ("SHA256:..."; Expected
	// may list several); Offered describes the problem instead when the
	// host offered no key of an expected type.
	Expected string
	Offered  string
	// Fix says what to do when the change is legitimate.
	Fix string
}

func (e *HostKeyMismatchError) Error() string {
	return fmt.Sprintf("host key of %s (%s) has changed: expected %s (%s), offered %s; "+
		"refusing to connect (this could be a man-in-the-middle attack). "+
		"If the host was reinstalled or its keys were rotated on purpose, %s",
		e.Host, e.Address, e.Expected, e.Source, e.Offered, e.Fix)
}

// UnknownHostKeyError says no source knows the host and trusting a new
// key was not allowed.
type UnknownHostKeyError struct {
	Host    string
	Address string
	Offered string // SHA256 fingerprint
	KeyType string
}

func (e *UnknownHostKeyError) Error() string {
	return fmt.Sprintf("host %s (%s) offered the unknown host key %s (%s): it is neither pinned, nor in a known_hosts file, "+
		"nor recorded; refusing to connect. Check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), "+
		"then pin the key in the inventory (ssh.host_key: \"%s AAAA...\"), list it in the known_hosts file named by "+
		"cloud.yaml's ssh_known_hosts (or --known-hosts FILE), or trust it on first use with --trust-new-host-keys (it is then recorded)",
		e.Host, e.Address, e.Offered, e.KeyType, e.KeyType)
}

// HostKeyRefusedError says a host's key or certificate was refused for a
// reason other than a changed key: a certificate that no trusted CA
// signed for the host, or a revoked key.
type HostKeyRefusedError struct {
	Host    string
	Address string
	Offered string // what the host offered, with its fingerprint
	Reason  string
}

func (e *HostKeyRefusedError) Error() string {
	return fmt.Sprintf("host key of %s (%s) refused: it offered %s, but %s", e.Host, e.Address, e.Offered, e.Reason)
}

// IsHostKeyError reports whether err is a host key refused (changed,
// unknown, revoked or badly certified): not a reason to retry.
func IsHostKeyError(err error) bool {
	var m *HostKeyMismatchError
	var u *UnknownHostKeyError
	var r *HostKeyRefusedError
	return errors.As(err, &m) || errors.As(err, &u) || errors.As(err, &r)
}

// marshalHostKey renders key in authorized_keys format, as it is stored.
func marshalHostKey(key ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

// ParseHostKey parses one public key in authorized_keys format ("TYPE
// BASE64 [COMMENT]"), as the inventory pins it; a certificate is not a
// host key.
func ParseHostKey(s string) (ssh.PublicKey, error) {
	key, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("not an SSH public key (expected TYPE BASE64, as in /etc/ssh/ssh_host_ed25519_key.pub)")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("more than one key; pin one")
	}
	if _, ok := key.(*ssh.Certificate); ok {
		return nil, fmt.Errorf("a certificate, not a host key; pin the key itself, or trust its CA with @cert-authority in known_hosts")
	}
	return key, nil
}

// firstUseHostKeyAlgos is the host key preference before a key is known:
// ed25519 first, so a host with several keys is recorded by its best one.
var firstUseHostKeyAlgos = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// certHostKeyAlgos make a server present a host certificate.
var certHostKeyAlgos = []string{
	ssh.CertAlgoED25519v01,
	ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
	ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01,
}

// hostKeyAlgosFor returns the algorithms that make a server present a key
// of key's type (a server with several host keys would otherwise be free
// to present another one, which would look like a change).
func hostKeyAlgosFor(key ssh.PublicKey) []string {
	switch t := key.Type(); t {
	case ssh.KeyAlgoRSA:
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	default:
		return []string{t}
	}
}

// Where a host's trust comes from.
const (
	sourceNone = iota
	sourcePinned
	sourceKnownHosts
	sourceRecorded
)

// trust is what the sources say about a host before it is dialled.
type trust struct {
	source int
	keys   []knownEntry // the keys accepted, with where each is listed
	cas    []knownEntry // CAs whose host certificates are accepted
}

// algorithms are the host key algorithms to ask the server for.
func (t trust) algorithms() []string {
	if t.source == sourceNone {
		return firstUseHostKeyAlgos
	}
	var out []string
	if len(t.cas) > 0 {
		out = append(out, certHostKeyAlgos...)
	}
	for _, k := range t.keys {
		for _, a := range hostKeyAlgosFor(k.key) {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// hostKeyChecker verifies one host's key (see the order above).
type hostKeyChecker struct {
	host    string
	address string // host:port, for messages
	names   []string
	port    int
	// pinned and pinnedAt: SSHConfig.HostKey and HostKeyFrom.
	pinned   ssh.PublicKey
	pinnedAt string
	known    *KnownHosts
	store    HostKeyStore
	trustNew bool
	onNew    func(host, address string, key ssh.PublicKey)
}

func newHostKeyChecker(cfg SSHConfig) (*hostKeyChecker, error) {
	h := &hostKeyChecker{
		host: cfg.Host, address: net.JoinHostPort(cfg.Address, strconv.Itoa(cfg.Port)), port: cfg.Port,
		known: cfg.KnownHosts, store: cfg.HostKeys, trustNew: cfg.TrustNewHostKeys, onNew: cfg.OnNewHostKey,
	}
	for _, n := range append([]string{cfg.Host, cfg.Address}, cfg.HostNames...) {
		if n != "" && !slices.Contains(h.names, n) {
			h.names = append(h.names, n)
		}
	}
	if cfg.HostKey != "" {
		key, err := ParseHostKey(cfg.HostKey)
		if err != nil {
			return nil, fmt.Errorf("host %s: the pinned host key (%s): %v", cfg.Host, cfg.HostKeyFrom, err)
		}
		h.pinned, h.pinnedAt = key, cfg.HostKeyFrom
	}
	return h, nil
}

// trusted looks the host up in the sources, in order.
func (h *hostKeyChecker) trusted() (trust, error) {
	if h.pinned != nil {
		return trust{source: sourcePinned, keys: []knownEntry{{at: h.pinnedAt, key: h.pinned}}}, nil
	}
	if keys, cas := h.known.lookup(h.names, h.port); len(keys)+len(cas) > 0 {
		return trust{source: sourceKnownHosts, keys: keys, cas: cas}, nil
	}
	rec, ok, err := h.store.Lookup(h.host)
	if err != nil {
		return trust{}, fmt.Errorf("host %s: looking up its recorded host key: %w", h.host, err)
	}
	if !ok {
		return trust{}, nil
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(rec))
	if err != nil {
		return trust{}, fmt.Errorf("host %s: the recorded host key cannot be parsed: %w", h.host, err)
	}
	return trust{source: sourceRecorded, keys: []knownEntry{{at: "the state database", key: key}}}, nil
}

// callback is the HostKeyCallback of one dial, given what trusted said.
func (h *hostKeyChecker) callback(t trust) ssh.HostKeyCallback {
	return func(_ string, remote net.Addr, key ssh.PublicKey) error {
		return h.check(t, remote, key)
	}
}

func (h *hostKeyChecker) check(t trust, remote net.Addr, key ssh.PublicKey) error {
	if at := h.known.revokedAt(plainKey(key)); at != "" {
		return h.refused(key, "that key is revoked ("+at+")")
	}
	if cert, ok := key.(*ssh.Certificate); ok {
		return h.checkCert(t, remote, cert)
	}
	if t.source == sourceNone {
		if !h.trustNew {
			return &UnknownHostKeyError{Host: h.host, Address: h.address, Offered: ssh.FingerprintSHA256(key), KeyType: key.Type()}
		}
		if err := h.store.Record(h.host, marshalHostKey(key)); err != nil {
			return fmt.Errorf("host %s: recording its host key: %w", h.host, err)
		}
		if h.onNew != nil {
			h.onNew(h.host, h.address, key)
		}
		return nil
	}
	for _, k := range t.keys {
		if bytes.Equal(k.key.Marshal(), key.Marshal()) {
			return nil
		}
	}
	if len(t.keys) == 0 {
		return h.refused(key, "known_hosts trusts only host certificates for it (@cert-authority, "+entriesAt(t.cas)+"); configure its sshd with a HostCertificate")
	}
	return h.mismatch(t, ssh.FingerprintSHA256(key))
}

// checkCert accepts a host certificate signed by a CA that covers the
// host, valid now and for one of its names; else, as OpenSSH does, the
// certified key itself when the sources list it.
func (h *hostKeyChecker) checkCert(t trust, remote net.Addr, cert *ssh.Certificate) error {
	if at := h.known.revokedAt(cert.SignatureKey); at != "" {
		return h.refused(cert, "its CA "+ssh.FingerprintSHA256(cert.SignatureKey)+" is revoked ("+at+")")
	}
	var reason string
	switch trusted := func(ca ssh.PublicKey) bool {
		return slices.ContainsFunc(t.cas, func(e knownEntry) bool { return bytes.Equal(e.key.Marshal(), ca.Marshal()) })
	}; {
	case len(t.cas) == 0:
		reason = "no @cert-authority line of the known_hosts files covers " + h.host
	case !trusted(cert.SignatureKey):
		reason = "its CA is not one that known_hosts trusts for " + h.host + " (" + entriesAt(t.cas) + ")"
	default:
		checker := &ssh.CertChecker{IsHostAuthority: func(ca ssh.PublicKey, _ string) bool { return trusted(ca) }}
		for _, n := range h.names {
			err := checker.CheckHostKey(net.JoinHostPort(n, strconv.Itoa(h.port)), remote, cert)
			if err == nil {
				return nil
			}
			if reason == "" || !strings.Contains(err.Error(), "principal") {
				reason = strings.Replace(strings.TrimPrefix(err.Error(), "ssh: "), "cert ", "the certificate ", 1)
			}
		}
		if strings.Contains(reason, "principal") {
			reason = fmt.Sprintf("the certificate is not for %s (its principals: %s)", strings.Join(h.names, " or "), strings.Join(cert.ValidPrincipals, ", "))
		}
	}
	for _, k := range t.keys {
		if bytes.Equal(k.key.Marshal(), cert.Key.Marshal()) {
			return nil
		}
	}
	return h.refused(cert, reason)
}

// plainKey is the key a certificate certifies, or key itself.
func plainKey(key ssh.PublicKey) ssh.PublicKey {
	if c, ok := key.(*ssh.Certificate); ok {
		return c.Key
	}
	return key
}

func (h *hostKeyChecker) refused(key ssh.PublicKey, reason string) error {
	what := "the key " + ssh.FingerprintSHA256(key)
	if c, ok := key.(*ssh.Certificate); ok {
		what = fmt.Sprintf("a host certificate for the key %s signed by the CA %s", ssh.FingerprintSHA256(c.Key), ssh.FingerprintSHA256(c.SignatureKey))
	}
	return &HostKeyRefusedError{Host: h.host, Address: h.address, Offered: what, Reason: reason}
}

// mismatch is the error for a host that offered offered instead of a key
// its source lists.
func (h *hostKeyChecker) mismatch(t trust, offered string) error {
	e := &HostKeyMismatchError{Host: h.host, Address: h.address, Offered: offered}
	var fps []string
	for _, k := range t.keys {
		fps = append(fps, ssh.FingerprintSHA256(k.key))
	}
	e.Expected = strings.Join(fps, ", ")
	switch t.source {
	case sourcePinned:
		e.Source = "pinned at " + h.pinnedAt
		e.Fix = "pin its new key there"
	case sourceKnownHosts:
		e.Source = "listed at " + entriesAt(t.keys)
		e.Fix = "update those known_hosts lines"
	default:
		e.Source = "recorded in the state database"
		e.Fix = fmt.Sprintf("run `fundament hostkeys forget %s` and connect again with --trust-new-host-keys, or pin its new key in the inventory (ssh.host_key)", h.host)
	}
	return e
}

// noCommonKey is the error for a host that has no key (or certificate)
// of the types its sources list; offers are the types it has.
func (h *hostKeyChecker) noCommonKey(t trust, offers []string) error {
	has := strings.Join(offers, ", ")
	if len(t.keys) == 0 {
		return &HostKeyRefusedError{Host: h.host, Address: h.address, Offered: "no host certificate (it has " + has + ")",
			Reason: "known_hosts trusts only host certificates for it (@cert-authority, " + entriesAt(t.cas) + ")"}
	}
	var types []string
	for _, k := range t.keys {
		if !slices.Contains(types, k.key.Type()) {
			types = append(types, k.key.Type())
		}
	}
	return h.mismatch(t, "no "+strings.Join(types, " or ")+" key (it has "+has+")")
}

func entriesAt(es []knownEntry) string {
	var at []string
	for _, e := range es {
		at = append(at, e.at)
	}
	return strings.Join(at, ", ")
}

// KnownHostsLines returns what cfg trusts for its host as known_hosts
// lines for its address, for OpenSSH clients (Ansible) that must verify
// the host as the engine does: the pinned, listed or recorded keys, the
// CAs that cover it, and every revoked key.
func KnownHostsLines(cfg SSHConfig) ([]string, error) {
	if cfg.Port == 0 {
		cfg.Port = 22
	}
	if cfg.Host == "" {
		cfg.Host = cfg.Address
	}
	h, err := newHostKeyChecker(cfg)
	if err != nil {
		return nil, err
	}
	t, err := h.trusted()
	if err != nil {
		return nil, err
	}
	at := knownhosts.Normalize(h.address)
	var lines []string
	for _, k := range t.keys {
		lines = append(lines, at+" "+marshalHostKey(k.key))
	}
	for _, ca := range t.cas {
		lines = append(lines, "@cert-authority "+at+" "+marshalHostKey(ca.key))
	}
	if cfg.KnownHosts != nil {
		for _, r := range cfg.KnownHosts.revoked {
			lines = append(lines, "@revoked * "+marshalHostKey(r.key))
		}
	}
	return lines, nil
}
