// Package transport runs shell scripts on hosts: over SSH, or on this
// machine. Everything the engine does to a host is a POSIX sh script with
// optional standard input, so a transport needs only one operation.
package transport

import (
	"context"
	"fmt"
	"io"
)

// Result is what a script produced.
type Result struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// Transport runs scripts on one host. Implementations are safe for
// concurrent use and reuse one connection for every call.
type Transport interface {
	// Run executes script with /bin/sh (as root: through sudo when the
	// login user is not root), feeding stdin (may be nil). The script
	// never appears on a command line of the host: it travels on standard
	// input ahead of stdin (see Shell). A non-zero exit
	// is reported in Result.ExitCode, not as an error; err is for failures
	// to run at all (connection lost, host unreachable, context ended).
	Run(ctx context.Context, script string, stdin io.Reader) (Result, error)
	// Host names the host for messages.
	Host() string
	Close() error
}

// UnreachableError says a host could not be reached at all: the engine
// reports it as "host down" and skips the host's work.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("host %s unreachable: %v", e.Host, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// HostKeyStore remembers SSH host keys recorded for hosts that no pin or
// known_hosts file covers: keys the lab made, and keys trusted on first
// use (SSHConfig.TrustNewHostKeys). Package state implements it in SQLite.
type HostKeyStore interface {
	// Lookup returns the recorded key (in authorized_keys format) for host.
	Lookup(host string) (key string, ok bool, err error)
	// Record stores the key of a host that has none recorded.
	Record(host, key string) error
}
