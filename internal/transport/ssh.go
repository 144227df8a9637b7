package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// SSHConfig says how to reach one host.
type SSHConfig struct {
	// Host names the host in messages and keys it in HostKeys; default
	// Address.
	Host string
	// Address is an IP address or a DNS name.
	Address string
	// Port defaults to 22.
	Port int
	// User is the login user, default "root". Any other user runs the
	// scripts through `sudo -n`, so it needs passwordless sudo.
	User string
	// KeyFiles are private keys in OpenSSH (or PEM) format, unencrypted.
	// The keys of the ssh-agent at $SSH_AUTH_SOCK, if set, are tried after
	// them.
	KeyFiles []string
	// HostKey pins the host's public key (authorized_keys format: the
	// inventory's ssh.host_key): only it is accepted. HostKeyFrom says
	// where it is pinned, for messages.
	HostKey, HostKeyFrom string
	// KnownHosts are known_hosts entries (plain keys, @cert-authority,
	// @revoked), for hosts without a pinned key. An entry covers the host
	// when its patterns match Host, Address or one of HostNames.
	KnownHosts *KnownHosts
	// HostNames are further names of the host in known_hosts files and
	// in its certificate's principals (its FQDN).
	HostNames []string
	// HostKeys is required: the keys recorded for hosts that neither a
	// pin nor KnownHosts covers (the lab's keys, keys trusted on first
	// use).
	HostKeys HostKeyStore
	// TrustNewHostKeys accepts the key of a host that no source knows and
	// records it in HostKeys; without it, such a host is refused
	// (*UnknownHostKeyError). OnNewHostKey, when set, is told of each key
	// trusted so.
	TrustNewHostKeys bool
	OnNewHostKey     func(host, address string, key ssh.PublicKey)
	// ConnectTimeout bounds the TCP connect plus the SSH handshake;
	// default 10s.
	ConnectTimeout time.Duration
	// KeepAlive is the interval of keepalive@openssh.com requests, default
	// 15s; a connection that leaves one unanswered for another interval is
	// closed, and the next Run dials again.
	KeepAlive time.Duration
	// MaxSessions limits the concurrent sessions (Runs) on the connection,
	// default 8, below OpenSSH's default MaxSessions of 10. Further Runs
	// wait for a free slot.
	MaxSessions int
}

const (
	defaultConnectTimeout = 10 * time.Second
	defaultKeepAlive      = 15 * time.Second
	defaultMaxSessions    = 8
)

// AuthError says the host answered but did not accept any of our keys (or
// they could not be loaded). Unlike UnreachableError it will not go away
// by itself.
type AuthError struct {
	Host string
	User string
	Err  error
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("host %s: cannot log in as %s: %v", e.Host, e.User, e.Err)
}
func (e *AuthError) Unwrap() error { return e.Err }

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("transport closed")

// SSH runs scripts on a host over one SSH connection, shared by all Runs
// (one session each, at most MaxSessions at once). DialSSH connects
// eagerly; when the connection is lost (the host rebooted, sshd
// restarted, keepalives went unanswered) the next Run dials again, once,
// with the host key still enforced.
type SSH struct {
	cfg     SSHConfig
	addr    string
	checker *hostKeyChecker
	signers []ssh.Signer // from KeyFiles, loaded once

	sem      chan struct{} // a slot per concurrent session
	dialLock chan struct{} // held while dialling (a lock a context can abandon)

	mu     sync.Mutex
	cur    *sshConn
	closed bool

	dials    atomic.Int64 // how many times we dialled (for tests)
	refusals atomic.Int64 // sessions the server refused, then retried (for tests)
}

// sshConn is one established connection.
type sshConn struct {
	client *ssh.Client
	done   chan struct{} // closed when the connection has ended
	mu     sync.Mutex
	why    error // why it ended
}

func (c *sshConn) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// end closes the connection, remembering the first reason given.
func (c *sshConn) end(why error) {
	c.mu.Lock()
	if c.why == nil {
		c.why = why
	}
	c.mu.Unlock()
	c.client.Close()
}

func (c *sshConn) reason() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.why == nil {
		return errors.New("connection closed")
	}
	return c.why
}

