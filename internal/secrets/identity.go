package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"filippo.io/age"
)

const maxIdentitySize = 1 << 20

// resolveIdentityPath applies the lookup order: Options.IdentityFile,
// $FUNDAMENT_AGE_IDENTITY, $XDG_CONFIG_HOME/fundament/<cloud>.agekey
// (fallback ~/.config/fundament/<cloud>.agekey).
func resolveIdentityPath(opts Options) (string, error) {
	var p string
	switch {
	case opts.IdentityFile != "":
		p = opts.IdentityFile
	case os.Getenv(IdentityEnv) != "":
		p = os.Getenv(IdentityEnv)
	default:
		if !cloudNameRE.MatchString(opts.CloudName) {
			if opts.CloudName == "" {
				return "", fmt.Errorf("secrets: cloud name is not set, so the default identity path cannot be derived (set it, %s, or the identity file option)", IdentityEnv)
			}
			return "", fmt.Errorf("secrets: cloud name %q cannot be used in the default identity file name: must match %s", opts.CloudName, cloudNameRE.String())
		}
		base := os.Getenv("XDG_CONFIG_HOME")
		if base == "" || !filepath.IsAbs(base) {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("secrets: cannot determine the default identity location: %w", err)
			}
			base = filepath.Join(home, ".config")
		}
		p = filepath.Join(base, "fundament", opts.CloudName+".agekey")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("secrets: identity path %s: %w", p, err)
	}
	return abs, nil
}

// checkIdentityOutsideRepo refuses an identity path inside the repository.
func (s *Store) checkIdentityOutsideRepo() error {
	inside, err := InsideRepo(s.repoDir, s.identityPath)
	if err != nil {
		return fmt.Errorf("resolving identity path %s: %w", s.identityPath, err)
	}
	if inside {
		return fmt.Errorf("refusing age identity path %s: it lies inside the repository %s; the private key must be kept outside the repository (default: $XDG_CONFIG_HOME/fundament/<cloud>.agekey)", s.identityPath, s.repoDir)
	}
	return nil
}

// InsideRepo says whether path (absolute, existing or not) lies inside
// the repository at repoDir (absolute), comparing both the lexical paths
// and the symlink-resolved ones: a key or password written there would
// end up in version control.
func InsideRepo(repoDir, path string) (bool, error) {
	if isWithin(repoDir, path) {
		return true, nil
	}
	repoReal, err := resolvePartial(repoDir, 0)
	if err != nil {
		return false, err
	}
	real, err := resolvePartial(path, 0)
	if err != nil {
		return false, err
	}
	return isWithin(repoReal, real), nil
}

// isWithin reports whether path equals dir or lies below it.
func isWithin(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

// resolvePartial resolves symlinks in an absolute path whose trailing
// components may not exist yet, by resolving its deepest existing ancestor.
// Dangling symlinks are followed through their target.
func resolvePartial(p string, depth int) (string, error) {
	if depth > 40 {
		return "", errors.New("too many levels of symbolic links")
	}
	var rest []string
	cur := p
	for {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(append([]string{r}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if fi, lerr := os.Lstat(cur); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(cur)
			if err != nil {
				return "", err
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(cur), target)
			}
			return resolvePartial(filepath.Join(append([]string{target}, rest...)...), depth+1)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p, nil
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
		cur = parent
	}
}

// identity is a parsed identity file.
type identity struct {
	ids        []age.Identity
	recipients []*age.X25519Recipient // public keys of the X25519 identities
	pubkeys    []string
}

func (id *identity) listedIn(recips []*age.X25519Recipient) bool {
	for _, r := range recips {
		for _, k := range id.pubkeys {
			if r.String() == k {
				return true
			}
		}
	}
	return false
}

func (id *identity) describeKeys() string {
	if len(id.pubkeys) == 0 {
		return "(no X25519 key)"
	}
	return strings.Join(id.pubkeys, ", ")
}

func newIdentity(ids []age.Identity) *identity {
	id := &identity{ids: ids}
	for _, i := range ids {
		if x, ok := i.(*age.X25519Identity); ok {
			r := x.Recipient()
			id.recipients = append(id.recipients, r)
			id.pubkeys = append(id.pubkeys, r.String())
		}
	}
	return id
}

// loadIdentity reads and parses the identity file. A missing file yields an
// error wrapping ErrNoIdentity. Files accessible by group or others are
// refused.
func (s *Store) loadIdentity() (*identity, error) {
	if err := s.checkIdentityOutsideRepo(); err != nil {
		return nil, err
	}
	path := s.identityPath
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no age identity at %s (set %s or the identity file option to the cloud's key): %w", path, IdentityEnv, ErrNoIdentity)
		}
		return nil, fmt.Errorf("opening age identity: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("age identity: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("age identity %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("age identity %s has permissions %04o, which are too open: a private key must not be accessible by group or others; fix it with: chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxIdentitySize+1))
	if err != nil {
		return nil, fmt.Errorf("reading age identity %s: %w", path, err)
	}
	if len(data) > maxIdentitySize {
		return nil, fmt.Errorf("age identity %s is too large", path)
	}
	// age's parse errors never include key material.
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parsing age identity %s: %v", path, err)
	}
	return newIdentity(ids), nil
}

// createIdentity generates a new X25519 identity and writes it to the
// identity path (mode 0600, missing parent directories 0700). It never
// overwrites an existing file.
func (s *Store) createIdentity() (_ *identity, err error) {
	if err := s.checkIdentityOutsideRepo(); err != nil {
		return nil, err
	}
	path := s.identityPath
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating identity directory: %w", err)
	}
	k, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("generating age identity: %w", err)
	}
	pub := k.Recipient().String()
	var b strings.Builder
	if s.cloudName != "" {
		fmt.Fprintf(&b, "# Fundament age identity (private key) for the secrets of cloud %q.\n", s.cloudName)
	} else {
		b.WriteString("# Fundament age identity (private key) for the secrets of a cloud.\n")
	}
	b.WriteString("# Keep it OUTSIDE the configuration repository and back it up securely:\n")
	b.WriteString("# without it the encrypted secrets in the repository cannot be decrypted.\n")
	fmt.Fprintf(&b, "# created: %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "# public key: %s\n", pub)
	b.WriteString(k.String())
	b.WriteByte('\n')

	// O_EXCL: never clobber an existing key (and do not follow a symlink).
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating age identity: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path)
		}
	}()
	if runtime.GOOS != "windows" {
		if err = f.Chmod(0o600); err != nil {
			return nil, fmt.Errorf("creating age identity: %w", err)
		}
	}
	if _, err = io.WriteString(f, b.String()); err != nil {
		return nil, fmt.Errorf("writing age identity %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return nil, fmt.Errorf("writing age identity %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return nil, fmt.Errorf("writing age identity %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return newIdentity([]age.Identity{k}), nil
}
