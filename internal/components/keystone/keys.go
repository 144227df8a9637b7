package keystone

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/secrets"
)

// KeyRepo is one of Keystone's key repositories, kept as secrets of the
// configuration repository (one secret per key, named after the key's
// index) and written identically to every Keystone host. Generating the
// keys once and distributing them is what keeps tokens and credentials
// readable on every host: keystone-manage fernet_setup on each host
// would give each its own keys.
type KeyRepo struct {
	// Name is what `fundament openstack rotate-keys` calls it.
	Name string
	// Prefix of the secrets: Prefix+"0" is the staged key.
	Prefix string
	// Dir is the repository on the hosts.
	Dir string
	// MaxActive is how many keys the repository keeps: Keystone's
	// [fernet_tokens] max_active_keys for tokens, and the constant
	// MAX_ACTIVE_KEYS of its credential provider for credentials.
	MaxActive int
}

var (
	// FernetKeys encrypt tokens (and receipts).
	FernetKeys = KeyRepo{Name: "fernet", Prefix: "keystone-fernet-", Dir: "/etc/keystone/fernet-keys", MaxActive: 3}
	// CredentialKeys encrypt the credentials users store in Keystone.
	CredentialKeys = KeyRepo{Name: "credential", Prefix: "keystone-credential-", Dir: "/etc/keystone/credential-keys", MaxActive: 3}
)

// KeyRepos lists the repositories.
var KeyRepos = []KeyRepo{FernetKeys, CredentialKeys}

// LookupKeyRepo returns the repository of a name.
func LookupKeyRepo(name string) (KeyRepo, bool) {
	for _, r := range KeyRepos {
		if r.Name == name {
			return r, true
		}
	}
	return KeyRepo{}, false
}

// Secret names the secret of key index i.
func (r KeyRepo) Secret(i int) string { return r.Prefix + strconv.Itoa(i) }

// Indices lists the key indices of the repository's secrets in the
// configuration repository at repoDir, ascending. It reads the names of
// the encrypted files only: no identity is needed to know which keys
// exist.
func (r KeyRepo) Indices(repoDir string) ([]int, error) {
	names, err := secrets.List(repoDir)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, name := range names {
		if i, ok := secrets.RingIndex(r.Prefix, name); ok {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out, nil
}

// checkIndices says whether a repository can be written to hosts: a
// staged key 0 and a primary key (the highest index).
func (r KeyRepo) checkIndices(indices []int) error {
	if len(indices) < 2 || indices[0] != 0 {
		have := make([]string, len(indices))
		for i, x := range indices {
			have[i] = r.Secret(x)
		}
		return fmt.Errorf("the %s key repository needs a staged key %s and a primary key (has %s); run fundament secrets generate",
			r.Name, r.Secret(0), orNone(strings.Join(have, ", ")))
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Rotation is what rotating a repository does, as keystone-manage
// fernet_rotate (and credential_rotate) does it to a directory: the
// staged key 0 becomes the primary under the next index, a new key 0 is
// staged, and the lowest-numbered keys beyond MaxActive are purged.
type Rotation struct {
	Promote int   // the new primary's index (the highest one so far + 1)
	Purge   []int // indices dropped, ascending
	After   []int // the indices after the rotation, ascending
}

// PlanRotation computes a rotation of the indices a repository has.
// Rotating needs a staged key and a MaxActive of at least 3: with 2 the
// primary of a moment ago would be purged at once, and every token it
// encrypted would fail on the spot.
func (r KeyRepo) PlanRotation(indices []int) (Rotation, error) {
	if r.MaxActive < 3 {
		return Rotation{}, fmt.Errorf("the %s key repository keeps %d keys; rotating needs at least 3 (staged, primary, the previous primary)", r.Name, r.MaxActive)
	}
	sorted := append([]int(nil), indices...)
	sort.Ints(sorted)
	if len(sorted) == 0 || sorted[0] != 0 {
		return Rotation{}, fmt.Errorf("the %s key repository has no staged key %s; run fundament secrets generate", r.Name, r.Secret(0))
	}
	// What stays active besides the new staged key: the old keys but 0,
	// and the promoted one.
	rot := Rotation{Promote: sorted[len(sorted)-1] + 1}
	active := append(append([]int(nil), sorted[1:]...), rot.Promote)
	for len(active) > r.MaxActive-1 {
		rot.Purge = append(rot.Purge, active[0])
		active = active[1:]
	}
	rot.After = append([]int{0}, active...)
	return rot, nil
}

// SecretStore is what a rotation needs of the secrets: secrets.Store.
type SecretStore interface {
	Get(name string) (string, error)
	Set(name, value string) error
	Delete(name string) error
	Generate(specs []secrets.Spec, rotate []string) (created, rotated []string, err error)
}

// Rotate rotates the repository's secrets in store, whose current
// indices are given. The steps are ordered so that an interrupted
// rotation loses no key that serves: the staged value is copied to the
// new primary first, only then is a new staged key drawn, and the purge
// comes last.
func (r KeyRepo) Rotate(store SecretStore, indices []int) (Rotation, error) {
	rot, err := r.PlanRotation(indices)
	if err != nil {
		return rot, err
	}
	staged, err := store.Get(r.Secret(0))
	if err != nil {
		return rot, fmt.Errorf("reading the staged key: %w", err)
	}
	if err := store.Set(r.Secret(rot.Promote), staged); err != nil {
		return rot, fmt.Errorf("promoting the staged key to %s: %w", r.Secret(rot.Promote), err)
	}
	spec := secrets.Spec{Name: r.Secret(0), Kind: secrets.FernetKey, Description: "Keystone " + r.Name + " key 0 (staged)"}
	if _, _, err := store.Generate([]secrets.Spec{spec}, []string{spec.Name}); err != nil {
		return rot, fmt.Errorf("staging a new key %s: %w", spec.Name, err)
	}
	for _, i := range rot.Purge {
		if err := store.Delete(r.Secret(i)); err != nil {
			return rot, fmt.Errorf("purging %s: %w", r.Secret(i), err)
		}
	}
	return rot, nil
}
