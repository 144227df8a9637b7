package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fundament-cloud/fundament/internal/testutil/sshd"
)

// testSSHD is a real OpenSSH server on 127.0.0.1 for one test.
type testSSHD struct {
	*sshd.Server
	t *testing.T
}

func requireSSHD(t *testing.T) { sshd.Require(t) }

// newTestSSHD starts an sshd with a fresh host key and client key; it is
// stopped when the test ends. The agent path is tested on its own; other
// tests use key files only (sshd.Start clears SSH_AUTH_SOCK).
func newTestSSHD(t *testing.T) *testSSHD {
	return &testSSHD{Server: sshd.Start(t), t: t}
}

func (d *testSSHD) config(store HostKeyStore) SSHConfig {
	return SSHConfig{
		Host:           "test-host",
		Address:        "127.0.0.1",
		Port:           d.Port,
		User:           "root",
		KeyFiles:       []string{d.ClientKeyFile},
		HostKeys:       store,
		ConnectTimeout: 3 * time.Second,
		// Most tests are not about host keys (hostkeys_test.go is).
		TrustNewHostKeys: true,
	}
}

func (d *testSSHD) dial(cfg SSHConfig) *SSH {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := DialSSH(ctx, cfg)
	if err != nil {
		d.t.Fatalf("DialSSH: %v\nsshd log:\n%s", err, d.Log())
	}
	d.t.Cleanup(func() { s.Close() })
	return s
}

func run(t *testing.T, tr Transport, script string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := tr.Run(ctx, script, nil)
	if err != nil {
		t.Fatalf("Run(%q): %v", script, err)
	}
	return res
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"", "plain", "it's", "''", `a\'b`, "$HOME `id` $(id) \"x\"", "line1\nline2\n", "*?[]{}~!#;&|<>"} {
		out, err := exec.Command("/bin/sh", "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("shellQuote(%q) round trip = %q, %v", s, out, err)
		}
	}
}

func TestSSHRun(t *testing.T) {
	d := newTestSSHD(t)
	s := d.dial(d.config(NewMemoryHostKeys()))
	if s.Host() != "test-host" {
		t.Errorf("Host() = %q", s.Host())
	}

	res := run(t, s, "x='it'\"'\"'s'\nprintf '%s %s\\n' \"$x\" \"$(id -u)\"\necho oops >&2\nexit 3")
	if got := string(res.Stdout); got != "it's 0\n" {
		t.Errorf("stdout = %q", got)
	}
	if got := string(res.Stderr); got != "oops\n" {
		t.Errorf("stderr = %q", got)
	}
	if res.ExitCode != 3 {
		t.Errorf("exit code = %d, want 3", res.ExitCode)
	}

	if res := run(t, s, "true"); res.ExitCode != 0 || len(res.Stdout)+len(res.Stderr) != 0 {
		t.Errorf("true: %+v", res)
	}
	if res := run(t, s, "kill -9 $$"); res.ExitCode != 128+9 {
		t.Errorf("killed script: exit code %d, want 137", res.ExitCode)
	}
	if res := run(t, s, "head -c 3000000 /dev/zero"); len(res.Stdout) != 3000000 {
		t.Errorf("large output: got %d bytes", len(res.Stdout))
	}
	// No stdin: the script sees end of file at once.
	if res := run(t, s, "cat; echo done"); string(res.Stdout) != "done\n" {
		t.Errorf("nil stdin: %q", res.Stdout)
	}
	if n := s.dials.Load(); n != 1 {
		t.Errorf("dialled %d times, want 1", n)
	}
}

func TestSSHStdin(t *testing.T) {
	d := newTestSSHD(t)
	s := d.dial(d.config(NewMemoryHostKeys()))
	payload := make([]byte, 5<<20)
	rand.Read(payload)
	dst := filepath.Join(d.Dir, "payload")
	script := fmt.Sprintf("cat > %s.tmp && mv %s.tmp %s", dst, dst, dst)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.Run(ctx, script, bytes.NewReader(payload))
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run: %v %+v", err, res)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("payload differs: got %d bytes, want %d", len(got), len(payload))
	}
	// A script that does not read its input still finishes.
	res, err = s.Run(ctx, "echo ignored", bytes.NewReader(payload))
	if err != nil || string(res.Stdout) != "ignored\n" {
		t.Fatalf("unread stdin: %v %q", err, res.Stdout)
	}
}

