package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind selects how a secret value is generated.
type Kind string

const (
	// Password is a random string over the URL-safe alphabet
	// A-Z a-z 0-9 - _ ; Length in characters (default 32, minimum 16).
	// The zero Kind ("") means Password.
	Password Kind = "password"
	// Hex is Length random bytes (default 32, minimum 16), hex encoded
	// (2*Length characters).
	Hex Kind = "hex"
	// FernetKey is 32 random bytes, base64url encoded with padding, as used
	// for Keystone fernet/credential keys. Length must be 0 or 32.
	FernetKey Kind = "fernet-key"
	// Token is a random UUID (version 4 layout). Length must be 0 or 36.
	Token Kind = "token"
	// ECKey is an ECDSA P-256 private key, PKCS #8 PEM. Length must be 0.
	ECKey Kind = "ec-key"
	// Certificate is an X.509 certificate (PEM) issued from other secrets
	// as Spec.Cert says. Unlike the other kinds it is issued anew by
	// Generate whenever it no longer matches its spec (CertificateProblem).
	Certificate Kind = "certificate"
	// CephxKey is a Ceph cephx key as keyrings carry it: base64 of a
	// 12-byte header (type 1, AES; the creation time; the length 16) and
	// 16 random bytes, 40 characters. Length must be 0.
	CephxKey Kind = "cephx-key"
)

const (
	defaultPasswordLength = 32
	minPasswordLength     = 16
	maxPasswordLength     = 4096
	defaultHexBytes       = 32
	minHexBytes           = 16
	maxHexBytes           = 2048
	fernetKeyBytes        = 32
	tokenLength           = 36
)

// passwordAlphabet has exactly 64 symbols, so a random byte masked with 63
// selects one uniformly (no modulo bias).
const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// Spec describes a secret to generate.
type Spec struct {
	// Name of the secret; see ValidateName.
	Name string
	// Kind of value; "" means Password.
	Kind Kind
	// Length: characters for Password, bytes for Hex; 0 means the default.
	// Must be 0 (or the fixed size) for FernetKey and Token.
	Length int
	// Description is informational for callers (not stored).
	Description string
	// Identifier marks a value that is kept with the secrets so that it
	// is generated once and never changes, but is no credential: it may
	// appear in output and on hosts (Ceph's fsid, in ceph.conf and every
	// `ceph -s`). The secrets checks of the tests pass it over.
	Identifier bool
	// Cert describes a Certificate; nil for the other kinds.
	Cert *CertSpec
	// Ring makes the spec the first member of a key ring: secrets named
	// Ring followed by a number (keystone-fernet-0, -1, ...), which a
	// rotation renumbers and prunes. The spec is created only while no
	// member of its ring exists, and any member counts as present.
	Ring string
}

// InRing says whether a secret name is a member of the ring.
func InRing(ring, name string) bool {
	_, ok := RingIndex(ring, name)
	return ok
}

// RingIndex parses a member of a ring: the prefix, then a decimal index
// without leading zeros (Keystone reads key files by such names).
func RingIndex(ring, name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, ring)
	if ring == "" || !ok || rest == "" || len(rest) > 9 || (len(rest) > 1 && rest[0] == '0') {
		return 0, false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	i, err := strconv.Atoi(rest)
	return i, err == nil
}

// Satisfied says whether the secrets present satisfy a spec: it exists,
// or a member of its ring does.
func Satisfied(sp Spec, present []string) bool {
	for _, n := range present {
		if n == sp.Name || InRing(sp.Ring, n) {
			return true
		}
	}
	return false
}

