package transport

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// KnownHosts holds the entries of OpenSSH known_hosts files: plain host
// keys, SSH host CAs (@cert-authority) and revoked keys (@revoked), each
// with the file and line it came from.
//
// Lines are parsed with ssh.ParseKnownHosts and host patterns matched as
// OpenSSH matches them (wildcards * and ?, negation !, [host]:port, hashed
// |1|salt|hash). Fundament keeps its own index rather than the callback of
// golang.org/x/crypto/ssh/knownhosts because it needs to know, before the
// handshake, which keys and CAs cover a host (to ask the server for a key
// or certificate of those types) and the line each came from; and
// knownhosts matches a pattern without a port ("*") on port 22 only, where
// OpenSSH's "@cert-authority * KEY" covers every port.
type KnownHosts struct {
	entries []knownEntry // plain keys and CAs, in file order
	revoked []knownEntry
}

type knownEntry struct {
	at      string // "file:line"
	ca      bool
	matcher hostMatcher
	key     ssh.PublicKey
}

// KnownHostsLineError is a line of a known_hosts file that is not an entry.
type KnownHostsLineError struct {
	File string
	Line int
	Err  error
}

func (e *KnownHostsLineError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *KnownHostsLineError) Unwrap() error { return e.Err }

// ParseKnownHosts reads one known_hosts file; name says where it is, for
// messages. It keeps every entry that parses and returns an error for
// each line that does not (blank lines and # comments are fine).
func ParseKnownHosts(name string, data []byte) (*KnownHosts, []*KnownHostsLineError) {
	k := &KnownHosts{}
	var errs []*KnownHostsLineError
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		e, ok, err := parseKnownHostsLine(line)
		if err != nil {
			errs = append(errs, &KnownHostsLineError{File: name, Line: i + 1, Err: err})
			continue
		}
		if !ok {
			continue
		}
		e.at = name + ":" + strconv.Itoa(i+1)
		if e.ca || e.matcher != nil {
			k.entries = append(k.entries, e)
		} else {
			k.revoked = append(k.revoked, e)
		}
	}
	return k, errs
}

// parseKnownHostsLine parses one line; ok is false for a blank line or a
// comment. A revoked entry has no matcher (it applies to every host).
func parseKnownHostsLine(line []byte) (e knownEntry, ok bool, err error) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] == '#' {
		return e, false, nil
	}
	// A comment may hold spaces; ParseKnownHosts takes at most one word.
	fields := strings.Fields(string(trimmed))
	n := 3 + btoi(strings.HasPrefix(fields[0], "@"))
	if len(fields) < n {
		return e, false, errors.New("not an entry (expected [@cert-authority|@revoked] HOSTS KEYTYPE KEY [COMMENT])")
	}
	if fields[0] == "@" {
		return e, false, errors.New("a lone @ (known markers: @cert-authority, @revoked)")
	}
	marker, hosts, key, _, _, err := ssh.ParseKnownHosts([]byte(strings.Join(fields[:n], " ")))
	if err != nil {
		return e, false, cleanSSHError(err)
	}
	if _, isCert := key.(*ssh.Certificate); isCert {
		return e, false, errors.New("a certificate is not a known host key; list its CA with @cert-authority")
	}
	switch marker {
	case "":
	case "cert-authority":
		e.ca = true
	case "revoked":
		e.key = key
		return e, true, nil
	default:
		return e, false, fmt.Errorf("unknown marker @%s (known: @cert-authority, @revoked)", marker)
	}
	e.key = key
	if e.matcher, err = newHostMatcher(strings.Join(hosts, ",")); err != nil {
		return e, false, err
	}
	return e, true, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cleanSSHError drops the "ssh: " prefix of x/crypto's parse errors.
func cleanSSHError(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), "ssh: "))
}

// Add appends the entries of other (a further file).
func (k *KnownHosts) Add(other *KnownHosts) {
	k.entries = append(k.entries, other.entries...)
	k.revoked = append(k.revoked, other.revoked...)
}