// DialSSH validates cfg, loads the keys and connects. Errors: a
// *UnreachableError when the host cannot be reached (refused, timed out,
// no route, connection dropped during the handshake), an *AuthError when
// it refuses our keys, a *HostKeyMismatchError when its host key changed,
// an *UnknownHostKeyError when nothing vouches for its key, a
// *HostKeyRefusedError for a revoked key or an untrusted certificate.
func DialSSH(ctx context.Context, cfg SSHConfig) (*SSH, error) {
	if cfg.Address == "" {
		return nil, errors.New("ssh: no address")
	}
	if cfg.Host == "" {
		cfg.Host = cfg.Address
	}
	if cfg.HostKeys == nil {
		return nil, fmt.Errorf("ssh to %s: no host key store", cfg.Host)
	}
	if cfg.Port == 0 {
		cfg.Port = 22
	}
	if cfg.User == "" {
		cfg.User = "root"
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = defaultKeepAlive
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = defaultMaxSessions
	}
	checker, err := newHostKeyChecker(cfg)
	if err != nil {
		return nil, err
	}
	s := &SSH{
		cfg:      cfg,
		addr:     net.JoinHostPort(cfg.Address, strconv.Itoa(cfg.Port)),
		checker:  checker,
		sem:      make(chan struct{}, cfg.MaxSessions),
		dialLock: make(chan struct{}, 1),
	}
	for _, f := range cfg.KeyFiles {
		signer, err := loadKeyFile(f)
		if err != nil {
			return nil, &AuthError{Host: cfg.Host, User: cfg.User, Err: err}
		}
		s.signers = append(s.signers, signer)
	}
	if len(s.signers) == 0 && os.Getenv("SSH_AUTH_SOCK") == "" {
		return nil, &AuthError{Host: cfg.Host, User: cfg.User,
			Err: errors.New("no SSH key: configure key files or run an ssh-agent (SSH_AUTH_SOCK)")}
	}
	if _, _, err := s.conn(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func loadKeyFile(path string) (ssh.Signer, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading SSH key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	var pm *ssh.PassphraseMissingError
	if errors.As(err, &pm) {
		return nil, fmt.Errorf("SSH key %s is protected by a passphrase: load it into ssh-agent instead", path)
	}
	if err != nil {
		return nil, fmt.Errorf("SSH key %s: %w", path, err)
	}
	return signer, nil
}

func (s *SSH) Host() string { return s.cfg.Host }

// Close closes the connection; Runs in progress fail, later ones return
// ErrClosed.
func (s *SSH) Close() error {
	s.mu.Lock()
	c := s.cur
	s.cur, s.closed = nil, true
	s.mu.Unlock()
	if c != nil {
		c.end(ErrClosed)
	}
	return nil
}

// conn returns the live connection, dialling when there is none; dialled
// says this call dialled.
func (s *SSH) conn(ctx context.Context) (c *sshConn, dialled bool, err error) {
	s.mu.Lock()
	c, closed := s.cur, s.closed
	s.mu.Unlock()
	if closed {
		return nil, false, ErrClosed
	}
	if c != nil && c.alive() {
		return c, false, nil
	}
	select {
	case s.dialLock <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	defer func() { <-s.dialLock }()
	// Another Run may have dialled while we waited.
	s.mu.Lock()
	c, closed = s.cur, s.closed
	s.mu.Unlock()
	if closed {
		return nil, false, ErrClosed
	}
	if c != nil && c.alive() {
		return c, false, nil
	}
	c, err = s.dial(ctx)
	if err != nil {
		return nil, true, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.end(ErrClosed)
		return nil, true, ErrClosed
	}
	s.cur = c
	s.mu.Unlock()
	return c, true, nil
}

// drop forgets c as the current connection and closes it.
func (s *SSH) drop(c *sshConn, why error) {
	s.mu.Lock()
	if s.cur == c {
		s.cur = nil
	}
	s.mu.Unlock()
	c.end(why)
}

func (s *SSH) dial(ctx context.Context) (*sshConn, error) {
	s.dials.Add(1)
	dctx, cancel := context.WithTimeout(ctx, s.cfg.ConnectTimeout)
	defer cancel()
	unreachable := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("no answer from %s within %v", s.addr, s.cfg.ConnectTimeout)
		}
		return &UnreachableError{Host: s.cfg.Host, Err: err}
	}

	var d net.Dialer
	nc, err := d.DialContext(dctx, "tcp", s.addr)
	if err != nil {
		return nil, unreachable(err)
	}
	deadline, _ := dctx.Deadline()
	nc.SetDeadline(deadline)
	// A cancelled context aborts the handshake too.
	stop := context.AfterFunc(dctx, func() { nc.SetDeadline(time.Unix(1, 0)) })

	// What vouches for the host decides which key types to ask for.
	trust, err := s.checker.trusted()
	if err != nil {
		stop()
		nc.Close()
		return nil, err
	}

	var agentConn net.Conn
	defer func() {
		if agentConn != nil {
			agentConn.Close()
		}
	}()
	signers := func() ([]ssh.Signer, error) {
		all := append([]ssh.Signer(nil), s.signers...)
		if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" && agentConn == nil {
			var err error
			if agentConn, err = net.Dial("unix", sock); err == nil {
				if more, err := agent.NewClient(agentConn).Signers(); err == nil {
					all = append(all, more...)
				}
			}
		}
		return all, nil
	}
	config := &ssh.ClientConfig{
		User:              s.cfg.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeysCallback(signers)},
		HostKeyCallback:   s.checker.callback(trust),
		HostKeyAlgorithms: trust.algorithms(),
	}
	cc, chans, reqs, err := ssh.NewClientConn(nc, s.addr, config)
	if !stop() {
		// The context ended during the handshake.
		if err == nil {
			cc.Close()
		}
		return nil, unreachable(dctx.Err())
	}
	if err != nil {
		var mismatch *HostKeyMismatchError
		var unknown *UnknownHostKeyError
		var refused *HostKeyRefusedError
		var nego *ssh.AlgorithmNegotiationError
		switch {
		case errors.As(err, &mismatch):
			return nil, mismatch
		case errors.As(err, &unknown):
			return nil, unknown
		case errors.As(err, &refused):
			return nil, refused
		case trust.source != sourceNone && errors.As(err, &nego) && nego.What == "host key":
			return nil, s.checker.noCommonKey(trust, nego.RequestedAlgorithms)
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, &AuthError{Host: s.cfg.Host, User: s.cfg.User, Err: err}
		case isNetworkError(err):
			return nil, unreachable(err)
		default:
			return nil, fmt.Errorf("ssh to %s (%s): %w", s.cfg.Host, s.addr, err)
		}
	}
	nc.SetDeadline(time.Time{})

	c := &sshConn{client: ssh.NewClient(cc, chans, reqs), done: make(chan struct{})}
	go func() {
		err := c.client.Wait()
		if err == nil {
			err = errors.New("connection closed")
		}
		c.mu.Lock()
		if c.why == nil {
			c.why = err
		}
		c.mu.Unlock()
		close(c.done)
	}()
	go s.keepalive(c)
	return c, nil
}

