package lab

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// writeIdentity gives a node what provisioning gives a server: its name,
// a machine id and an SSH host key of its own (both kept across reboots),
// the resolvers, and the operator's key for root. It writes into the
// node's own layer while the node is off.
func (l *Lab) writeIdentity(n *Node, upper string) error {
	fqdn := n.Name
	if l.Topo.Domain != "" {
		fqdn = n.Name + "." + l.Topo.Domain
	}
	var resolv strings.Builder
	for _, d := range l.Topo.DNS {
		fmt.Fprintf(&resolv, "nameserver %s\n", d)
	}
	if l.Topo.Domain != "" {
		fmt.Fprintf(&resolv, "search %s\n", l.Topo.Domain)
	}
	files := []struct {
		path    string
		content string
		mode    os.FileMode
		keep    bool // written once: the host may change it later
	}{
		{"etc/hostname", n.Name + "\n", 0o644, false},
		{"etc/hosts", fmt.Sprintf("127.0.0.1\tlocalhost\n%s\t%s %s\n::1\tlocalhost ip6-localhost ip6-loopback\n", n.Mgmt.Addr(), fqdn, n.Name), 0o644, true},
		{"etc/resolv.conf", resolv.String(), 0o644, true},
		{"etc/machine-id", randomHex(16) + "\n", 0o444, true},
		{"root/.ssh/authorized_keys", l.OperatorKey + "\n", 0o600, false},
	}
	for _, f := range files {
		p := filepath.Join(upper, f.path)
		if f.keep && exists(p) {
			continue
		}
		if err := writeFile(p, []byte(f.content), f.mode); err != nil {
			return err
		}
	}
	key := filepath.Join(upper, "etc/ssh/ssh_host_ed25519_key")
	if !exists(key) {
		priv, pub, err := newHostKey(n.Name)
		if err != nil {
			return err
		}
		if err := writeFile(key, priv, 0o600); err != nil {
			return err
		}
		if err := writeFile(key+".pub", pub, 0o644); err != nil {
			return err
		}
	}
	return os.Chmod(filepath.Join(upper, "root/.ssh"), 0o700)
}

// HostKey is the node's SSH host key (authorized_keys format), for the
// engine to trust exactly that key instead of the first one it sees.
//
// The file lies in the node's own layer, which the node may change: it is
// read inside that layer only (a link the node made to a file of this
// machine is not followed) and must be one public key, so nothing else of
// this machine is ever recorded or shown as a host key.
func (l *Lab) HostKey(node string) (string, error) {
	upper, err := os.OpenRoot(filepath.Join(l.nodeDir(node), "upper"))
	if err != nil {
		return "", fmt.Errorf("host key of %s: %w", node, err)
	}
	defer upper.Close()
	b, err := upper.ReadFile("etc/ssh/ssh_host_ed25519_key.pub")
	if err != nil {
		return "", fmt.Errorf("host key of %s: %w", node, err)
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if _, cert := key.(*ssh.Certificate); err != nil || cert {
		return "", fmt.Errorf("host key of %s: /etc/ssh/ssh_host_ed25519_key.pub is not an SSH public key", node)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))), nil
}

func newHostKey(comment string) (priv, pub []byte, err error) {
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	block, err := ssh.MarshalPrivateKey(sk, "root@"+comment)
	if err != nil {
		return nil, nil, err
	}
	sp, err := ssh.NewPublicKey(pk)
	if err != nil {
		return nil, nil, err
	}
	pub = []byte(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " root@" + comment + "\n")
	return pem.EncodeToMemory(block), pub, nil
}

// EnsureOperatorKey returns the public half of the lab's operator key at
// path, creating the key pair when it does not exist.
func EnsureOperatorKey(path string) (string, error) {
	pubPath := path + ".pub"
	if b, err := os.ReadFile(pubPath); err == nil && exists(path) {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	priv, pub, err := newHostKey("fundament-lab")
	if err != nil {
		return "", err
	}
	if err := writeFile(path, priv, 0o600); err != nil {
		return "", err
	}
	if err := writeFile(pubPath, pub, 0o644); err != nil {
		return "", err
	}
	return strings.TrimSpace(string(pub)), nil
}

// writeFile replaces path (also an overlayfs whiteout, a device node where
// the host deleted the file) with content.
func writeFile(path string, content []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".fundament-tmp"
	if err := os.WriteFile(tmp, content, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b)
}
