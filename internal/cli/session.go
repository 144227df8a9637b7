package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components"
	"github.com/fundament-cloud/fundament/internal/lease"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/secrets"
	"github.com/fundament-cloud/fundament/internal/state"
	"github.com/fundament-cloud/fundament/internal/transport"
	"github.com/fundament-cloud/fundament/internal/validate"
)

// StateDir is where a repository keeps its local state (git-ignored).
const StateDir = ".fundament"

// engineFlags are the flags of the commands that reach hosts.
type engineFlags struct {
	parallel   int
	sshKeys    []string
	identity   string
	components []string
	hostKeys   hostKeyFlags
}

// session is a loaded, valid repository with its state database, catalog
// and a transport per host.
type session struct {
	g     *globals
	cloud *model.Cloud
	db    *state.DB
	cat   *catalog.Catalog
	store *secrets.Store
	// storeErr says why store is nil.
	storeErr error
	secrets  []string // values read, for redaction
	hosts    map[string]transport.Transport
	hostsMu  sync.Mutex // guards hosts while components probe
	keys     []string   // the private key files SSH uses
	// fence, set by apply, holds the run's leases on the hosts: every
	// transport dialled is fenced by it (lease.Set.Wrap).
	fence *lease.Set
	// hostKeys verifies every host's SSH host key.
	hostKeys *hostKeyPolicy
}

// loadValid loads and validates the repository, printing its errors.
func loadValid(g *globals) (*model.Cloud, error) {
	c, diags := validate.Check(g.repo)
	if diags.HasErrors() {
		return nil, invalidConfig(g, diags, fmt.Sprintf("the configuration in %s is invalid; fix the errors above", g.repo))
	}
	return c, nil
}

// openChecks loads and validates the repository and opens its state
// database and secrets store: all that status needs, which runs health
// checks and compiles no catalog (so it neither probes hosts nor needs
// the components' secrets).
func openChecks(g *globals, f *engineFlags) (*session, error) {
	c, err := loadValid(g)
	if err != nil {
		return nil, err
	}
	db, err := state.Open(filepath.Join(g.repo, StateDir))
	if err != nil {
		return nil, fmt.Errorf("opening the state database: %w", err)
	}
	keys := f.sshKeys
	if len(keys) == 0 {
		keys = defaultKeys(g.repo)
	}
	policy, err := newHostKeyPolicy(g, c, db, f.hostKeys)
	if err != nil {
		db.Close()
		return nil, err
	}
	s := &session{g: g, cloud: c, db: db, hosts: map[string]transport.Transport{}, keys: keys, hostKeys: policy}
	for _, r := range db.Recovered() {
		fmt.Fprintf(g.stderr, "note: run %s was interrupted (its process is gone); this run converges from what the hosts have\n", r.ID)
	}
	s.store, s.storeErr = secrets.Open(secrets.Options{RepoDir: g.repo, CloudName: c.Spec.Name, IdentityFile: f.identity})
	return s, nil
}