// isNetworkError tells a connection that failed (dropped, reset, timed
// out) from a protocol or configuration error.
func isNetworkError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// keepalive pings the server every KeepAlive and closes the connection
// when a ping fails or is not answered within another KeepAlive.
func (s *SSH) keepalive(c *sshConn) {
	t := time.NewTicker(s.cfg.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		replied := make(chan error, 1)
		go func() {
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			replied <- err
		}()
		timeout := time.NewTimer(s.cfg.KeepAlive)
		select {
		case err := <-replied:
			timeout.Stop()
			if err != nil {
				c.end(fmt.Errorf("keepalive failed: %w", err))
				return
			}
		case <-timeout.C:
			c.end(fmt.Errorf("no keepalive answer within %v", s.cfg.KeepAlive))
			return
		case <-c.done:
			timeout.Stop()
			return
		}
	}
}

// shellQuote quotes s as one word for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// pgidMarker starts the line with which the remote command announces its
// process group (sshd makes each session's process its own session and
// group leader), so that a cancelled Run can kill the script and its
// children. The line is removed from Result.Stderr.
const pgidMarker = "@fundament-pgid="

// command is what the login shell on the host is asked to run: the same
// for every script (which follows on standard input, see Shell), so that
// no script or secret is on a command line of the host, nor in what sudo
// runs and logs.
func (s *SSH) command() string {
	if s.cfg.User == "root" {
		return rootCommand
	}
	return sudoCommand
}

const (
	announce    = "echo " + pgidMarker + "$$ >&2; "
	rootCommand = announce + "exec " + Shell
	sudoCommand = announce + "exec sudo -n " + Shell
)

