package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// testEnv isolates HOME / XDG_CONFIG_HOME / FUNDAMENT_AGE_IDENTITY and
// returns the XDG config dir (not yet created).
func testEnv(t *testing.T) (xdg string) {
	t.Helper()
	home := t.TempDir()
	xdg = filepath.Join(home, "xdg-config")
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", xdg)
	t.Setenv(IdentityEnv, "")
	return xdg
}

func openStore(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	if err != nil {
		t.Fatalf("Open(%+v): %v", opts, err)
	}
	return s
}

var testSpecs = []Spec{
	{Name: "db-root", Kind: Password, Description: "MariaDB root password"},
	{Name: "rabbitmq.password", Length: 48},
	{Name: "keystone_fernet-0", Kind: FernetKey},
	{Name: "metadata-secret", Kind: Hex},
	{Name: "ceph.fsid", Kind: Token},
	{Name: "ceph-mon-key", Kind: CephxKey},
}

func specNames(specs []Spec) []string {
	var n []string
	for _, s := range specs {
		n = append(n, s.Name)
	}
	return n
}

func getAll(t *testing.T, s *Store, names []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, n := range names {
		v, err := s.Get(n)
		if err != nil {
			t.Fatalf("Get(%q): %v", n, err)
		}
		m[n] = v
	}
	return m
}

func writeIdentity(t *testing.T, path string) *age.X25519Identity {
	t.Helper()
	k, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(k.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestGenerateCreatesIdentityRecipientsAndFiles(t *testing.T) {
	xdg := testEnv(t)
	repo := t.TempDir()
	s := openStore(t, Options{RepoDir: repo, CloudName: "acme-prod"})

	wantID := filepath.Join(xdg, "fundament", "acme-prod.agekey")
	if s.IdentityPath() != wantID {
		t.Fatalf("IdentityPath = %q, want %q", s.IdentityPath(), wantID)
	}
	if _, err := os.Stat(wantID); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open must not create the identity; stat: %v", err)
	}

	created, rotated, err := s.Generate(testSpecs, nil)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if !slices.Equal(created, specNames(testSpecs)) || len(rotated) != 0 {
		t.Fatalf("created=%v rotated=%v", created, rotated)
	}

	// Identity: outside the repo, 0600, directory 0700, age-keygen format.
	if isWithin(repo, wantID) {
		t.Fatal("identity inside repo")
	}
	fi, err := os.Stat(wantID)
	if err != nil {
		t.Fatalf("identity not created: %v", err)
	}
	idData, _ := os.ReadFile(wantID)
	ids, err := age.ParseIdentities(bytes.NewReader(idData))
	if err != nil || len(ids) != 1 {
		t.Fatalf("identity file does not parse: %v", err)
	}
	pub := ids[0].(*age.X25519Identity).Recipient().String()
	if runtime.GOOS != "windows" {
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("identity mode = %04o, want 0600", fi.Mode().Perm())
		}
		di, _ := os.Stat(filepath.Dir(wantID))
		if di.Mode().Perm() != 0o700 {
			t.Errorf("identity dir mode = %04o, want 0700", di.Mode().Perm())
		}
	}
	if !strings.Contains(string(idData), "# public key: "+pub) {
		t.Errorf("identity file lacks public key comment:\n%s", idData)
	}

	// recipients.txt lists the public key.
	rec, err := os.ReadFile(filepath.Join(repo, "secrets", "recipients.txt"))
	if err != nil {
		t.Fatalf("recipients.txt: %v", err)
	}
	parsed, err := age.ParseRecipients(bytes.NewReader(rec))
	if err != nil || len(parsed) != 1 || parsed[0].(*age.X25519Recipient).String() != pub {
		t.Fatalf("recipients.txt = %q (err %v), want key %s", rec, err, pub)
	}

	// One armored .age file per secret.
	for _, sp := range testSpecs {
		p := filepath.Join(repo, "secrets", sp.Name+".age")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !bytes.HasPrefix(data, []byte(armor.Header+"\n")) {
			t.Errorf("%s is not ASCII-armored:\n%s", p, data)
		}
		if s.SecretPath(sp.Name) != p {
			t.Errorf("SecretPath(%q) = %q", sp.Name, s.SecretPath(sp.Name))
		}
	}
}

