package validate

import (
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// How Fundament knows the SSH host keys of hosts and switches.
const (
	// RuleSSHHostKey: a pinned ssh.host_key is one public key, pinned per
	// host or switch.
	RuleSSHHostKey = "ssh-host-key"
	// RuleSSHKnownHosts: cloud.yaml's ssh_known_hosts is a known_hosts
	// file of the repository whose every line parses.
	RuleSSHKnownHosts = "ssh-known-hosts"
)

func init() {
	register(
		Rule{ID: RuleSSHHostKey, Summary: "ssh.host_key of a host or switch is one SSH public key in authorized_keys format (TYPE BASE64), not a certificate or a private key; it is pinned per host or switch, never in inventory defaults or fabric.ssh", check: checkSSHHostKeys},
		Rule{ID: RuleSSHKnownHosts, Summary: "cloud.yaml's ssh_known_hosts names a known_hosts file of the repository, every line of which is an entry (HOSTS KEYTYPE KEY, @cert-authority or @revoked), a comment or blank", check: checkSSHKnownHosts},
	)
}

func checkSSHHostKeys(ck *checker) {
	pinned := func(s *model.SSH, what string) {
		if !s.Has("host_key") {
			return
		}
		if _, err := transport.ParseHostKey(s.HostKey); err != nil {
			msg := err.Error()
			if strings.Contains(s.HostKey, "PRIVATE KEY") {
				// Never echo it.
				msg = "this is a PRIVATE key: remove it from the repository (and its history), replace the host's key and pin the new public key (/etc/ssh/ssh_host_ed25519_key.pub)"
			}
			ck.d.Errorf(s.At("host_key"), RuleSSHHostKey, "ssh.host_key of %s: %s", what, msg)
		}
	}
	shared := func(s *model.SSH, what string) {
		if s.Has("host_key") {
			ck.d.Errorf(s.At("host_key"), RuleSSHHostKey, "%s.host_key: a host key is pinned per host or switch, not for all of them "+
				"(hosts sharing a key can impersonate each other); set ssh.host_key on each, or trust their SSH CA in cloud.yaml's ssh_known_hosts", what)
		}
	}
	for _, inv := range ck.c.Inventory {
		shared(&inv.Defaults.SSH, "defaults.ssh")
		for _, h := range inv.Hosts {
			pinned(&h.SSH, "host "+h.Name)
		}
	}
	shared(&ck.c.Network.Fabric.SSH, "fabric.ssh")
	for _, sw := range ck.c.Network.Switches {
		pinned(&sw.SSH, "switch "+sw.Name)
	}
}

func checkSSHKnownHosts(ck *checker) {
	spec := &ck.c.Spec
	if !spec.Has("ssh_known_hosts") || ck.fsys == nil {
		return
	}
	at, file := spec.At("ssh_known_hosts"), spec.SSHKnownHosts
	name := path.Clean(file)
	if !fs.ValidPath(name) || strings.HasPrefix(file, "/") {
		ck.d.Errorf(at, RuleSSHKnownHosts, "ssh_known_hosts: %q must be a path inside the repository, relative to its root", file)
		return
	}
	data, err := fs.ReadFile(ck.fsys, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		ck.d.Errorf(at, RuleSSHKnownHosts, "ssh_known_hosts: %s does not exist in the repository", file)
		return
	case err != nil:
		ck.d.Errorf(at, RuleSSHKnownHosts, "ssh_known_hosts: cannot read %s: %s", file, model.CleanFSError(err))
		return
	}
	kh, errs := transport.ParseKnownHosts(name, data)
	for _, e := range errs {
		ck.d.Errorf(diag.Pos{File: name, Line: e.Line}, RuleSSHKnownHosts, "%v", e.Err)
	}
	if len(errs) == 0 && kh.Len() == 0 {
		ck.d.Warnf(at, RuleSSHKnownHosts, "ssh_known_hosts: %s lists no host key", file)
	}
}