func TestSSHConcurrentRunsShareOneConnection(t *testing.T) {
	d := newTestSSHD(t)
	s := d.dial(d.config(NewMemoryHostKeys()))
	live := filepath.Join(d.Dir, "live")
	if err := os.Mkdir(live, 0o755); err != nil {
		t.Fatal(err)
	}
	const n = 40
	var wg sync.WaitGroup
	results := make([]Result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			// Each script counts the scripts running beside it.
			script := fmt.Sprintf("touch %[1]s/%[2]d; n=$(ls %[1]s | wc -l); sleep 0.1; rm %[1]s/%[2]d; echo %[2]d $n", live, i)
			results[i], errs[i] = s.Run(ctx, script, nil)
		})
	}
	wg.Wait()
	peak := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Run %d: %v", i, errs[i])
		}
		var id, cur int
		if _, err := fmt.Sscan(string(results[i].Stdout), &id, &cur); err != nil || id != i {
			t.Fatalf("Run %d: stdout %q stderr %q", i, results[i].Stdout, results[i].Stderr)
		}
		peak = max(peak, cur)
	}
	t.Logf("%d scripts ran at once at most; the server refused %d sessions at first", peak, s.refusals.Load())
	if peak > defaultMaxSessions {
		t.Errorf("%d scripts ran at once, more than the limit %d", peak, defaultMaxSessions)
	}
	if peak < 2 {
		t.Errorf("scripts did not run concurrently (peak %d)", peak)
	}
	if got := s.dials.Load(); got != 1 {
		t.Errorf("dialled %d times, want 1", got)
	}
	if got := d.Logins(); got != 1 {
		t.Errorf("sshd logged %d logins, want 1:\n%s", got, d.Log())
	}
}

func TestSSHHostKeyTrustOnFirstUse(t *testing.T) {
	d := newTestSSHD(t)
	store := NewMemoryHostKeys()
	s := d.dial(d.config(store))
	rec, ok, _ := store.Lookup("test-host")
	if !ok {
		t.Fatal("host key not recorded")
	}
	if want := marshalHostKey(d.HostKey()); rec != want {
		t.Fatalf("recorded %q, want %q", rec, want)
	}
	oldFP := ssh.FingerprintSHA256(d.HostKey())

	// Same key again: accepted by a new transport sharing the store.
	d.dial(d.config(store)).Close()

	// The host comes back with a new key.
	d.Stop()
	d.NewHostKey()
	d.Restart()
	newFP := ssh.FingerprintSHA256(d.HostKey())

	check := func(what string, err error) {
		t.Helper()
		var mismatch *HostKeyMismatchError
		if !errors.As(err, &mismatch) {
			t.Fatalf("%s: got %v, want a *HostKeyMismatchError", what, err)
		}
		msg := err.Error()
		for _, want := range []string{"test-host", oldFP, newFP, "fundament hostkeys forget test-host"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: message %q lacks %q", what, msg, want)
			}
		}
	}
	_, err := DialSSH(context.Background(), d.config(store))
	check("DialSSH", err)
	// The open transport re-dials after the restart, and is refused too.
	_, err = s.Run(context.Background(), "true", nil)
	check("Run", err)
	if rec2, _, _ := store.Lookup("test-host"); rec2 != rec {
		t.Errorf("recorded key changed to %q", rec2)
	}

	// Forgetting the key trusts the new one.
	store.Forget("test-host")
	d.dial(d.config(store)).Close()
	if rec3, _, _ := store.Lookup("test-host"); rec3 != marshalHostKey(d.HostKey()) {
		t.Errorf("after forget, recorded %q", rec3)
	}
}