func TestGetRoundTripAndFormats(t *testing.T) {
	testEnv(t)
	repo := t.TempDir()
	s := openStore(t, Options{RepoDir: repo, CloudName: "c"})
	if _, _, err := s.Generate(testSpecs, nil); err != nil {
		t.Fatal(err)
	}
	// A fresh Store (new process) reads the same values, and the files are
	// plain age files decryptable with the identity file.
	s2 := openStore(t, Options{RepoDir: repo, CloudName: "c"})
	vals := getAll(t, s2, specNames(testSpecs))

	idData, _ := os.ReadFile(s.IdentityPath())
	ids, _ := age.ParseIdentities(bytes.NewReader(idData))
	for name, v := range vals {
		f, _ := os.Open(s.SecretPath(name))
		r, err := age.Decrypt(armor.NewReader(f), ids...)
		if err != nil {
			t.Fatalf("raw decrypt %s: %v", name, err)
		}
		var b bytes.Buffer
		b.ReadFrom(r)
		f.Close()
		if b.String() != v {
			t.Errorf("raw decrypt of %s differs from Get", name)
		}
	}

	pw := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	if v := vals["db-root"]; len(v) != 32 || !pw.MatchString(v) {
		t.Errorf("password: bad format (len %d)", len(v))
	}
	if v := vals["rabbitmq.password"]; len(v) != 48 || !pw.MatchString(v) {
		t.Errorf("password 48: bad format (len %d)", len(v))
	}
	if v := vals["metadata-secret"]; !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(v) {
		t.Errorf("hex: bad format (len %d)", len(v))
	}
	if b, err := base64.URLEncoding.DecodeString(vals["keystone_fernet-0"]); err != nil || len(b) != 32 || len(vals["keystone_fernet-0"]) != 44 {
		t.Errorf("fernet key: bad format (err %v, %d bytes)", err, len(b))
	}
	if v := vals["ceph.fsid"]; !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(v) {
		t.Errorf("token: bad format (len %d)", len(v))
	}
	if v := vals["ceph-mon-key"]; len(v) != 40 || CheckCephxKey(v) != nil {
		t.Errorf("cephx key: bad format (len %d): %v", len(v), CheckCephxKey(v))
	}

	if _, err := s.Get("does-not-exist"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get(missing) err = %v, want fs.ErrNotExist", err)
	}
}

