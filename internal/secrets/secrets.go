package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/fundament-cloud/fundament/internal/model"
)

const (
	// DirName is the directory inside the repository holding the secrets.
	DirName = "secrets"
	// RecipientsFileName is the file (inside DirName) listing the age public keys.
	RecipientsFileName = "recipients.txt"
	// FileExt is the extension of encrypted secret files.
	FileExt = ".age"
	// IdentityEnv is the environment variable naming the identity file.
	IdentityEnv = "FUNDAMENT_AGE_IDENTITY"

	// maxSecretSize bounds how much plaintext Get will return.
	maxSecretSize = 1 << 20
)

var (
	// ErrNoIdentity is wrapped by errors caused by a missing identity file.
	ErrNoIdentity = errors.New("no age identity")
	// ErrIdentityMismatch is wrapped by errors caused by an identity whose key
	// is not a recipient of a secret (or not listed in recipients.txt).
	ErrIdentityMismatch = errors.New("age identity does not match any recipient")
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,127}$`)

// cloudNameRE restricts cloud names used to build the default identity path.
var cloudNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// ValidateName reports whether name is a valid secret name:
// ^[a-z0-9][a-z0-9_.-]{0,127}$.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid secret name %q: must match %s", name, nameRE.String())
	}
	return nil
}

// Options configures Open.
type Options struct {
	// RepoDir is the configuration repository (must exist).
	RepoDir string
	// CloudName names the cloud; used for the default identity path.
	CloudName string
	// IdentityFile, if set, is the age identity path (overrides
	// FUNDAMENT_AGE_IDENTITY and the default location).
	IdentityFile string
}

// Store gives access to the encrypted secrets of one repository.
type Store struct {
	repoDir      string // absolute, cleaned
	dir          string // <repoDir>/secrets
	cloudName    string
	identityPath string // absolute, cleaned

	mu sync.Mutex // serializes Generate
}

// Open returns a Store for opts.RepoDir. It resolves the identity path and
// refuses one inside the repository, but does not require the identity (or
// the secrets directory) to exist yet.
func Open(opts Options) (*Store, error) {
	if opts.RepoDir == "" {
		return nil, errors.New("secrets: repository directory is not set")
	}
	repoDir, err := filepath.Abs(opts.RepoDir)
	if err != nil {
		return nil, fmt.Errorf("secrets: repository directory: %w", err)
	}
	fi, err := os.Stat(repoDir)
	if err != nil {
		return nil, fmt.Errorf("secrets: repository directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("secrets: repository path %s is not a directory", repoDir)
	}
	idPath, err := resolveIdentityPath(opts)
	if err != nil {
		return nil, err
	}
	s := &Store{
		repoDir:      repoDir,
		dir:          filepath.Join(repoDir, DirName),
		cloudName:    opts.CloudName,
		identityPath: idPath,
	}
	if err := s.checkIdentityOutsideRepo(); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return s, nil
}

// IdentityPath returns the absolute path of the age identity file used by
// the store (it may not exist yet).
func (s *Store) IdentityPath() string { return s.identityPath }

// RecipientsPath returns the path of secrets/recipients.txt.
func (s *Store) RecipientsPath() string { return filepath.Join(s.dir, RecipientsFileName) }

// SecretPath returns the path of the encrypted file of the named secret.
// The name is not validated.
func (s *Store) SecretPath(name string) string { return filepath.Join(s.dir, name+FileExt) }

// readRepoFile reads a file of the store's directory without leaving the
// repository (a secret linked to a file outside it, an identity say, is
// refused, and nothing of it ends in an error message).
func (s *Store) readRepoFile(path string) ([]byte, error) {
	rel, err := filepath.Rel(s.repoDir, path)
	if err != nil {
		return nil, err
	}
	return model.ReadRepoFile(s.repoDir, filepath.ToSlash(rel))
}

// List returns the sorted names of the secrets present in the repository.
// It does not decrypt anything and does not need the identity. A missing
// secrets directory yields an empty list.
func (s *Store) List() ([]string, error) { return listDir(s.dir) }

// List is Store.List for the repository at repoDir, without opening a
// store: which secrets exist is known from the files' names alone, no
// identity needed.
func List(repoDir string) ([]string, error) { return listDir(filepath.Join(repoDir, DirName)) }

func listDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return []string{}, nil
		}
		return nil, fmt.Errorf("secrets: listing %s: %w", dir, err)
	}
	names := []string{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		n, ok := strings.CutSuffix(e.Name(), FileExt)
		if !ok || !nameRE.MatchString(n) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// Get decrypts and returns the named secret. Errors name the secret file and
// say whether the identity is missing ([ErrNoIdentity]) or does not match any
// recipient of the file ([ErrIdentityMismatch]). A secret that does not exist
// yields an error wrapping [fs.ErrNotExist].
func (s *Store) Get(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", fmt.Errorf("secrets: %w", err)
	}
	path := s.SecretPath(name)
	data, err := s.readRepoFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("secrets: secret %q not found: %s does not exist (run generate first): %w", name, path, fs.ErrNotExist)
		}
		return "", fmt.Errorf("secrets: reading %s: %w", path, err)
	}
	id, err := s.loadIdentity()
	if err != nil {
		return "", fmt.Errorf("secrets: cannot decrypt %s: %w", path, err)
	}
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(data)), id.ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			hint := ""
			if recips, rerr := s.readRecipients(); rerr == nil && !id.listedIn(recips) {
				hint = "; it is not listed in " + s.RecipientsPath() + " either"
			}
			return "", fmt.Errorf("secrets: cannot decrypt %s: the age identity %s (public key %s) does not match any recipient of this file%s: %w",
				path, s.identityPath, id.describeKeys(), hint, ErrIdentityMismatch)
		}
		return "", fmt.Errorf("secrets: cannot decrypt %s: %v", path, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxSecretSize+1))
	if err != nil {
		return "", fmt.Errorf("secrets: cannot decrypt %s: %v", path, err)
	}
	if len(plain) > maxSecretSize {
		return "", fmt.Errorf("secrets: %s decrypts to more than %d bytes", path, maxSecretSize)
	}
	return string(plain), nil
}

// Generate creates the identity if none exists (and writes recipients.txt
// with its public key), then creates every secret in specs that does not
// exist yet. Existing secrets are never overwritten unless rotate contains
// their name, with one exception: a Certificate that CertificateProblem
// finds wrong (its names, key or issuer changed, or it expires soon) is
// issued anew and reported as rotated. Every name in rotate must appear in
// specs. All specs and rotate names are validated before anything is
// written. Specs are generated in order, so a certificate comes after the
// keys and the CA certificate it is issued from.
//
// created lists the secrets newly written (including rotate names that did
// not exist yet), rotated the existing secrets that were replaced, both in
// spec order. On error they report what was written before the failure.
func (s *Store) Generate(specs []Spec, rotate []string) (created, rotated []string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	norm := make([]Spec, 0, len(specs))
	seen := make(map[string]bool, len(specs))
	for _, sp := range specs {
		n, err := sp.normalize()
		if err != nil {
			return nil, nil, fmt.Errorf("secrets: %w", err)
		}
		if seen[n.Name] {
			return nil, nil, fmt.Errorf("secrets: secret %q specified more than once", n.Name)
		}
		seen[n.Name] = true
		norm = append(norm, n)
	}
	rot := make(map[string]bool, len(rotate))
	for _, name := range rotate {
		if err := ValidateName(name); err != nil {
			return nil, nil, fmt.Errorf("secrets: rotate: %w", err)
		}
		if !seen[name] {
			return nil, nil, fmt.Errorf("secrets: cannot rotate %q: no spec with that name", name)
		}
		rot[name] = true
	}

	recips, err := s.prepare()
	if err != nil {
		return nil, nil, err
	}

	var present []string
	if ring := slices.ContainsFunc(norm, func(sp Spec) bool { return sp.Ring != "" }); ring {
		if present, err = s.List(); err != nil {
			return created, rotated, err
		}
	}
	for _, sp := range norm {
		path := s.SecretPath(sp.Name)
		exists, err := regularFileExists(path)
		if err != nil {
			return created, rotated, fmt.Errorf("secrets: %w", err)
		}
		if !exists && !rot[sp.Name] && sp.Ring != "" && Satisfied(sp, present) {
			continue // the ring was rotated past this member
		}
		if exists && !rot[sp.Name] {
			if sp.Kind != Certificate {
				continue
			}
			// A certificate follows its spec and the secrets it is issued
			// from: it is issued anew when they changed or it expires soon.
			problem, err := CertificateProblem(sp, s.Get, now())
			if err != nil {
				return created, rotated, fmt.Errorf("secrets: checking %q: %w", sp.Name, err)
			}
			if problem == "" {
				continue
			}
		}
		value, err := generateValue(sp, s.Get)
		if err != nil {
			return created, rotated, fmt.Errorf("secrets: generating %q: %w", sp.Name, err)
		}
		ct, err := encrypt(value, recips)
		if err != nil {
			return created, rotated, fmt.Errorf("secrets: encrypting %q: %w", sp.Name, err)
		}
		if err := WriteFileAtomic(path, ct, 0o644); err != nil {
			return created, rotated, fmt.Errorf("secrets: writing %s: %w", path, err)
		}
		if exists {
			rotated = append(rotated, sp.Name)
		} else {
			created = append(created, sp.Name)
		}
	}
	return created, rotated, nil
}

// prepare makes sure an identity and recipients.txt exist and are
// consistent, and returns the recipients to encrypt to.
func (s *Store) prepare() ([]age.Recipient, error) {
	recips, rerr := s.readRecipients()
	recipsMissing := errors.Is(rerr, fs.ErrNotExist)
	if rerr != nil && !recipsMissing {
		return nil, rerr
	}

	id, err := s.loadIdentity()
	switch {
	case errors.Is(err, ErrNoIdentity):
		if !recipsMissing {
			return nil, fmt.Errorf("secrets: %s exists but there is no age identity at %s: install the cloud's existing identity there (or point %s / the identity option at it); to add a new operator, have a key holder add your public key to %s and re-encrypt: %w",
				s.RecipientsPath(), s.identityPath, IdentityEnv, RecipientsFileName, ErrNoIdentity)
		}
		names, lerr := s.List()
		if lerr != nil {
			return nil, lerr
		}
		if len(names) > 0 {
			return nil, fmt.Errorf("secrets: %s already contains %d encrypted secret(s) but there is no age identity at %s: install the identity they were encrypted to instead of generating a new one: %w",
				s.dir, len(names), s.identityPath, ErrNoIdentity)
		}
		id, err = s.createIdentity()
		if err != nil {
			return nil, fmt.Errorf("secrets: %w", err)
		}
		if err := s.writeRecipients(id.pubkeys); err != nil {
			return nil, err
		}
		return toRecipients(id.recipients), nil
	case err != nil:
		return nil, fmt.Errorf("secrets: %w", err)
	}

	if recipsMissing {
		if len(id.pubkeys) == 0 {
			return nil, fmt.Errorf("secrets: age identity %s contains no X25519 key to derive %s from", s.identityPath, s.RecipientsPath())
		}
		if err := s.writeRecipients(id.pubkeys); err != nil {
			return nil, err
		}
		return toRecipients(id.recipients), nil
	}
	if !id.listedIn(recips) {
		return nil, fmt.Errorf("secrets: the age identity %s (public key %s) is not listed in %s, so secrets generated now could not be decrypted with it; add the public key there or use the right identity: %w",
			s.identityPath, id.describeKeys(), s.RecipientsPath(), ErrIdentityMismatch)
	}
	return toRecipients(recips), nil
}

func toRecipients(rs []*age.X25519Recipient) []age.Recipient {
	out := make([]age.Recipient, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

// readRecipients parses secrets/recipients.txt. A missing file yields an
// error wrapping fs.ErrNotExist.
func (s *Store) readRecipients() ([]*age.X25519Recipient, error) {
	path := s.RecipientsPath()
	data, err := s.readRepoFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: reading recipients: %w", err)
	}
	var out []*age.X25519Recipient
	seen := map[string]bool{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// Never echo the line: it might be a private key pasted by mistake.
		if strings.HasPrefix(strings.ToUpper(line), "AGE-SECRET-KEY-") {
			return nil, fmt.Errorf("secrets: %s line %d contains an age PRIVATE key: remove it, purge it from git history and rotate the key", path, i+1)
		}
		r, err := age.ParseX25519Recipient(line)
		if err != nil {
			return nil, fmt.Errorf("secrets: %s line %d is not an age X25519 public key (age1...)", path, i+1)
		}
		if k := r.String(); !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("secrets: %s lists no recipients", path)
	}
	return out, nil
}

func (s *Store) writeRecipients(pubkeys []string) error {
	var b strings.Builder
	b.WriteString("# age X25519 public keys (recipients) of the Fundament secrets in this directory, one per line.\n")
	b.WriteString("# Every secrets/<name>.age file is encrypted to all keys listed here.\n")
	b.WriteString("# Only public keys belong here; the private keys (identities) must never be committed.\n")
	for _, k := range pubkeys {
		b.WriteString(k)
		b.WriteByte('\n')
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	if err := WriteFileAtomic(s.RecipientsPath(), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("secrets: writing %s: %w", s.RecipientsPath(), err)
	}
	return nil
}

// encrypt encrypts value in memory to recips and returns armored ciphertext.
func encrypt(value string, recips []age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, recips...)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, value); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func regularFileExists(path string) (bool, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("%s exists but is not a regular file", path)
	}
	return true, nil
}

// WriteFileAtomic writes data to path via a temporary file in the same
// directory (created 0600, so not readable by others before perm is set)
// and a rename, synced.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if runtime.GOOS != "windows" {
		if err = f.Chmod(perm); err != nil {
			return err
		}
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable where the platform supports it (best effort).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