func TestSSHUnreachable(t *testing.T) {
	requireSSHD(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	key := filepath.Join(t.TempDir(), "k")
	sshd.WriteKey(t, key)
	cfg := SSHConfig{Host: "down", Address: "127.0.0.1", KeyFiles: []string{key},
		HostKeys: NewMemoryHostKeys(), ConnectTimeout: 300 * time.Millisecond}

	expectUnreachable := func(what string, cfg SSHConfig) {
		t.Helper()
		start := time.Now()
		_, err := DialSSH(context.Background(), cfg)
		var ue *UnreachableError
		if !errors.As(err, &ue) || ue.Host != "down" {
			t.Fatalf("%s: got %v, want *UnreachableError", what, err)
		}
		// Far below the 10 s connect timeout: refused fast, not timed out.
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("%s: took %v", what, el)
		}
		t.Logf("%s: %v", what, err)
	}

	// Nothing listening: refused.
	cfg.Port = sshd.FreePort(t)
	expectUnreachable("refused", cfg)

	// Something accepts but never speaks SSH: the handshake times out.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cfg.Port = l.Addr().(*net.TCPAddr).Port
	expectUnreachable("silent", cfg)
}

func TestSSHAuthFailureIsNotUnreachable(t *testing.T) {
	d := newTestSSHD(t)
	cfg := d.config(NewMemoryHostKeys())
	cfg.KeyFiles = []string{d.NewClientKey("stranger", false)}
	_, err := DialSSH(context.Background(), cfg)
	var ae *AuthError
	var ue *UnreachableError
	if !errors.As(err, &ae) || errors.As(err, &ue) {
		t.Fatalf("got %v, want *AuthError", err)
	}
	if !strings.Contains(err.Error(), "test-host") || !strings.Contains(err.Error(), "root") {
		t.Errorf("message %q should name host and user", err)
	}

	cfg.KeyFiles = []string{filepath.Join(d.Dir, "missing")}
	if _, err := DialSSH(context.Background(), cfg); !errors.As(err, &ae) {
		t.Fatalf("missing key file: got %v, want *AuthError", err)
	}
}

func TestSSHRedialAfterServerRestart(t *testing.T) {
	d := newTestSSHD(t)
	s := d.dial(d.config(NewMemoryHostKeys()))
	run(t, s, "true")

	// Restarted quickly: the next Run re-dials transparently.
	d.Stop()
	d.Restart()
	if res := run(t, s, "echo again"); string(res.Stdout) != "again\n" {
		t.Fatalf("after restart: %q", res.Stdout)
	}
	if got := s.dials.Load(); got != 2 {
		t.Errorf("dialled %d times, want 2", got)
	}

	// Lost during a Run: that Run fails; the next one dials again.
	errc := make(chan error, 1)
	go func() {
		_, err := s.Run(context.Background(), "echo started; sleep 5", nil)
		errc <- err
	}()
	for deadline := time.Now().Add(3 * time.Second); !sshd.ProcessRunning("sleep", "5"); {
		if time.Now().After(deadline) {
			t.Fatal("the script did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.Stop()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "connection lost") {
			t.Errorf("Run during restart: got %v, want a lost connection", err)
		}
		t.Log(err)
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not notice the lost connection")
	}
	d.Restart()
	run(t, s, "true")
	if got := s.dials.Load(); got != 3 {
		t.Errorf("dialled %d times, want 3", got)
	}

	// Down: Run reports the host unreachable; back up: Run works again.
	d.Stop()
	_, err := s.Run(context.Background(), "true", nil)
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("while down: got %v, want *UnreachableError", err)
	}
	d.Restart()
	run(t, s, "true")
	if got := s.dials.Load(); got != 5 {
		t.Errorf("dialled %d times, want 5", got)
	}
}

func TestSSHKeepAliveDetectsDeadConnection(t *testing.T) {
	d := newTestSSHD(t)
	cfg := d.config(NewMemoryHostKeys())
	cfg.KeepAlive = 100 * time.Millisecond
	s := d.dial(cfg)
	run(t, s, "true")
	// Freeze the server side of the connection: no FIN, no answers.
	d.SignalSessions(syscall.SIGSTOP)
	defer d.SignalSessions(syscall.SIGCONT)
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	select {
	case <-c.done:
		t.Logf("connection ended: %v", c.reason())
	// Without keepalives the frozen connection never ends; with them
	// every 100 ms it ends within a second on a quiet machine, and a
	// loaded one (load 15-24 seen) may take seconds to schedule them.
	case <-time.After(15 * time.Second):
		t.Fatal("keepalive did not notice the dead connection in 15 s")
	}
	run(t, s, "true")
	if got := s.dials.Load(); got != 2 {
		t.Errorf("dialled %d times, want 2", got)
	}
}

