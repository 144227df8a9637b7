package transport

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
)

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

// Forget drops the recorded key of host, so the next connection trusts
// whatever key it is offered (what `fundament hostkeys forget` does).
func (m *MemoryHostKeys) Forget(host string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, host)
}

// HostKeyMismatchError says a host offered a different key than the one
// recorded when fundament first connected to it.
type HostKeyMismatchError struct {
	Host    string
	Address string
	// Recorded and Offered are SHA256 fingerprints ("SHA256:..."); Offered
	// describes the problem instead when the host offered no key of the
	// recorded type.
	Recorded string
	Offered  string
}

func (e *HostKeyMismatchError) Error() string {
	return fmt.Sprintf("host key of %s (%s) has changed: recorded %s, offered %s; "+
		"refusing to connect (this could be a man-in-the-middle attack). "+
		"If the host was reinstalled or its keys were rotated on purpose, run "+
		"`fundament hostkeys forget %s` and connect again",
		e.Host, e.Address, e.Recorded, e.Offered, e.Host)
}

// marshalHostKey renders key in authorized_keys format, as it is stored.
func marshalHostKey(key ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

// firstUseHostKeyAlgos is the host key preference before a key is known:
// ed25519 first, so a host with several keys is recorded by its best one.
var firstUseHostKeyAlgos = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// hostKeyAlgosFor returns the algorithms that make a server present a key
// of the recorded key's type (a server with several host keys would
// otherwise be free to present another one, which would look like a change).
func hostKeyAlgosFor(key ssh.PublicKey) []string {
	switch t := key.Type(); t {
	case ssh.KeyAlgoRSA:
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	default:
		return []string{t}
	}
}

// hostKeyChecker implements trust on first use against store.
type hostKeyChecker struct {
	host, address string
	store         HostKeyStore
}

// recorded returns the recorded key of the host, or nil.
func (h *hostKeyChecker) recorded() (ssh.PublicKey, error) {
	rec, ok, err := h.store.Lookup(h.host)
	if err != nil {
		return nil, fmt.Errorf("host %s: looking up its recorded host key: %w", h.host, err)
	}
	if !ok {
		return nil, nil
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(rec))
	if err != nil {
		return nil, fmt.Errorf("host %s: the recorded host key %q cannot be parsed: %w", h.host, rec, err)
	}
	return key, nil
}

func (h *hostKeyChecker) check(_ string, _ net.Addr, key ssh.PublicKey) error {
	rec, err := h.recorded()
	if err != nil {
		return err
	}
	if rec == nil {
		if err := h.store.Record(h.host, marshalHostKey(key)); err != nil {
			return fmt.Errorf("host %s: recording its host key: %w", h.host, err)
		}
		return nil
	}
	if bytes.Equal(rec.Marshal(), key.Marshal()) {
		return nil
	}
	return &HostKeyMismatchError{
		Host: h.host, Address: h.address,
		Recorded: ssh.FingerprintSHA256(rec),
		Offered:  ssh.FingerprintSHA256(key),
	}
}
