package cli

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/state"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// hostKeyFlags say which SSH host keys the commands that reach hosts
// accept besides those pinned in the inventory, listed in cloud.yaml's
// ssh_known_hosts and recorded in the state database.
type hostKeyFlags struct {
	knownHosts []string
	trustNew   bool
}

func (f *hostKeyFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&f.knownHosts, "known-hosts", nil, "known_hosts `FILE` (host keys, @cert-authority, @revoked) vouching for hosts without a pinned ssh.host_key, besides cloud.yaml's ssh_known_hosts")
	cmd.Flags().BoolVar(&f.trustNew, "trust-new-host-keys", false, "accept the SSH host key of a host that nothing vouches for (no ssh.host_key, no known_hosts line, nothing recorded) and record it; without it such a host is refused")
}

// hostKeyPolicy is how every connection of a command verifies host keys:
// the same for plan, apply, status, probes and the lab's readiness check.
type hostKeyPolicy struct {
	cloud    *model.Cloud
	known    *transport.KnownHosts
	store    transport.HostKeyStore
	trustNew bool
	// told says on stderr which keys were trusted on first use.
	told func(host, address string, key ssh.PublicKey)
}

// newHostKeyPolicy reads the known_hosts files: cloud.yaml's (inside the
// repository) and the --known-hosts files.
func newHostKeyPolicy(g *globals, c *model.Cloud, db *state.DB, f hostKeyFlags) (*hostKeyPolicy, error) {
	p := &hostKeyPolicy{cloud: c, known: &transport.KnownHosts{}, store: db.HostKeys(), trustNew: f.trustNew}
	var errs []error
	add := func(name string, data []byte, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("known_hosts %s: %w", name, err))
			return
		}
		kh, lineErrs := transport.ParseKnownHosts(name, data)
		for _, e := range lineErrs {
			errs = append(errs, fmt.Errorf("known_hosts %w", e))
		}
		p.known.Add(kh)
	}
	if file := c.Spec.SSHKnownHosts; file != "" {
		file = path.Clean(file) // as validate names it
		data, err := model.ReadRepoFile(g.repo, file)
		add(file, data, err)
	}
	for _, file := range f.knownHosts {
		data, err := os.ReadFile(file)
		add(file, data, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var mu sync.Mutex
	p.told = func(host, address string, key ssh.PublicKey) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(g.stderr, "note: trusted the new SSH host key of %s (%s) on first use: %s %s; recorded in the state database (`fundament hostkeys`)\n",
			host, address, key.Type(), ssh.FingerprintSHA256(key))
	}
	return p, nil
}

// sshConfig is how to reach and verify the host or switch name at addr
// with the model's ssh settings s.
func (p *hostKeyPolicy) sshConfig(name, addr string, s model.SSH) transport.SSHConfig {
	cfg := transport.SSHConfig{
		Host: name, Address: addr, Port: s.Port, User: s.User,
		KnownHosts: p.known, HostKeys: p.store, TrustNewHostKeys: p.trustNew, OnNewHostKey: p.told,
	}
	if s.HostKey != "" {
		cfg.HostKey, cfg.HostKeyFrom = s.HostKey, s.At("host_key").String()+" (ssh.host_key)"
	}
	if d := strings.TrimSuffix(p.cloud.Spec.Domain, "."); d != "" {
		cfg.HostNames = []string{name + "." + d}
	}
	return cfg
}

// knownHostsFor is what the policy trusts for a host, as known_hosts lines
// at its address (for ssh run by Ansible).
func (p *hostKeyPolicy) knownHostsFor(name, addr string, s model.SSH) ([]string, error) {
	return transport.KnownHostsLines(p.sshConfig(name, addr, s))
}
