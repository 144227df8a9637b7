// Package secrets manages the secrets that Fundament generates for a cloud
// (database passwords, Keystone fernet keys, service tokens, ...).
//
// Secrets are stored ENCRYPTED with age (https://age-encryption.org) inside
// the cloud's declarative configuration repository, so that the repository
// remains the single source of truth and can be shared and reviewed. The age
// private key (the "identity") that decrypts them lives outside the
// repository.
//
// # Repository layout
//
//	<repo>/secrets/recipients.txt   age X25519 public keys, one per line.
//	                                Blank lines and lines starting with "#"
//	                                are ignored. Committed to git.
//	<repo>/secrets/<name>.age       one file per secret: ASCII-armored age
//	                                ciphertext ("-----BEGIN AGE ENCRYPTED
//	                                FILE-----"), so git diffs stay textual,
//	                                encrypted to every key in recipients.txt.
//
// Secret names match ^[a-z0-9][a-z0-9_.-]{0,127}$ (see [ValidateName]). They
// contain no slashes because a name maps directly to a file name.
//
// # Identity (private key)
//
// The identity file is located, in this order:
//
//  1. [Options].IdentityFile, if set;
//  2. the path in the environment variable FUNDAMENT_AGE_IDENTITY, if set;
//  3. $XDG_CONFIG_HOME/fundament/<cloud-name>.agekey, falling back to
//     ~/.config/fundament/<cloud-name>.agekey when XDG_CONFIG_HOME is unset
//     (or not absolute, as the XDG spec requires).
//
// Relative paths are made absolute against the current directory. An identity
// path that lies inside the repository directory is refused, after resolving
// absolute paths and symbolic links (also of not-yet-existing paths through
// their existing ancestors): the key must never end up in git.
//
// The identity file uses the age-keygen format (comment lines plus one
// AGE-SECRET-KEY-1... line) so it can be used directly with the age CLI:
//
//	age -d -i ~/.config/fundament/<cloud>.agekey secrets/<name>.age
//
// It is created with mode 0600; missing parent directories are created with
// mode 0700 (existing directories are left untouched). An existing identity
// file is never overwritten. Like ssh, this package refuses to use an
// identity file that is accessible by group or others (any bit of 0077 set),
// with an error naming the path and the "chmod 600" fix. (The permission
// check is skipped on Windows, where Unix modes are not meaningful.)
//
// # Generation
//
// [Store.Generate] first makes sure an identity and recipients.txt exist:
//
//   - no identity, no recipients.txt, no secrets: a new X25519 identity is
//     created and recipients.txt is written with its public key (first run);
//   - identity present, recipients.txt missing: recipients.txt is written
//     with the identity's public key;
//   - identity present, recipients.txt present: the identity's public key
//     must be listed in recipients.txt (otherwise the operator could not
//     decrypt what is generated), else [ErrIdentityMismatch];
//   - no identity, but recipients.txt or secrets already exist: refused with
//     [ErrNoIdentity]. A fresh key could not decrypt the existing secrets;
//     the operator must install the cloud's existing identity (or have a key
//     holder add their public key to recipients.txt and rotate/re-encrypt).
//
// It then creates every secret of the given specs that does not exist yet.
// Existing secrets are never overwritten unless their name is passed in
// rotate, with one exception: a generated [Certificate] is issued anew when
// it no longer matches its spec (its names, its key or its issuer changed,
// or it expires within 30 days; a CA within a year) and is reported as
// rotated. Values come from crypto/rand only:
//
//   - [Password]: characters from the URL-safe alphabet A-Z a-z 0-9 - _
//     (uniformly distributed); Length in characters, default 32, min 16.
//   - [Hex]: Length random bytes (default 32, min 16), hex encoded, so the
//     value has 2*Length characters.
//   - [FernetKey]: 32 random bytes, base64url with padding (44 characters),
//     exactly as Keystone/cryptography Fernet keys. Length must be 0 or 32.
//   - [Token]: a random UUID (version 4 layout, 122 random bits), e.g.
//     "3f0c2c9e-5b7a-4c1d-9e8f-0a1b2c3d4e5f". Length must be 0 or 36.
//   - [ECKey]: an ECDSA P-256 private key, PKCS #8 PEM.
//   - [CephxKey]: a Ceph cephx key as keyrings carry it (40 characters of
//     base64: a 12-byte header, then 16 random bytes). Length must be 0.
//   - [Certificate]: an X.509 certificate (PEM) issued from other secrets
//     (a key, a CA) as its [CertSpec] says: the lab's CA and the public
//     endpoint's certificate when loadbalancer.tls is left out.
//
// # Guarantees
//
// Plaintext is never written into the repository, not even to temporary
// files: values are generated and encrypted in memory, and only ciphertext
// (and public keys) is written, atomically (temporary file in the same
// directory, fsync, rename). Errors never contain secret values or private
// key material. Use [Redactor] to scrub known secret values from output
// (logs, command output) before showing it.
//
// A Store may be used from several goroutines; Generate calls are
// serialized. Concurrent Generate runs from different processes on the same
// repository are not coordinated.
package secrets
