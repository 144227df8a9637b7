package state

import (
	"database/sql"
	"fmt"
	"time"
)

// SetApplied records that the desired state with digest desiredHash
// (resource.State.Hash) of resource (resource.ID.String) on host was
// applied successfully by run runID ("" for none; else the run must
// exist). It replaces what was recorded before.
func (db *DB) SetApplied(host, resource, desiredHash, runID string) error {
	if err := db.write(func(tx *sql.Tx) error { return setApplied(tx, host, resource, desiredHash, runID) }); err != nil {
		return fmt.Errorf("state: recording %s on %s as applied: %w", resource, host, err)
	}
	return nil
}

func setApplied(tx *sql.Tx, host, resource, desiredHash, runID string) error {
	var run any
	if runID != "" {
		run = runID
	}
	_, err := tx.Exec(`INSERT INTO applied (host, resource, desired_hash, run_id, applied_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (host, resource) DO UPDATE SET desired_hash = excluded.desired_hash, run_id = excluded.run_id, applied_at = excluded.applied_at`,
		host, resource, desiredHash, run, fmtTime(time.Now()))
	return err
}

// ForgetApplied drops the record of resource on host (after deleting the
// resource, or to force it to be applied again). Forgetting what is not
// recorded is not an error.
func (db *DB) ForgetApplied(host, resource string) error {
	if _, err := db.sql.Exec(`DELETE FROM applied WHERE host = ? AND resource = ?`, host, resource); err != nil {
		return fmt.Errorf("state: forgetting %s on %s: %w", resource, host, err)
	}
	return nil
}

// Applied returns, for one host, the digest of the desired state last
// applied per resource.
func (db *DB) Applied(host string) (map[string]string, error) {
	rows, err := db.sql.Query(`SELECT resource, desired_hash FROM applied WHERE host = ?`, host)
	if err != nil {
		return nil, fmt.Errorf("state: reading what was applied on %s: %w", host, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var res, hash string
		if err := rows.Scan(&res, &hash); err != nil {
			return nil, fmt.Errorf("state: reading what was applied on %s: %w", host, err)
		}
		out[res] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state: reading what was applied on %s: %w", host, err)
	}
	return out, nil
}