// openSession is openChecks with the catalog compiled (the components
// --component selects and what they need) and its hosts connected.
func openSession(ctx context.Context, g *globals, f *engineFlags) (*session, error) {
	s, err := openChecks(g, f)
	if err != nil {
		return nil, err
	}
	if err := s.compile(ctx, f); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// compile compiles the catalog (components may probe hosts meanwhile) and
// connects its hosts.
func (s *session) compile(ctx context.Context, f *engineFlags) error {
	g := s.g
	var mu sync.Mutex
	in := &catalog.Input{Cloud: s.cloud, RepoDir: g.repo, Secret: func(name string) (string, error) {
		if s.store == nil {
			return "", fmt.Errorf("secret %s: the secrets store cannot be opened: %v", name, s.storeErr)
		}
		v, err := s.store.Get(name)
		if err == nil {
			mu.Lock()
			s.secrets = append(s.secrets, v)
			mu.Unlock()
		}
		return v, err
	}}
	in.Probe = func(host, script string) (string, error) {
		t := s.connect(ctx, f, []string{host})[host]
		res, err := t.Run(ctx, script, nil)
		if err != nil {
			return "", fmt.Errorf("probing %s: %w", host, err)
		}
		if res.ExitCode != 0 {
			return "", fmt.Errorf("probing %s: exit %d: %s", host, res.ExitCode, strings.TrimSpace(s.redact(string(res.Stderr))))
		}
		return string(res.Stdout), nil
	}
	var err error
	if s.cat, err = catalog.CompileOnly(in, f.components, components.All()...); err != nil {
		return err
	}
	s.connect(ctx, f, s.cat.Hosts())
	return nil
}

// connect dials the hosts named that have no transport yet, adds them to
// s.hosts and returns the transports of all the hosts named.
func (s *session) connect(ctx context.Context, f *engineFlags, names []string) map[string]transport.Transport {
	s.hostsMu.Lock()
	var missing []string
	for _, n := range names {
		if s.hosts[n] == nil {
			missing = append(missing, n)
		}
	}
	s.hostsMu.Unlock()
	// Dialled unlocked: components probe several hosts at once.
	dialled := s.dial(ctx, f, missing)
	s.hostsMu.Lock()
	defer s.hostsMu.Unlock()
	for n, t := range dialled {
		if s.hosts[n] != nil {
			t.Close() // another probe dialled it meanwhile
			continue
		}
		if s.fence != nil {
			t = s.fence.Wrap(t)
		}
		s.hosts[n] = t
	}
	out := make(map[string]transport.Transport, len(names))
	for _, n := range names {
		out[n] = s.hosts[n]
	}
	return out
}

// dial connects to the hosts and switches named, in parallel. A host that
// cannot be reached gets a transport that reports why on every use, so
// that the plan shows it as unreachable instead of failing as a whole.
func (s *session) dial(ctx context.Context, f *engineFlags, names []string) map[string]transport.Transport {
	byName, switches := s.cloud.HostsByName(), s.cloud.SwitchesByName()
	out := map[string]transport.Transport{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(f.parallel, 1))
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var t transport.Transport
			addr, ssh, err := s.target(name, byName[name], switches[name])
			if err != nil {
				t = &failed{host: name, err: err}
			} else {
				cfg := s.hostKeys.sshConfig(name, addr, ssh)
				cfg.KeyFiles = s.keys
				conn, err := transport.DialSSH(ctx, cfg)
				if err != nil {
					t = &failed{host: name, err: err}
				} else {
					t = conn
				}
			}
			mu.Lock()
			out[name] = t
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// target is where and how SSH reaches a host or a switch of the catalog.
func (s *session) target(name string, h *model.Host, sw *model.Switch) (string, model.SSH, error) {
	switch {
	case h != nil:
		addr := h.SSH.Address.String()
		if !h.SSH.Address.IsValid() {
			addr, _ = s.cloud.ManagementAddress(h)
		}
		return addr, h.SSH, nil
	case sw != nil && sw.SSH.Address.IsValid():
		return sw.SSH.Address.String(), sw.SSH, nil
	case sw != nil && sw.ManagementAddress.IsValid():
		return sw.ManagementAddress.String(), sw.SSH, nil
	case sw != nil:
		return "", model.SSH{}, fmt.Errorf("switch %s has no management_address to reach it on", name)
	}
	return "", model.SSH{}, fmt.Errorf("%s is neither a host of the inventory nor a switch", name)
}

// defaultKeys are the operator's usual private keys, as ssh would try them,
// and the key of the repository's lab (fundament lab up made it).
func defaultKeys(repo string) []string {
	if k := os.Getenv("FUNDAMENT_SSH_KEY"); k != "" {
		return []string{k}
	}
	home, _ := os.UserHomeDir()
	var keys []string
	if _, err := os.Stat(labKeyPath(repo)); err == nil {
		keys = append(keys, labKeyPath(repo))
	}
	for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		p := filepath.Join(home, ".ssh", n)
		if _, err := os.Stat(p); err == nil {
			keys = append(keys, p)
		}
	}
	return keys
}

func (s *session) close() {
	for _, t := range s.hosts {
		t.Close()
	}
	s.db.Close()
}

// localEnv is the environment of the steps that run on this machine
// (Ansible playbooks), so that they reach the hosts as the engine does:
// with the same private keys, trusting exactly what the engine trusts for
// each host (its pinned, listed or recorded keys and the CAs that cover
// it, as known_hosts lines for its address in a private temporary
// directory, removed by cleanup), with no prompt and no first-use trust.
// It sets ANSIBLE_SSH_COMMON_ARGS, overriding ssh_common_args of an
// ansible.cfg.
func (s *session) localEnv() (env []string, cleanup func(), err error) {
	cleanup = func() {}
	local := false
	for _, it := range s.cat.Items {
		if _, ok := it.Resource.(resource.LocalRunner); ok {
			local = true
		}
	}
	if !local {
		return nil, cleanup, nil
	}
	var known strings.Builder
	seen := map[string]bool{} // the @revoked lines come with every host
	for _, h := range s.cloud.Hosts {
		addr := h.SSH.Address.String()
		if !h.SSH.Address.IsValid() {
			addr, _ = s.cloud.ManagementAddress(h)
		}
		if addr == "" {
			continue
		}
		lines, err := s.hostKeys.knownHostsFor(h.Name, addr, h.SSH)
		if err != nil {
			return nil, cleanup, err
		}
		for _, l := range lines {
			if !seen[l] {
				seen[l] = true
				known.WriteString(l + "\n")
			}
		}
	}
	dir, err := os.MkdirTemp("", "fundament-ssh-")
	if err != nil {
		return nil, cleanup, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	file := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(file, []byte(known.String()), 0o600); err != nil {
		cleanup()
		return nil, func() {}, err
	}
	args := []string{"-o", sshOption("UserKnownHostsFile", file), "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"}
	for _, k := range s.keys {
		args = append(args, "-o", sshOption("IdentityFile", k))
	}
	return []string{"ANSIBLE_SSH_COMMON_ARGS=" + strings.Join(args, " "), "ANSIBLE_HOST_KEY_CHECKING=True"}, cleanup, nil
}

// sshOption is an ssh -o argument (in ssh_config syntax, where
// whitespace separates values unless quoted), quoted for Ansible.
func sshOption(name, value string) string {
	if strings.ContainsAny(value, " \t") {
		value = `"` + value + `"`
	}
	return shellWord(name + "=" + value)
}

// shellWord quotes s for the shell-like splitting Ansible does.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>()*?[]{}~#") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// redact hides every secret value the catalog used.
func (s *session) redact(text string) string {
	return secrets.Redactor(s.secrets...)(text)
}

// applied reads what was applied per host, for the plan.
func (s *session) applied(host string) (map[string]string, error) { return s.db.Applied(host) }

// failed is the transport of a host that could not be reached.
type failed struct {
	host string
	err  error
}

func (f *failed) Run(context.Context, string, io.Reader) (transport.Result, error) {
	return transport.Result{}, f.err
}

func (f *failed) Host() string { return f.host }
func (f *failed) Close() error { return nil }