// session opens a session, dialling again once if the connection turns
// out to be dead.
func (s *SSH) session(ctx context.Context) (*sshConn, *ssh.Session, error) {
	c, dialled, err := s.conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	sess, err := s.newSession(ctx, c)
	if err == nil || ctx.Err() != nil || dialled || !isConnectionError(err) {
		return c, sess, err
	}
	// The connection died since the last Run: dial again, once.
	s.drop(c, err)
	if c, _, err = s.conn(ctx); err != nil {
		return nil, nil, err
	}
	sess, err = s.newSession(ctx, c)
	return c, sess, err
}

// isConnectionError tells a failure of the connection from a session the
// server refused.
func isConnectionError(err error) bool {
	var oce *ssh.OpenChannelError
	return !errors.As(err, &oce)
}

// newSession opens a session on c. A server at its MaxSessions refuses
// the channel (OpenSSH says "open failed"): that is retried for a while.
// It happens even below our own limit, as the server frees a session a
// little after the client saw it end.
func (s *SSH) newSession(ctx context.Context, c *sshConn) (*ssh.Session, error) {
	backoff := 20 * time.Millisecond
	for attempt := 0; ; attempt++ {
		type opened struct {
			sess *ssh.Session
			err  error
		}
		ch := make(chan opened, 1)
		go func() {
			sess, err := c.client.NewSession()
			ch <- opened{sess, err}
		}()
		var o opened
		select {
		case o = <-ch:
		case <-ctx.Done():
			go func() {
				if o := <-ch; o.sess != nil {
					o.sess.Close()
				}
			}()
			return nil, ctx.Err()
		}
		var oce *ssh.OpenChannelError
		if o.err == nil || !errors.As(o.err, &oce) {
			if o.err != nil {
				return nil, fmt.Errorf("host %s: opening a session: %w", s.cfg.Host, o.err)
			}
			return o.sess, nil
		}
		if attempt == 8 || oce.Reason == ssh.UnknownChannelType {
			return nil, fmt.Errorf("host %s refused a session: %w", s.cfg.Host, o.err)
		}
		s.refusals.Add(1)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		backoff = min(2*backoff, 500*time.Millisecond)
	}
}

// Run executes script with /bin/sh on the host, as root (through
// `sudo -n` for other login users), with stdin (may be nil) as its
// standard input. The script travels on standard input too, ahead of
// stdin (see Shell): the command line is the same for every script. A non-zero exit status is Result.ExitCode (128+n for a
// script killed by signal n); errors are for failing to run at all:
// *UnreachableError, *AuthError, *HostKeyMismatchError when dialling
// again failed, an error when the connection dropped during the run or
// sudo refused, and ctx.Err() when the context ended. Then Run returns at
// once with the output so far, and kills the script in the background:
// a KILL signal request (which OpenSSH refuses for root logins), closing
// the session, and `kill -KILL -PGID` of the script's process group in
// a second session.
func (s *SSH) Run(ctx context.Context, script string, stdin io.Reader) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	framed, err := frame(script)
	if err != nil {
		return Result{}, fmt.Errorf("host %s: %w", s.cfg.Host, err)
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	defer func() { <-s.sem }()

	c, sess, err := s.session(ctx)
	if err != nil {
		return Result{}, err
	}
	var stdout lockedBuffer
	stderr := newStderrWriter()
	ready := newReadyWriter(stderr)
	sess.Stdout, sess.Stderr = &stdout, ready
	// Feed stdin ourselves: a script that exits without reading all of it
	// is not an error (the session would report the failed write).
	pipe, err := sess.StdinPipe()
	if err != nil {
		sess.Close()
		return Result{}, fmt.Errorf("host %s: %w", s.cfg.Host, err)
	}
	result := func() Result {
		ready.flush()
		return Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	}

	var started atomic.Bool
	done := make(chan error, 1)
	ended := make(chan struct{})
	go func() {
		if err := sess.Start(s.command()); err != nil {
			done <- err
			return
		}
		started.Store(true)
		go feed(pipe, framed, stdin, ready.ready, ended)
		err := sess.Wait()
		close(ended)
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		sess.Signal(ssh.SIGKILL)
		sess.Close()
		go s.killGroup(c, stderr, done)
		return result(), ctx.Err()
	}
	sess.Close()
	res := result()

	var exit *ssh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitStatus()
	case !started.Load():
		return res, fmt.Errorf("host %s: starting the script: %w", s.cfg.Host, err)
	default:
		// No exit status: usually the connection went away mid-run. Give
		// the connection's watcher a moment to notice, for a better message.
		select {
		case <-c.done:
		case <-time.After(100 * time.Millisecond):
		}
		if !c.alive() {
			return res, fmt.Errorf("host %s: connection lost while the script ran (it may have partly run): %v", s.cfg.Host, c.reason())
		}
		return res, fmt.Errorf("host %s: %w", s.cfg.Host, err)
	}
	if err := s.sudoFailure(res); err != nil {
		return res, err
	}
	return res, nil
}