func TestGenerateIsIdempotentAndRotates(t *testing.T) {
	testEnv(t)
	repo := t.TempDir()
	s := openStore(t, Options{RepoDir: repo, CloudName: "c"})
	if _, _, err := s.Generate(testSpecs, nil); err != nil {
		t.Fatal(err)
	}
	names := specNames(testSpecs)
	before := getAll(t, s, names)
	idBefore, _ := os.ReadFile(s.IdentityPath())
	ctBefore, _ := os.ReadFile(s.SecretPath("db-root"))

	created, rotated, err := s.Generate(testSpecs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 0 || len(rotated) != 0 {
		t.Fatalf("second Generate: created=%v rotated=%v, want nothing", created, rotated)
	}
	if after := getAll(t, s, names); !mapsEqual(before, after) {
		t.Fatal("second Generate changed values")
	}
	idAfter, _ := os.ReadFile(s.IdentityPath())
	ctAfter, _ := os.ReadFile(s.SecretPath("db-root"))
	if !bytes.Equal(idBefore, idAfter) || !bytes.Equal(ctBefore, ctAfter) {
		t.Fatal("second Generate rewrote identity or ciphertext")
	}

	// Adding a spec creates only the new one.
	more := append(slices.Clone(testSpecs), Spec{Name: "new-one"})
	created, rotated, err = s.Generate(more, nil)
	if err != nil || !slices.Equal(created, []string{"new-one"}) || len(rotated) != 0 {
		t.Fatalf("created=%v rotated=%v err=%v", created, rotated, err)
	}

	// Rotate.
	created, rotated, err = s.Generate(more, []string{"db-root", "ceph.fsid"})
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 0 || !slices.Equal(rotated, []string{"db-root", "ceph.fsid"}) {
		t.Fatalf("rotate: created=%v rotated=%v", created, rotated)
	}
	after := getAll(t, s, names)
	for _, n := range names {
		changed := after[n] != before[n]
		if want := n == "db-root" || n == "ceph.fsid"; changed != want {
			t.Errorf("%s: changed=%v, want %v", n, changed, want)
		}
	}

	// Rotating an unknown name is an error and writes nothing.
	if _, _, err := s.Generate(testSpecs, []string{"unknown"}); err == nil {
		t.Error("rotate of a name without spec: want error")
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestNoPlaintextInRepo is the "no plaintext in the repository" guarantee:
// after generating (and rotating), no file anywhere in the repository
// contains a secret value or the private key.
func TestNoPlaintextInRepo(t *testing.T) {
	testEnv(t)
	repo := t.TempDir()
	s := openStore(t, Options{RepoDir: repo, CloudName: "c"})
	names := specNames(testSpecs)
	if _, _, err := s.Generate(testSpecs, nil); err != nil {
		t.Fatal(err)
	}
	var sensitive []string
	for _, v := range getAll(t, s, names) {
		sensitive = append(sensitive, v)
	}
	if _, _, err := s.Generate(testSpecs, names); err != nil {
		t.Fatal(err)
	}
	for _, v := range getAll(t, s, names) {
		sensitive = append(sensitive, v)
	}
	idData, _ := os.ReadFile(s.IdentityPath())
	ids, _ := age.ParseIdentities(bytes.NewReader(idData))
	sensitive = append(sensitive, ids[0].(*age.X25519Identity).String())
	sensitive = append(sensitive, strings.ToLower(ids[0].(*age.X25519Identity).String()))

	allowed := map[string]bool{"recipients.txt": true}
	for _, n := range names {
		allowed[n+".age"] = true
	}
	nfiles := 0
	err := filepath.WalkDir(repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		nfiles++
		rel, _ := filepath.Rel(repo, path)
		if filepath.Dir(rel) != "secrets" || !allowed[d.Name()] {
			t.Errorf("unexpected file in repository: %s", rel)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, v := range sensitive {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("%s contains plaintext sensitive value #%d", rel, i)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if nfiles != len(names)+1 {
		t.Errorf("found %d files, want %d", nfiles, len(names)+1)
	}
}

func TestIdentityInsideRepoRefused(t *testing.T) {
	testEnv(t)
	repo := t.TempDir()
	outside := t.TempDir()

	check := func(t *testing.T, opts Options) {
		t.Helper()
		s, err := Open(opts)
		if err == nil {
			t.Fatalf("Open accepted identity %s inside repo %s", s.IdentityPath(), repo)
		}
		if !strings.Contains(err.Error(), "inside the repository") {
			t.Fatalf("unclear error: %v", err)
		}
	}

	t.Run("explicit", func(t *testing.T) {
		check(t, Options{RepoDir: repo, CloudName: "c", IdentityFile: filepath.Join(repo, "secrets", "c.agekey")})
	})
	t.Run("repo itself", func(t *testing.T) {
		check(t, Options{RepoDir: repo, CloudName: "c", IdentityFile: repo})
	})
	t.Run("env", func(t *testing.T) {
		t.Setenv(IdentityEnv, filepath.Join(repo, "key.agekey"))
		check(t, Options{RepoDir: repo, CloudName: "c"})
	})
	t.Run("xdg default", func(t *testing.T) {
		t.Setenv("XDG_CONFIG_HOME", filepath.Join(repo, ".config"))
		check(t, Options{RepoDir: repo, CloudName: "c"})
	})
	t.Run("relative path", func(t *testing.T) {
		t.Chdir(repo)
		check(t, Options{RepoDir: ".", CloudName: "c", IdentityFile: "c.agekey"})
		check(t, Options{RepoDir: repo, CloudName: "c", IdentityFile: "sub/../c.agekey"})
	})
	t.Run("symlinked dir", func(t *testing.T) {
		link := filepath.Join(outside, "link-to-repo")
		if err := os.Symlink(filepath.Join(repo), link); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
		check(t, Options{RepoDir: repo, CloudName: "c", IdentityFile: filepath.Join(link, "not", "yet", "c.agekey")})
		// And the repository given through the symlink, identity by real path.
		check(t, Options{RepoDir: link, CloudName: "c", IdentityFile: filepath.Join(repo, "c.agekey")})
	})
	t.Run("dangling symlink", func(t *testing.T) {
		link := filepath.Join(outside, "dangling.agekey")
		if err := os.Symlink(filepath.Join(repo, "secrets", "x.agekey"), link); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
		check(t, Options{RepoDir: repo, CloudName: "c", IdentityFile: link})
	})
	t.Run("outside is fine", func(t *testing.T) {
		s := openStore(t, Options{RepoDir: repo, CloudName: "c", IdentityFile: filepath.Join(outside, "ok.agekey")})
		if _, _, err := s.Generate([]Spec{{Name: "a"}}, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestIdentityPrecedence(t *testing.T) {
	xdg := testEnv(t)
	repo := t.TempDir()
	other := t.TempDir()
	explicit := filepath.Join(other, "explicit.agekey")
	env := filepath.Join(other, "env.agekey")

	if s := openStore(t, Options{RepoDir: repo, CloudName: "c"}); s.IdentityPath() != filepath.Join(xdg, "fundament", "c.agekey") {
		t.Errorf("default: %s", s.IdentityPath())
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	home, _ := os.UserHomeDir()
	if s := openStore(t, Options{RepoDir: repo, CloudName: "c"}); s.IdentityPath() != filepath.Join(home, ".config", "fundament", "c.agekey") {
		t.Errorf("fallback: %s", s.IdentityPath())
	}
	t.Setenv(IdentityEnv, env)
	if s := openStore(t, Options{RepoDir: repo, CloudName: "c"}); s.IdentityPath() != env {
		t.Errorf("env: %s", s.IdentityPath())
	}
	if s := openStore(t, Options{RepoDir: repo, CloudName: "c", IdentityFile: explicit}); s.IdentityPath() != explicit {
		t.Errorf("explicit: %s", s.IdentityPath())
	}
	t.Setenv(IdentityEnv, "")
	if _, err := Open(Options{RepoDir: repo}); err == nil {
		t.Error("no cloud name and no identity path: want error")
	}
	if _, err := Open(Options{RepoDir: repo, CloudName: "../evil"}); err == nil {
		t.Error("cloud name with slash: want error")
	}
	if _, err := Open(Options{RepoDir: filepath.Join(repo, "missing"), CloudName: "c"}); err == nil {
		t.Error("missing repo dir: want error")
	}
}

func TestWorldReadableIdentityRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix permissions")
	}
	testEnv(t)
	repo := t.TempDir()
	s := openStore(t, Options{RepoDir: repo, CloudName: "c"})
	if _, _, err := s.Generate([]Spec{{Name: "a"}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604} {
		if err := os.Chmod(s.IdentityPath(), mode); err != nil {
			t.Fatal(err)
		}
		_, err := s.Get("a")
		if err == nil {
			t.Fatalf("mode %04o: Get succeeded", mode)
		}
		msg := err.Error()
		if !strings.Contains(msg, s.IdentityPath()) || !strings.Contains(msg, "chmod 600") {
			t.Errorf("mode %04o: unclear error: %v", mode, err)
		}
		if _, _, err := s.Generate([]Spec{{Name: "b"}}, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: Generate err = %v", mode, err)
		}
	}
	if err := os.Chmod(s.IdentityPath(), 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("a"); err != nil {
		t.Errorf("mode 0400 should be accepted: %v", err)
	}
}

func TestWrongOrMissingIdentity(t *testing.T) {
	testEnv(t)
	repo := t.TempDir()
	other := t.TempDir()
	s := openStore(t, Options{RepoDir: repo, CloudName: "c"})
	if _, _, err := s.Generate([]Spec{{Name: "a"}}, nil); err != nil {
		t.Fatal(err)
	}
	secretFile := s.SecretPath("a")

	t.Run("wrong", func(t *testing.T) {
		wrongPath := filepath.Join(other, "wrong.agekey")
		wrong := writeIdentity(t, wrongPath)
		ws := openStore(t, Options{RepoDir: repo, CloudName: "c", IdentityFile: wrongPath})
		_, err := ws.Get("a")
		if !errors.Is(err, ErrIdentityMismatch) {
			t.Fatalf("err = %v, want ErrIdentityMismatch", err)
		}
		msg := err.Error()
		for _, want := range []string{secretFile, wrongPath, "does not match any recipient", wrong.Recipient().String()} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
		if strings.Contains(msg, wrong.String()) {
			t.Error("error leaks the private key")
		}
		// Generating with an identity not listed in recipients.txt is refused.
		if _, _, err := ws.Generate([]Spec{{Name: "b"}}, nil); !errors.Is(err, ErrIdentityMismatch) {
			t.Errorf("Generate with unlisted identity: err = %v", err)
		}
	})

	t.Run("missing", func(t *testing.T) {
		missing := filepath.Join(other, "nope", "missing.agekey")
		ms := openStore(t, Options{RepoDir: repo, CloudName: "c", IdentityFile: missing})
		_, err := ms.Get("a")
		if !errors.Is(err, ErrNoIdentity) {
			t.Fatalf("err = %v, want ErrNoIdentity", err)
		}
		if msg := err.Error(); !strings.Contains(msg, secretFile) || !strings.Contains(msg, missing) {
			t.Errorf("error %q should name %s and %s", msg, secretFile, missing)
		}
		// recipients.txt exists: Generate must not mint a new key.
		if _, _, err := ms.Generate([]Spec{{Name: "b"}}, nil); !errors.Is(err, ErrNoIdentity) {
			t.Errorf("Generate: err = %v, want ErrNoIdentity", err)
		}
		if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
			t.Error("Generate created an identity although recipients.txt exists")
		}
	})
}

func TestMultipleRecipients(t *testing.T) {
	testEnv(t)
	repo := t.TempDir()
	other := t.TempDir()
	aPath, bPath := filepath.Join(other, "a.agekey"), filepath.Join(other, "b.agekey")
	a, b := writeIdentity(t, aPath), writeIdentity(t, bPath)
	if err := os.MkdirAll(filepath.Join(repo, "secrets"), 0o755); err != nil {
		t.Fatal(err)
	}
	rec := "# operators\n" + a.Recipient().String() + "\n\n  # ci\n" + b.Recipient().String() + "  \n"
	if err := os.WriteFile(filepath.Join(repo, "secrets", "recipients.txt"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	sa := openStore(t, Options{RepoDir: repo, IdentityFile: aPath})
	created, _, err := sa.Generate([]Spec{{Name: "x"}}, nil)
	if err != nil || len(created) != 1 {
		t.Fatalf("Generate: %v %v", created, err)
	}
	va, err := sa.Get("x")
	if err != nil {
		t.Fatal(err)
	}
	vb, err := openStore(t, Options{RepoDir: repo, IdentityFile: bPath}).Get("x")
	if err != nil || va != vb {
		t.Fatalf("second recipient cannot decrypt: %v", err)
	}
	// recipients.txt is left as written by the operator.
	if got, _ := os.ReadFile(filepath.Join(repo, "secrets", "recipients.txt")); string(got) != rec {
		t.Error("recipients.txt was rewritten")
	}

	// A private key pasted into recipients.txt is reported without echoing it.
	bad := rec + a.String() + "\n"
	os.WriteFile(filepath.Join(repo, "secrets", "recipients.txt"), []byte(bad), 0o644)
	_, _, err = sa.Generate([]Spec{{Name: "y"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "PRIVATE key") || strings.Contains(err.Error(), a.String()) {
		t.Errorf("err = %v", err)
	}
}

func TestExistingIdentityWritesRecipients(t *testing.T) {
	testEnv(t)
	repo := t.TempDir()
	idPath := filepath.Join(t.TempDir(), "k.agekey")
	k := writeIdentity(t, idPath)
	s := openStore(t, Options{RepoDir: repo, IdentityFile: idPath})
	if _, _, err := s.Generate(nil, nil); err != nil {
		t.Fatal(err)
	}
	rec, err := os.ReadFile(s.RecipientsPath())
	if err != nil || !strings.Contains(string(rec), k.Recipient().String()+"\n") {
		t.Fatalf("recipients.txt = %q, %v", rec, err)
	}
	if got, _ := os.ReadFile(idPath); string(got) != k.String()+"\n" {
		t.Error("existing identity was rewritten")
	}
}

func TestInvalidNamesAndSpecs(t *testing.T) {
	for _, n := range []string{"", "A", "Upper", "a/b", "../x", "x/..", ".hidden", "-x", "_x", "a b", "a\x00", "ä", strings.Repeat("a", 129), "a\\b"} {
		if ValidateName(n) == nil {
			t.Errorf("ValidateName(%q) accepted", n)
		}
	}
	for _, n := range []string{"a", "0", "db-root", "a.b_c-d", strings.Repeat("a", 128)} {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q): %v", n, err)
		}
	}

	testEnv(t)
	repo := t.TempDir()
	s := openStore(t, Options{RepoDir: repo, CloudName: "c"})
	bad := [][]Spec{
		{{Name: "../etc/passwd"}},
		{{Name: "ok"}, {Name: "Bad"}},
		{{Name: "dup"}, {Name: "dup", Kind: Hex}},
		{{Name: "k", Kind: "nope"}},
		{{Name: "short", Length: 8}},
		{{Name: "neg", Length: -1}},
		{{Name: "f", Kind: FernetKey, Length: 16}},
		{{Name: "t", Kind: Token, Length: 10}},
		{{Name: "h", Kind: Hex, Length: 4}},
	}
	for _, specs := range bad {
		if _, _, err := s.Generate(specs, nil); err == nil {
			t.Errorf("Generate(%+v) accepted", specs)
		}
	}
	if _, _, err := s.Generate([]Spec{{Name: "ok"}}, []string{"../ok"}); err == nil {
		t.Error("invalid rotate name accepted")
	}
	// Validation happens before anything is written.
	if _, err := os.Stat(s.IdentityPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Error("identity created despite invalid specs")
	}
	if _, err := os.Stat(filepath.Join(repo, "secrets")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("secrets dir created despite invalid specs")
	}
	for _, n := range []string{"../recipients", "a/b", ""} {
		if _, err := s.Get(n); err == nil {
			t.Errorf("Get(%q) accepted", n)
		}
	}
}

func TestListSorted(t *testing.T) {
	testEnv(t)
	repo := t.TempDir()
	s := openStore(t, Options{RepoDir: repo, CloudName: "c"})
	if l, err := s.List(); err != nil || len(l) != 0 {
		t.Fatalf("List on empty repo = %v, %v", l, err)
	}
	specs := []Spec{{Name: "zeta"}, {Name: "alpha"}, {Name: "mid.x"}, {Name: "b_1"}, {Name: "0first"}}
	if _, _, err := s.Generate(specs, nil); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(repo, "secrets")
	for _, junk := range []string{"README.md", ".zeta.age.tmp-123", "UPPER.age", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, junk), []byte("x"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "subdir.age"), 0o755)
	got, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0first", "alpha", "b_1", "mid.x", "zeta"}
	if !slices.Equal(got, want) {
		t.Fatalf("List = %v, want %v", got, want)
	}
	// List needs no identity.
	os.Remove(s.IdentityPath())
	if got, err := s.List(); err != nil || !slices.Equal(got, want) {
		t.Fatalf("List without identity = %v, %v", got, err)
	}
}

func TestRedactor(t *testing.T) {
	r := Redactor("s3cr3t", "", "s3cr3t-longer", "pw")
	got := r("a=s3cr3t b=s3cr3t-longer c=pw d=none")
	want := "a=(sensitive) b=(sensitive) c=(sensitive) d=none"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if id := Redactor(); id("unchanged") != "unchanged" {
		t.Error("empty Redactor changed input")
	}
	if id := Redactor("", ""); id("unchanged") != "unchanged" {
		t.Error("Redactor of empty values changed input")
	}
}

// A secret linked to a file outside the repository (the identity, say) is
// not read, and nothing of that file appears in the error.
func TestSecretLinkedOutsideRefused(t *testing.T) {
	testEnv(t)
	repo := t.TempDir()
	s := openStore(t, Options{RepoDir: repo, CloudName: "c"})
	if _, _, err := s.Generate(testSpecs[:1], nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(s.IdentityPath(), s.SecretPath("evil")); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
	_, err := s.Get("evil")
	if err == nil || !strings.Contains(err.Error(), "leads out of the repository") {
		t.Errorf("Get of a secret linked outside = %v, want it refused", err)
	}
	if err != nil && strings.Contains(err.Error(), "AGE-SECRET-KEY") {
		t.Errorf("the error quotes the identity: %v", err)
	}
	// A link inside the repository still works.
	if err := os.Symlink("db-root.age", s.SecretPath("alias")); err != nil {
		t.Fatal(err)
	}
	if a, err := s.Get("alias"); err != nil || a != getAll(t, s, []string{"db-root"})["db-root"] {
		t.Errorf("Get of a link inside the repository: %v", err)
	}
}

// A cephx key as Ceph writes it (ceph-authtool --gen-print-key), and
// what CheckCephxKey refuses.
func TestCephxKey(t *testing.T) {
	secret := []byte("0123456789abcdef")
	got := EncodeCephxKey(time.Unix(1700000000, 5), secret)
	b, _ := base64.StdEncoding.DecodeString(got)
	want := []byte{1, 0, 0x00, 0xf1, 0x53, 0x65, 5, 0, 0, 0, 16, 0}
	if !bytes.Equal(b[:12], want) || !bytes.Equal(b[12:], secret) || len(got) != 40 || !strings.HasPrefix(got, "AQ") {
		t.Errorf("EncodeCephxKey = %s (% x)", got, b)
	}
	if err := CheckCephxKey(got); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 28)), got[:36]} {
		if CheckCephxKey(bad) == nil {
			t.Errorf("CheckCephxKey(%q) accepted it", bad)
		}
	}
}