// normalize validates sp and fills in defaults.
func (sp Spec) normalize() (Spec, error) {
	if err := ValidateName(sp.Name); err != nil {
		return sp, err
	}
	if sp.Kind == "" {
		sp.Kind = Password
	}
	bad := func(format string, args ...any) (Spec, error) {
		return sp, fmt.Errorf("secret %q (%s): %s", sp.Name, sp.Kind, fmt.Sprintf(format, args...))
	}
	switch sp.Kind {
	case Password:
		if sp.Length == 0 {
			sp.Length = defaultPasswordLength
		}
		if sp.Length < minPasswordLength || sp.Length > maxPasswordLength {
			return bad("length %d out of range [%d, %d] characters", sp.Length, minPasswordLength, maxPasswordLength)
		}
	case Hex:
		if sp.Length == 0 {
			sp.Length = defaultHexBytes
		}
		if sp.Length < minHexBytes || sp.Length > maxHexBytes {
			return bad("length %d out of range [%d, %d] bytes", sp.Length, minHexBytes, maxHexBytes)
		}
	case FernetKey:
		if sp.Length != 0 && sp.Length != fernetKeyBytes {
			return bad("length must be 0 or %d (fernet keys are always %d bytes)", fernetKeyBytes, fernetKeyBytes)
		}
		sp.Length = fernetKeyBytes
	case Token:
		if sp.Length != 0 && sp.Length != tokenLength {
			return bad("length must be 0 or %d (tokens are UUIDs)", tokenLength)
		}
		sp.Length = tokenLength
	case ECKey, Certificate, CephxKey:
		if sp.Length != 0 {
			return bad("length must be 0")
		}
	default:
		return sp, fmt.Errorf("secret %q: unknown kind %q (want %s, %s, %s, %s, %s, %s or %s)", sp.Name, sp.Kind, Password, Hex, FernetKey, Token, ECKey, Certificate, CephxKey)
	}
	if (sp.Kind == Certificate) != (sp.Cert != nil) {
		return bad("a certificate, and only a certificate, has a CertSpec")
	}
	if sp.Kind == Certificate {
		if err := sp.Cert.validate(); err != nil {
			return bad("%v", err)
		}
	}
	return sp, nil
}

// generateValue returns a fresh random value for a normalized spec, using
// crypto/rand only; a certificate reads the secrets it is issued from
// through get.
func generateValue(sp Spec, get func(string) (string, error)) (string, error) {
	switch sp.Kind {
	case ECKey:
		return newECKey()
	case Certificate:
		return issue(sp.Cert, get)
	case Password:
		b, err := randomBytes(sp.Length)
		if err != nil {
			return "", err
		}
		for i := range b {
			b[i] = passwordAlphabet[b[i]&63]
		}
		return string(b), nil
	case Hex:
		b, err := randomBytes(sp.Length)
		if err != nil {
			return "", err
		}
		return hex.EncodeToString(b), nil
	case FernetKey:
		b, err := randomBytes(fernetKeyBytes)
		if err != nil {
			return "", err
		}
		return base64.URLEncoding.EncodeToString(b), nil
	case CephxKey:
		b, err := randomBytes(16)
		if err != nil {
			return "", err
		}
		return EncodeCephxKey(time.Now(), b), nil
	case Token:
		b, err := randomBytes(16)
		if err != nil {
			return "", err
		}
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		h := hex.EncodeToString(b)
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
	}
	return "", fmt.Errorf("unknown kind %q", sp.Kind)
}

// EncodeCephxKey is a cephx key in the form keyrings carry it (Ceph's
// CryptoKey::encode, base64): type 1 (AES) as 16 bits, the creation time
// as 32-bit seconds and nanoseconds, the secret's length as 16 bits, then
// the secret, every number little-endian.
func EncodeCephxKey(created time.Time, secret []byte) string {
	b := make([]byte, 0, 12+len(secret))
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(created.Unix()))
	b = binary.LittleEndian.AppendUint32(b, uint32(created.Nanosecond()))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(secret)))
	return base64.StdEncoding.EncodeToString(append(b, secret...))
}

// CheckCephxKey says whether a value is a cephx key of an AES secret of
// 16 bytes (what EncodeCephxKey makes): a keyring with anything else
// would stop a daemon from authenticating.
func CheckCephxKey(v string) error {
	b, err := base64.StdEncoding.DecodeString(v)
	switch {
	case err != nil:
		return fmt.Errorf("not base64: %w", err)
	case len(b) != 28 || binary.LittleEndian.Uint16(b) != 1 || binary.LittleEndian.Uint16(b[10:]) != 16:
		return fmt.Errorf("not a cephx key (want base64 of a 12-byte header for an AES key of 16 bytes, then the key)")
	}
	return nil
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("reading random bytes: %w", err)
	}
	return b, nil
}