// killGroup kills the process group of a cancelled Run's script, once the
// script announced it, in a session of its own (OpenSSH neither delivers
// signals to root sessions nor kills a session's processes when it is
// closed). done says the session ended before it did.
func (s *SSH) killGroup(c *sshConn, stderr *stderrWriter, done <-chan error) {
	select {
	case <-stderr.seen:
	case <-done:
		// Ended (or never started) before announcing its group.
		if stderr.pgid() == 0 {
			return
		}
	case <-time.After(5 * time.Second):
		return
	}
	pgid := stderr.pgid()
	if pgid <= 1 || !c.alive() {
		return // never kill -1 (everything) or 0 (ourselves)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := s.newSession(ctx, c)
	if err != nil {
		return
	}
	defer sess.Close()
	stop := context.AfterFunc(ctx, func() { sess.Close() })
	defer stop()
	framed, _ := frame(fmt.Sprintf("kill -KILL -%d 2>/dev/null", pgid))
	sess.Stdin = strings.NewReader(framed)
	sess.Run(s.command())
}

// sudoFailure recognizes sudo refusing to run the script.
func (s *SSH) sudoFailure(res Result) error {
	if s.cfg.User == "root" {
		return nil
	}
	msg := strings.TrimSpace(string(res.Stderr))
	switch {
	case res.ExitCode == 127 && (strings.Contains(msg, "sudo: not found") || strings.Contains(msg, "sudo: command not found")):
		return fmt.Errorf("host %s: sudo is not installed, and user %s needs it to run scripts as root (or log in as root)", s.cfg.Host, s.cfg.User)
	case res.ExitCode == 1 && len(res.Stdout) == 0 && strings.HasPrefix(msg, "sudo: ") &&
		(strings.Contains(msg, "password is required") || strings.Contains(msg, "terminal is required") ||
			strings.Contains(msg, "not in the sudoers") || strings.Contains(msg, "not allowed to") ||
			strings.Contains(msg, "may not run sudo")):
		return fmt.Errorf("host %s: user %s cannot run scripts as root without a password (sudo -n said %q): give it passwordless sudo (NOPASSWD) or log in as root",
			s.cfg.Host, s.cfg.User, msg)
	}
	return nil
}

// stderrWriter collects a script's standard error, taking out the line
// that announces its process group.
type stderrWriter struct {
	mu      sync.Mutex
	out     bytes.Buffer
	pending []byte // bytes seen before the announcement
	group   int
	found   bool
	seen    chan struct{} // closed once the announcement was seen
}

func newStderrWriter() *stderrWriter { return &stderrWriter{seen: make(chan struct{})} }

func (w *stderrWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.found {
		return w.out.Write(p)
	}
	w.pending = append(w.pending, p...)
	if i := bytes.Index(w.pending, []byte(pgidMarker)); i >= 0 {
		if n := bytes.IndexByte(w.pending[i:], '\n'); n >= 0 {
			w.group, _ = strconv.Atoi(string(w.pending[i+len(pgidMarker) : i+n]))
			w.out.Write(w.pending[:i])
			w.out.Write(w.pending[i+n+1:])
			w.pending, w.found = nil, true
			close(w.seen)
		}
	} else if len(w.pending) > 64<<10 {
		// No announcement (an odd login shell?): pass everything on.
		w.out.Write(w.pending)
		w.pending, w.found = nil, true
	}
	return len(p), nil
}

func (w *stderrWriter) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append(bytes.Clone(w.out.Bytes()), w.pending...)
}

func (w *stderrWriter) pgid() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.group
}

// lockedBuffer is a bytes.Buffer that a Run abandoned by its context can
// read while the session still writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}
