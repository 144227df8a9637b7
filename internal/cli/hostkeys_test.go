package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/fundament-cloud/fundament/internal/testutil/sshd"
)

// hostKey is the host key of srv in authorized_keys format.
func hostKey(srv *sshd.Server) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(srv.HostKey())))
}

func fingerprint(srv *sshd.Server) string { return ssh.FingerprintSHA256(srv.HostKey()) }

// TestE2EHostKeys: nothing is trusted on first use unless asked for; the
// pinned, listed and recorded keys are enforced by plan and apply alike.
func TestE2EHostKeys(t *testing.T) {
	e := newE2E(t)
	e.custom(oneFilePerHost)
	h1, h2, h3 := e.srv["h1"], e.srv["h2"], e.srv["h3"]
	inventory := filepath.Join(e.repo, "inventory/hosts.yaml")
	edit := func(old, new string) {
		t.Helper()
		b, err := os.ReadFile(inventory)
		if err != nil || !strings.Contains(string(b), old) {
			t.Fatalf("inventory lacks %q: %v", old, err)
		}
		e.write("inventory/hosts.yaml", strings.Replace(string(b), old, new, 1))
	}
	// h1 is pinned by nothing any more.
	edit(fmt.Sprintf(", host_key: %q", hostKey(h1)), "")

	for _, cmd := range [][]string{{"plan", "--detailed-exitcode"}, {"apply", "--auto-approve"}} {
		code, out, errs := e.run(cmd...)
		if code != ExitNotOK {
			t.Fatalf("%s with h1 unknown: exit %d, want 1\n%s%s", cmd[0], code, out, errs)
		}
		contains(t, cmd[0]+" with h1 unknown", out+errs, "h1", "offered the unknown host key "+fingerprint(h1),
			"ssh.host_key", "known_hosts", "--trust-new-host-keys")
		if e.exists("h1", "f") {
			t.Fatalf("%s wrote to a host whose key nothing vouches for", cmd[0])
		}
	}
	if out, _ := e.must(ExitOK, "hostkeys", "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("a key was recorded without --trust-new-host-keys: %s", out)
	}

	// Trusted on first use when asked, said and recorded; then enforced
	// without the flag.
	_, errs := e.must(ExitChanges, "plan", "--detailed-exitcode", "--trust-new-host-keys")
	contains(t, "plan --trust-new-host-keys", errs,
		fmt.Sprintf("note: trusted the new SSH host key of h1 (127.0.0.1:%d) on first use: ssh-ed25519 %s", h1.Port, fingerprint(h1)))
	out, _ := e.must(ExitOK, "hostkeys", "-o", "json")
	var recorded []struct{ Host, Key string }
	if err := json.Unmarshal([]byte(out), &recorded); err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 1 || recorded[0].Host != "h1" || recorded[0].Key != hostKey(h1) {
		t.Fatalf("recorded %+v, want h1's key only (h2 is pinned, h3 listed)", recorded)
	}
	e.must(ExitOK, "apply", "--auto-approve")
	e.must(ExitOK, "plan", "--detailed-exitcode")

	// Every host comes back with a new key: each is refused, naming both
	// fingerprints and where the expected one comes from, even with the
	// flag.
	old := map[string]string{"h1": fingerprint(h1), "h2": fingerprint(h2), "h3": fingerprint(h3)}
	for _, s := range []*sshd.Server{h1, h2, h3} {
		s.NewHostKey()
		s.Restart()
	}
	code, out, errs := e.run("plan", "--trust-new-host-keys")
	if code != ExitNotOK {
		t.Fatalf("plan with changed keys: exit %d, want 1\n%s%s", code, out, errs)
	}
	contains(t, "plan with changed keys", out,
		"host key of h1", "expected "+old["h1"]+" (recorded in the state database), offered "+fingerprint(h1), "fundament hostkeys forget h1",
		"host key of h2", "expected "+old["h2"]+" (pinned at inventory/hosts.yaml:", " (ssh.host_key)), offered "+fingerprint(h2),
		"host key of h3", "expected "+old["h3"]+" (listed at ssh_known_hosts:1), offered "+fingerprint(h3))
	if strings.Contains(errs, "note: trusted") {
		t.Errorf("a changed key was trusted:\n%s", errs)
	}
}

// TestE2EHostKeyCA: a host that cloud.yaml's ssh_known_hosts covers only
// by an @cert-authority line is reached when it presents a certificate of
// that CA for its name in the cloud's domain, and refused when it
// presents one of another CA or its bare key.
func TestE2EHostKeyCA(t *testing.T) {
	e := newE2E(t)
	e.custom(oneFilePerHost)
	h3 := e.srv["h3"]
	ca := sshd.NewCA(t)
	caKey := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ca.PublicKey())))
	// Every host of the domain, on any port: h3 (h1 and h2 are pinned).
	e.write("ssh_known_hosts", "@cert-authority [*.e2e.fundament.test]:* "+caKey+" ops host CA\n")
	certify := func(ca ssh.Signer, principals ...string) {
		t.Helper()
		h3.Certify(ca, principals...)
		h3.Restart()
	}

	certify(ca, "h3.e2e.fundament.test")
	e.must(ExitOK, "validate")
	e.must(ExitOK, "apply", "--auto-approve")
	e.must(ExitOK, "plan", "--detailed-exitcode")
	if !e.exists("h3", "f") {
		t.Fatal("apply did not reach h3")
	}
	if out, _ := e.must(ExitOK, "hostkeys", "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("a certified key was recorded: %s", out)
	}

	refused := func(what string, wants ...string) {
		t.Helper()
		code, out, errs := e.run("plan", "--trust-new-host-keys")
		if code != ExitNotOK {
			t.Fatalf("plan with %s: exit %d, want 1\n%s%s", what, code, out, errs)
		}
		contains(t, "plan with "+what, out+errs, append([]string{"host key of h3", "refused"}, wants...)...)
		if strings.Contains(errs, "note: trusted") {
			t.Errorf("plan with %s trusted a key:\n%s", what, errs)
		}
	}
	other := sshd.NewCA(t)
	certify(other, "h3.e2e.fundament.test")
	refused("a certificate of another CA", "signed by the CA "+ssh.FingerprintSHA256(other.PublicKey()),
		"its CA is not one that known_hosts trusts for h3 (ssh_known_hosts:1)")
	certify(ca, "h2.e2e.fundament.test")
	refused("another host's certificate", "not for h3 or 127.0.0.1 or h3.e2e.fundament.test (its principals: h2.e2e.fundament.test)")
	h3.NewHostKey() // no certificate any more
	h3.Restart()
	refused("a bare key", "no host certificate", "known_hosts trusts only host certificates for it (@cert-authority, ssh_known_hosts:1)")
}