// Len is the number of entries, revoked ones included.
func (k *KnownHosts) Len() int { return len(k.entries) + len(k.revoked) }

// lookup returns the plain keys and the CAs of the entries that match any
// of names on port.
func (k *KnownHosts) lookup(names []string, port int) (keys, cas []knownEntry) {
	if k == nil {
		return nil, nil
	}
	for _, e := range k.entries {
		for _, n := range names {
			if n != "" && e.matcher.match(knownHostsName(n, port)) {
				if e.ca {
					cas = append(cas, e)
				} else {
					keys = append(keys, e)
				}
				break
			}
		}
	}
	return keys, cas
}

// revokedAt says where key is revoked, or "".
func (k *KnownHosts) revokedAt(key ssh.PublicKey) string {
	if k == nil {
		return ""
	}
	for _, e := range k.revoked {
		if bytes.Equal(e.key.Marshal(), key.Marshal()) {
			return e.at
		}
	}
	return ""
}

// Host patterns are matched as OpenSSH matches them: against the host as
// known_hosts names it ("host" on port 22, "[host]:port" on another port),
// case-insensitively, where * matches any run of characters and ? one.

type hostMatcher interface{ match(host string) bool }

type hostPattern struct {
	negate bool
	pat    string
}

type hostPatterns []hostPattern

func (ps hostPatterns) match(host string) bool {
	matched := false
	for _, p := range ps {
		if !wildcardMatch(p.pat, host) {
			continue
		}
		if p.negate {
			return false
		}
		matched = true
	}
	return matched
}

// wildcardMatch matches * (any run, separators included) and ? (one byte).
// A mismatch after a star only moves that star on by one byte, so the time
// is at most the pattern's length times the name's, whatever the stars (a
// recursive match is exponential in them: "*a*a*a...*b" would hang a plan).
func wildcardMatch(pat, s string) bool {
	p, i := 0, 0
	star, from := -1, 0 // the last star seen, and where its run ends in s
	for i < len(s) {
		switch {
		case p < len(pat) && pat[p] == '*':
			star, from = p, i
			p++
		case p < len(pat) && (pat[p] == '?' || pat[p] == s[i]):
			p, i = p+1, i+1
		case star >= 0:
			from++
			p, i = star+1, from
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}

type hashedHost struct{ salt, hash []byte }

func (h hashedHost) match(host string) bool {
	mac := hmac.New(sha1.New, h.salt)
	mac.Write([]byte(host))
	return hmac.Equal(mac.Sum(nil), h.hash)
}

// knownHostsName is how known_hosts names host on port.
func knownHostsName(host string, port int) string {
	return strings.ToLower(knownhosts.Normalize(net.JoinHostPort(host, strconv.Itoa(port))))
}

func newHostMatcher(pattern string) (hostMatcher, error) {
	if strings.HasPrefix(pattern, "|") {
		parts := strings.Split(pattern, "|")
		if len(parts) != 4 || parts[1] != "1" {
			return nil, errors.New("a hashed host name must be |1|SALT|HASH")
		}
		salt, err1 := base64.StdEncoding.DecodeString(parts[2])
		hash, err2 := base64.StdEncoding.DecodeString(parts[3])
		if err1 != nil || err2 != nil {
			return nil, errors.New("a hashed host name must be |1|SALT|HASH in base64")
		}
		return hashedHost{salt: salt, hash: hash}, nil
	}
	var ps hostPatterns
	for _, p := range strings.Split(pattern, ",") {
		if p == "" {
			continue
		}
		var hp hostPattern
		if p[0] == '!' {
			hp.negate, p = true, p[1:]
		}
		if p == "" {
			return nil, errors.New("a negation (!) without a host name")
		}
		hp.pat = strings.ToLower(p)
		ps = append(ps, hp)
	}
	if len(ps) == 0 {
		return nil, errors.New("no host pattern")
	}
	return ps, nil
}
