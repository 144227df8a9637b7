package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Set stores value as the named secret, encrypted to the recipients of
// recipients.txt, replacing the secret if it exists. It is for values
// Fundament derives rather than draws (a Keystone key promoted from
// staged to primary keeps its value under a new name); Generate draws
// new ones. Like Generate, it creates the identity and recipients.txt on
// a repository that has neither.
func (s *Store) Set(name, value string) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	if len(value) > maxSecretSize {
		return fmt.Errorf("secrets: secret %q is larger than %d bytes", name, maxSecretSize)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recips, err := s.prepare()
	if err != nil {
		return err
	}
	ct, err := encrypt(value, recips)
	if err != nil {
		return fmt.Errorf("secrets: encrypting %q: %w", name, err)
	}
	path := s.SecretPath(name)
	if _, err := regularFileExists(path); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	if err := WriteFileAtomic(path, ct, 0o644); err != nil {
		return fmt.Errorf("secrets: writing %s: %w", path, err)
	}
	return nil
}

// Delete removes the named secret's file. A secret that does not exist is
// no error: deleting is idempotent, so an interrupted rotation can be run
// again.
func (s *Store) Delete(name string) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	path := s.SecretPath(name)
	if _, err := regularFileExists(path); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("secrets: removing %s: %w", path, err)
	}
	syncDir(s.dir)
	return nil
}
