// Package sshd starts real OpenSSH servers on 127.0.0.1 for tests: each
// with its own port, host key, authorized client key and configuration,
// stopped (with every process it started) when the test ends.
//
// sshd needs root (it changes to the logged-in user) and the OpenSSH
// server binary; Start skips the test, saying why, when either is missing.
// Every server runs on this machine, so servers share its file system,
// users and processes: tests that pretend they are different hosts keep
// each "host" in its own directory.
//
//	srv := sshd.Start(t)
//	// ssh -i srv.ClientKeyFile -p srv.Port root@127.0.0.1
//	srv.Stop()       // the host goes down (connections are cut)
//	srv.NewHostKey() // reinstalled: a new host key from the next start
//	srv.Certify(ca, "h1.example.org") // presents a host certificate from the next start
//	srv.Restart()    // and up again, on the same port
package sshd

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Path is the OpenSSH server binary.
const Path = "/usr/sbin/sshd"

// Server is one running (or stopped) sshd.
type Server struct {
	// Dir is the server's private directory (mode 0755: another user may
	// need to read authorized_keys): its configuration, keys and whatever
	// a test puts there. Removed when the test ends.
	Dir string
	// Addr is host:port to connect to ("127.0.0.1:PORT").
	Addr string
	// Port is the listening port; it stays the same across Restart.
	Port int
	// ClientKeyFile is an unencrypted ed25519 private key (OpenSSH format)
	// that the server accepts for every user.
	ClientKeyFile string

	t     testing.TB
	extra string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    *buffer
}

// Option changes how Start sets a server up.
type Option func(*options)

type options struct {
	keepAgent bool
	port      int
	extra     []string
}

// KeepAgent leaves SSH_AUTH_SOCK alone. By default Start clears it for the
// test (t.Setenv), so that clients authenticate with ClientKeyFile only and
// not with whatever keys the developer's agent holds.
func KeepAgent() Option { return func(o *options) { o.keepAgent = true } }

// WithPort listens on port instead of a free port chosen by the system.
func WithPort(port int) Option { return func(o *options) { o.port = port } }

// WithConfig appends lines (sshd_config keywords) to the configuration.
func WithConfig(lines ...string) Option {
	return func(o *options) { o.extra = append(o.extra, lines...) }
}

// Require skips the test unless this process can run sshd: it is root
// and the OpenSSH server is installed.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: this test starts its own sshd, which needs root (run the tests as root)")
	}
	if _, err := os.Stat(Path); err != nil {
		t.Skipf("skipped: this test needs OpenSSH's server at %s (apt-get install openssh-server): %v", Path, err)
	}
}

