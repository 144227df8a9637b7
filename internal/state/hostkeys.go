package state

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fundament-cloud/fundament/internal/transport"
)

// HostKey is a recorded SSH host key.
type HostKey struct {
	Host      string    `json:"host"`
	Key       string    `json:"key"` // authorized_keys format
	FirstSeen time.Time `json:"first_seen"`
}

// HostKeyConflictError says Record was given a key for a host that already
// has another one recorded: the first key seen wins.
type HostKeyConflictError struct {
	Host, Recorded, Offered string
}

func (e *HostKeyConflictError) Error() string {
	return fmt.Sprintf("host %s already has a recorded host key (%s), not recording %s; "+
		"if the host's keys changed on purpose, run `fundament hostkeys forget %s` first",
		e.Host, e.Recorded, e.Offered, e.Host)
}

// HostKeys returns the database as a transport.HostKeyStore: the keys of
// hosts that no pin or known_hosts file covers, recorded by the lab or by
// --trust-new-host-keys; the first key recorded for a host wins.
func (db *DB) HostKeys() transport.HostKeyStore { return hostKeys{db} }

type hostKeys struct{ db *DB }

// normKey keeps the type and the key of an authorized_keys line, without
// its comment, so that the same key always compares equal.
func normKey(key string) string {
	f := strings.Fields(key)
	if len(f) >= 2 {
		return f[0] + " " + f[1]
	}
	return strings.TrimSpace(key)
}

func (h hostKeys) Lookup(host string) (string, bool, error) {
	var key string
	err := h.db.sql.QueryRow(`SELECT key FROM host_keys WHERE host = ?`, host).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("state: looking up the host key of %s: %w", host, err)
	}
	return key, true, nil
}

// Record stores key for host if it has none; recording the same key again
// is a no-op, another key is a *HostKeyConflictError.
func (h hostKeys) Record(host, key string) error {
	key = normKey(key)
	if host == "" || key == "" {
		return fmt.Errorf("state: recording a host key needs a host and a key (got %q, %q)", host, key)
	}
	err := h.db.write(func(tx *sql.Tx) error {
		var rec string
		err := tx.QueryRow(`SELECT key FROM host_keys WHERE host = ?`, host).Scan(&rec)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.Exec(`INSERT INTO host_keys (host, key, first_seen) VALUES (?, ?, ?)`, host, key, fmtTime(time.Now()))
			return err
		case err != nil:
			return err
		case normKey(rec) == key:
			return nil
		default:
			return &HostKeyConflictError{Host: host, Recorded: rec, Offered: key}
		}
	})
	var ce *HostKeyConflictError
	if err != nil && !errors.As(err, &ce) {
		return fmt.Errorf("state: recording the host key of %s: %w", host, err)
	}
	return err
}

// ForgetHostKey drops the recorded key of host, so that the next
// connection with --trust-new-host-keys records the key the host offers.
// Forgetting a host without a key is not an error.
func (db *DB) ForgetHostKey(host string) error {
	if _, err := db.sql.Exec(`DELETE FROM host_keys WHERE host = ?`, host); err != nil {
		return fmt.Errorf("state: forgetting the host key of %s: %w", host, err)
	}
	return nil
}

// ListHostKeys lists the recorded host keys by host.
func (db *DB) ListHostKeys() ([]HostKey, error) {
	rows, err := db.sql.Query(`SELECT host, key, first_seen FROM host_keys ORDER BY host`)
	if err != nil {
		return nil, fmt.Errorf("state: listing host keys: %w", err)
	}
	defer rows.Close()
	var out []HostKey
	for rows.Next() {
		var (
			k    HostKey
			seen sql.NullString
		)
		if err := rows.Scan(&k.Host, &k.Key, &seen); err != nil {
			return nil, fmt.Errorf("state: listing host keys: %w", err)
		}
		if k.FirstSeen, err = parseTime(seen); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: listing host keys: %w", err)
	}
	return out, nil
}