func TestSSHContextCancel(t *testing.T) {
	d := newTestSSHD(t)
	s := d.dial(d.config(NewMemoryHostKeys()))
	testCancel(t, s, "30.5")
	// The connection is still usable.
	run(t, s, "true")
	if got := s.dials.Load(); got != 1 {
		t.Errorf("dialled %d times, want 1", got)
	}
}

// testCancel runs `sleep arg` (arg makes it recognizable) under a short
// deadline and checks Run returns promptly and the sleep is killed.
func testCancel(t *testing.T, s *SSH, arg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Run(ctx, "echo started; sleep "+arg+"; echo survived", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	// Far below the script's own duration: cancelled, not waited for.
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Run returned after %v", el)
	}
	deadline := time.Now().Add(2 * time.Second)
	for sshd.ProcessRunning("sleep", arg) {
		if time.Now().After(deadline) {
			t.Errorf("sleep %s still runs on the host", arg)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSSHClose(t *testing.T) {
	d := newTestSSHD(t)
	s := d.dial(d.config(NewMemoryHostKeys()))
	run(t, s, "true")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background(), "true", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
	if got := s.dials.Load(); got != 1 {
		t.Errorf("dialled %d times, want 1", got)
	}
}

func TestSSHAgent(t *testing.T) {
	d := newTestSSHD(t)
	if _, err := exec.LookPath("ssh-agent"); err != nil {
		t.Skip("ssh-agent is not installed")
	}
	sock := filepath.Join(d.Dir, "agent.sock")
	agentCmd := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agentCmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { agentCmd.Process.Kill(); agentCmd.Wait() }()
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i == 200 {
			t.Fatal("ssh-agent did not create its socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	add := exec.Command("ssh-add", d.ClientKeyFile)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	cfg := d.config(NewMemoryHostKeys())
	cfg.KeyFiles = nil
	s := d.dial(cfg)
	if res := run(t, s, "echo via agent"); string(res.Stdout) != "via agent\n" {
		t.Fatalf("stdout %q", res.Stdout)
	}
}

func TestSSHSudo(t *testing.T) {
	d := newTestSSHD(t)
	user, sudoers := sudoUser(t, d)

	cfg := d.config(NewMemoryHostKeys())
	cfg.User = user
	s := d.dial(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := s.Run(ctx, "id -u; cat; echo 'it'\\''s' >&2; exit 4", strings.NewReader("input\n"))
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Stdout) != "0\ninput\n" || string(res.Stderr) != "it's\n" || res.ExitCode != 4 {
		t.Errorf("through sudo: %q %q %d", res.Stdout, res.Stderr, res.ExitCode)
	}
	testCancel(t, s, "30.25")

	// Without passwordless sudo the Run fails, saying why.
	os.Remove(sudoers)
	_, err = s.Run(ctx, "true", nil)
	if err == nil || !strings.Contains(err.Error(), "sudo") || !strings.Contains(err.Error(), user) {
		t.Fatalf("without sudo rights: got %v", err)
	}
	t.Log(err)
}

var sudoUsers atomic.Int64

// sudoUser makes a throwaway user of d's host with passwordless sudo
// (removed when the test ends) and returns its name and sudoers file. It
// skips the test where sudo or useradd is missing.
func sudoUser(t *testing.T, d *testSSHD) (user, sudoers string) {
	t.Helper()
	if _, err := exec.LookPath("sudo"); err != nil {
		t.Skip("sudo is not installed (apt-get install sudo), so the non-root login path is not tested")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("useradd is not available to create a throwaway user")
	}
	user = fmt.Sprintf("fndtest%d-%d", os.Getpid()%1000000, sudoUsers.Add(1))
	// "*" is no password but, unlike useradd's default "!", not a locked
	// account, which sshd (without PAM) would refuse.
	if out, err := exec.Command("useradd", "-M", "-d", d.Dir, "-s", "/bin/sh", "-p", "*", user).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() {
		d.Stop() // userdel refuses while the user's sshd processes live
		if out, err := exec.Command("userdel", user).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v: %s", user, err, out)
		}
	})
	sudoers = "/etc/sudoers.d/" + user
	if err := os.WriteFile(sudoers, []byte(user+" ALL=(ALL) NOPASSWD: ALL\n"), 0o440); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(sudoers) })
	return user, sudoers
}