// Start starts an sshd on 127.0.0.1 with a fresh host key and a fresh
// client key, and stops it when the test ends. It skips the test when
// sshd cannot run here (see Require).
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	Require(t)
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if !o.keepAgent {
		t.Setenv("SSH_AUTH_SOCK", "")
	}
	// sshd refuses to start without its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "fundament-sshd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, Dir: dir, extra: strings.Join(o.extra, "\n")}
	s.NewHostKey()
	s.ClientKeyFile = s.NewClientKey("client", true)
	if o.port != 0 {
		s.setPort(o.port)
		if err := s.start(); err != nil {
			t.Fatal(err)
		}
	} else {
		// A free port can be taken by someone else before sshd binds it:
		// try a few.
		for attempt := 0; ; attempt++ {
			s.setPort(FreePort(t))
			err := s.start()
			if err == nil {
				break
			}
			if attempt == 4 || !strings.Contains(err.Error(), "Address already in use") {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) setPort(p int) {
	s.Port = p
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on (at the
// moment: pass it on quickly).
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WriteKey writes a new unencrypted ed25519 private key (OpenSSH format,
// mode 0600) to path and returns its public key.
func WriteKey(t testing.TB, path string) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sshPub
}

// NewHostKey replaces the server's host key, as a reinstalled host would
// have. It takes effect at the next Restart.
func (s *Server) NewHostKey() {
	s.t.Helper()
	key := filepath.Join(s.Dir, "host_ed25519")
	pub := WriteKey(s.t, key)
	if err := os.WriteFile(key+".pub", ssh.MarshalAuthorizedKey(pub), 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Remove(s.certFile()); err != nil && !os.IsNotExist(err) {
		s.t.Fatal(err)
	}
}

// NewCA returns a new SSH host CA (an ed25519 signer) for Certify.
func NewCA(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Certify signs the server's host key with ca as a host certificate for
// principals; from the next Restart the server presents it (sshd's
// HostCertificate). NewHostKey drops the certificate.
func (s *Server) Certify(ca ssh.Signer, principals ...string) {
	s.t.Helper()
	cert := &ssh.Certificate{
		Key: s.HostKey(), CertType: ssh.HostCert, KeyId: strings.Join(principals, ","),
		ValidPrincipals: principals, ValidBefore: ssh.CertTimeInfinity,
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(s.certFile(), ssh.MarshalAuthorizedKey(cert), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) certFile() string { return filepath.Join(s.Dir, "host_ed25519-cert.pub") }

// HostKey returns the server's current public host key (the one the
// next start uses, after NewHostKey).
func (s *Server) HostKey() ssh.PublicKey {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir, "host_ed25519.pub"))
	if err != nil {
		s.t.Fatal(err)
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		s.t.Fatal(err)
	}
	return k
}

// NewClientKey writes a new private key file named name in Dir and, with
// authorize, lets it log in (as any user). It returns the file's path.
func (s *Server) NewClientKey(name string, authorize bool) string {
	s.t.Helper()
	path := filepath.Join(s.Dir, name)
	pub := WriteKey(s.t, path)
	if authorize {
		f, err := os.OpenFile(filepath.Join(s.Dir, "authorized_keys"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			s.t.Fatal(err)
		}
		_, err = f.Write(ssh.MarshalAuthorizedKey(pub))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			s.t.Fatal(err)
		}
	}
	return path
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	cfg := filepath.Join(s.Dir, "sshd_config")
	conf := fmt.Sprintf(`ListenAddress %s
HostKey %s
AuthorizedKeysFile %s
PidFile none
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
LogLevel INFO
# Bash sources ~/.bashrc when sshd starts it, unless it thinks it is nested;
# keep the machine's dotfiles (which may be slow) out of the timings.
SetEnv SHLVL=1
%s
`, s.Addr, filepath.Join(s.Dir, "host_ed25519"), filepath.Join(s.Dir, "authorized_keys"), s.extra)
	if _, err := os.Stat(s.certFile()); err == nil {
		conf += "HostCertificate " + s.certFile() + "\n"
	}
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return err
	}
	log := &buffer{}
	cmd := exec.Command(Path, "-D", "-e", "-f", cfg)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting sshd: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	listening := fmt.Sprintf("Server listening on 127.0.0.1 port %d", s.Port)
	deadline := time.After(10 * time.Second)
	for !strings.Contains(log.String(), listening) {
		select {
		case <-exited:
			return fmt.Errorf("sshd exited: %s", log.String())
		case <-deadline:
			killTree(cmd.Process.Pid)
			<-exited
			return fmt.Errorf("sshd did not start listening: %s", log.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	s.cmd, s.exited, s.log = cmd, exited, log
	return nil
}

// Stop kills sshd and every process it started: its per-connection
// processes outlive the listener otherwise, keeping connections (and the
// scripts they run) alive. Clients see their connections cut, as when a
// host goes down. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	killTree(s.cmd.Process.Pid)
	<-s.exited
	s.cmd = nil
}

// Restart stops the server if it runs and starts it again on the same
// port, with the current host key (see NewHostKey).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

// Running reports whether the server runs.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Log returns what sshd logged since its last start.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return ""
	}
	return s.log.String()
}

// Logins counts the successful logins since the last start.
func (s *Server) Logins() int {
	return strings.Count(s.Log(), "Accepted publickey")
}

// SignalSessions sends sig to every process below the listener: the
// per-connection sshd processes and the commands they run.
func (s *Server) SignalSessions(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	for _, pid := range Descendants(s.cmd.Process.Pid) {
		syscall.Kill(pid, sig)
	}
}

func killTree(pid int) {
	for _, p := range append(Descendants(pid), pid) {
		syscall.Kill(p, syscall.SIGKILL)
	}
}

// Descendants lists the processes below root (children, their children,
// ...), read from /proc.
func Descendants(root int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may contain spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], pid)
	}
	var out []int
	for queue := []int{root}; len(queue) > 0; queue = queue[1:] {
		for _, c := range children[queue[0]] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// ProcessRunning reports whether a process with exactly this command line
// runs on the machine.
func ProcessRunning(args ...string) bool {
	want := strings.Join(args, "\x00") + "\x00"
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && string(b) == want {
			return true
		}
	}
	return false
}

// buffer is a bytes.Buffer safe for concurrent use (sshd writes its log
// while tests read it).
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
