package keystone

// Golden files of the component's items for examples/lab and
// examples/production with the secret values replaced by placeholders
// (go test ./internal/components/keystone -update rewrites them), and the
// properties the goldens do not make obvious: no secret outside the
// environment of commands and secret files, the order of the one-time
// steps across hosts, the order of the key files, the rolling group.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/catalogtext"
	"github.com/fundament-cloud/fundament/internal/testutil/componenttest"
	"github.com/fundament-cloud/fundament/internal/testutil/example"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/secrets"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

// fakeSecrets stands for a repository's secrets: files named like the
// real ones (the key repositories are listed from them) and values that
// look like secrets and are unique, so that a test can find every place
// one ends up.
type fakeSecrets struct {
	dir    string
	values map[string]string
}

func newFakeSecrets(t *testing.T, names ...string) *fakeSecrets {
	t.Helper()
	f := &fakeSecrets{dir: t.TempDir(), values: map[string]string{}}
	if err := os.MkdirAll(filepath.Join(f.dir, secrets.DirName), 0o755); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		names = []string{"keystone-db", "keystone-admin", "keystone-fernet-0", "keystone-fernet-1",
			"keystone-credential-0", "keystone-credential-1", "tls-ca-cert"}
	}
	for _, n := range names {
		f.add(t, n)
	}
	return f
}

func (f *fakeSecrets) add(t *testing.T, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, secrets.DirName, name+secrets.FileExt), []byte("age"), 0o644); err != nil {
		t.Fatal(err)
	}
	v := fmt.Sprintf("Zq%08xSecretValueOf%s", len(f.values)*7919+12345, strings.ReplaceAll(name, "-", ""))
	if name == "tls-ca-cert" {
		v = "-----BEGIN CERTIFICATE-----\nMIIBfakeCA\n-----END CERTIFICATE-----\n"
	}
	f.values[name] = v
}

func (f *fakeSecrets) get(name string) (string, error) {
	v, ok := f.values[name]
	if !ok {
		return "", fmt.Errorf("secret %q not found (run generate first)", name)
	}
	return v, nil
}

// placeholders replaces every secret value (but the CA, which is public)
// by {{secret NAME}}.
func (f *fakeSecrets) placeholders(s string) string {
	for n, v := range f.values {
		if n != "tls-ca-cert" {
			s = strings.ReplaceAll(s, v, "{{secret "+n+"}}")
		}
	}
	return s
}

func compile(t *testing.T, c *model.Cloud, s *fakeSecrets) *catalog.Catalog {
	t.Helper()
	return componenttest.Compile(t, Component{}, &catalog.Input{Cloud: c, RepoDir: s.dir, Secret: s.get})
}

// render prints every host's Keystone items in the order the engine
// applies them; helper.py, in full in helper.py, by its size.
func render(cat *catalog.Catalog, s *fakeSecrets) string {
	return catalogtext.Render(cat, catalogtext.Options{Items: catalogtext.Of(Service.Name), Secret: s.placeholders,
		Content: func(path string, content []byte) string {
			if path == helperPath {
				return fmt.Sprintf("helper.py (%d bytes)", len(content))
			}
			return ""
		}})
}

func TestGoldenLab(t *testing.T) {
	s := newFakeSecrets(t)
	golden.Check(t, "lab.txt", render(compile(t, example.Load(t, "lab"), s), s))
}

func TestGoldenProduction(t *testing.T) {
	s := newFakeSecrets(t)
	golden.Check(t, "production.txt", render(compile(t, example.Load(t, "production"), s), s))
}

func item(t *testing.T, cat *catalog.Catalog, host string, id resource.ID) *catalog.Item {
	t.Helper()
	it, ok := cat.Get(catalog.Ref{Host: host, ID: id})
	if !ok {
		t.Fatalf("%s has no %s", host, id)
	}
	return it
}

func TestKeystoneConfGolden(t *testing.T) {
	s := newFakeSecrets(t)
	cat := compile(t, example.Load(t, "lab"), s)
	conf := item(t, cat, "ctl-1", resource.File{Path: confPath}.ID()).Resource.(resource.File)
	if !conf.Secret || conf.Mode != "0640" || conf.Group != "keystone" {
		t.Errorf("keystone.conf: secret %t mode %s group %s", conf.Secret, conf.Mode, conf.Group)
	}
	golden.Check(t, "keystone.conf", s.placeholders(string(conf.Content)))
	uwsgi := item(t, cat, "ctl-2", resource.File{Path: uwsgiPath}.ID()).Resource.(resource.File)
	golden.Check(t, "keystone-uwsgi-ctl-2.ini", string(uwsgi.Content))
	// Every host the same keystone.conf.
	for _, h := range []string{"ctl-2", "ctl-3"} {
		if other := item(t, cat, h, conf.ID()).Resource.(resource.File); string(other.Content) != string(conf.Content) {
			t.Errorf("%s has another keystone.conf", h)
		}
	}
}

// TestNoSecretOutsideSecretPlaces: a secret value appears only in a
// command's environment (plans hide it) and in files marked secret
// (plans show no digest even); never in a script, guard, name or a file
// plans may show.
func TestNoSecretOutsideSecretPlaces(t *testing.T) {
	s := newFakeSecrets(t)
	cat := compile(t, example.Load(t, "lab"), s)
	private := componenttest.Secrets{} // the CA's certificate is public
	for n, v := range s.values {
		if n != "tls-ca-cert" {
			private[n] = v
		}
	}
	secretFiles := componenttest.SecretsInSecretPlaces(t, cat, private)
	for _, it := range cat.Items {
		if r, ok := it.Resource.(resource.File); ok && r.Secret && r.Mode != "0600" && r.Mode != "0640" {
			t.Errorf("secret file %s on %s has mode %q", r.Path, it.Host, r.Mode)
		}
	}
	// keystone.conf, 2 fernet and 2 credential keys and clouds.yaml on
	// each of the 3 hosts.
	if secretFiles != 3*6 {
		t.Errorf("%d secret files, want 18", secretFiles)
	}
}

func TestOneTimeStepsAndOrder(t *testing.T) {
	s := newFakeSecrets(t)
	c := example.Load(t, "lab")
	cat := compile(t, c, s)
	ref := func(host string, id resource.ID) catalog.Ref { return catalog.Ref{Host: host, ID: id} }
	sync := item(t, cat, "ctl-1", resource.ID{Kind: resource.KindCommand, Name: "keystone/db-sync"})
	if dbRef, err := databaseRef(c); err != nil || !slices.Contains(sync.After, dbRef) {
		t.Errorf("db-sync is not after Galera's database %v (%v): %v", dbRef, err, sync.After)
	}
	if !slices.Contains(sync.After, ref("ctl-1", resource.File{Path: confPath}.ID())) {
		t.Errorf("db-sync after %v", sync.After)
	}
	boot := item(t, cat, "ctl-1", resource.ID{Kind: resource.KindCommand, Name: "keystone/bootstrap"})
	if !slices.Contains(boot.After, sync.Ref()) {
		t.Errorf("bootstrap after %v", boot.After)
	}
	for _, h := range []string{"ctl-2", "ctl-3"} {
		for _, name := range []string{"keystone/db-sync", "keystone/bootstrap", "keystone/service-project", "keystone/credential-migrate"} {
			if _, ok := cat.Get(ref(h, resource.ID{Kind: resource.KindCommand, Name: name})); ok {
				t.Errorf("%s runs %s: one host is enough", h, name)
			}
		}
	}
	for _, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
		svc := item(t, cat, h, resource.Service{Unit: unit}.ID())
		if svc.Group != group || !slices.Contains(svc.After, boot.Ref()) || !slices.Contains(svc.After, sync.Ref()) {
			t.Errorf("%s keystone.service: group %q after %v", h, svc.Group, svc.After)
		}
		var subs []string
		for _, r := range svc.Subscribes {
			subs = append(subs, r.ID.Name)
		}
		sort.Strings(subs)
		want := []string{confPath, uwsgiPath, dropInPath, "keystone"}
		sort.Strings(want)
		if !slices.Equal(subs, want) {
			t.Errorf("%s keystone.service restarts on %v, want %v", h, subs, want)
		}
	}
	if g := cat.Groups[group]; g == nil || g.BatchSize != 1 || !slices.Equal(g.Hosts, []string{"ctl-1", "ctl-2", "ctl-3"}) {
		t.Errorf("rolling group: %+v", g)
	}
	project := item(t, cat, "ctl-1", resource.ID{Kind: resource.KindCommand, Name: "keystone/service-project"})
	if !slices.Contains(project.After, ref("ctl-1", resource.Service{Unit: unit}.ID())) {
		t.Errorf("service-project after %v", project.After)
	}
	migrate := item(t, cat, "ctl-1", resource.ID{Kind: resource.KindCommand, Name: "keystone/credential-migrate"})
	for _, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
		if !slices.Contains(migrate.After, ref(h, resource.File{Path: CredentialKeys.Dir + "/0"}.ID())) {
			t.Errorf("credential-migrate runs before %s has the credential keys", h)
		}
	}
}

// TestKeyFiles: every host gets the same keys, the highest index first
// and the staged key 0 last, then the purge of keys the repository no
// longer has; a rotated repository changes the files and the guard-less
// credential migration.
func TestKeyFiles(t *testing.T) {
	c := example.Load(t, "lab")
	s := newFakeSecrets(t, "keystone-db", "keystone-admin", "keystone-fernet-0", "keystone-fernet-2", "keystone-fernet-3",
		"keystone-credential-0", "keystone-credential-1", "tls-ca-cert")
	cat := compile(t, c, s)
	var order []string
	for _, it := range cat.HostItems("ctl-2") {
		id := it.Resource.ID().String()
		if strings.Contains(id, FernetKeys.Dir) || strings.Contains(id, "fernet-keys-prune") {
			order = append(order, id)
		}
	}
	want := []string{"directory:" + FernetKeys.Dir, "file:" + FernetKeys.Dir + "/3", "file:" + FernetKeys.Dir + "/2",
		"file:" + FernetKeys.Dir + "/0", "command:keystone/fernet-keys-prune"}
	if !slices.Equal(order, want) {
		t.Errorf("order of the fernet key items:\n got %v\nwant %v", order, want)
	}
	f := item(t, cat, "ctl-3", resource.File{Path: FernetKeys.Dir + "/3"}.ID()).Resource.(resource.File)
	if string(f.Content) != s.values["keystone-fernet-3"] || f.Mode != "0600" || f.Owner != "keystone" || !f.Secret {
		t.Errorf("key file 3: %+v", f)
	}
	d := item(t, cat, "ctl-3", resource.Directory{Path: FernetKeys.Dir}.ID()).Resource.(resource.Directory)
	if d.Mode != "0700" || d.Owner != "keystone" {
		t.Errorf("key directory: %+v", d)
	}
	prune := item(t, cat, "ctl-1", resource.ID{Kind: resource.KindCommand, Name: "keystone/fernet-keys-prune"}).Resource.(resource.Command)
	for _, want := range []string{"! -name 0 ! -name 2 ! -name 3", "-mindepth 1 -maxdepth 1"} {
		if !strings.Contains(prune.Guard, want) || !strings.Contains(prune.Script, want) {
			t.Errorf("prune does not keep exactly the keys (%q):\n%s\n%s", want, prune.Guard, prune.Script)
		}
	}

	before := item(t, compile(t, c, newFakeSecrets(t)), "ctl-1", resource.ID{Kind: resource.KindCommand, Name: "keystone/credential-migrate"}).Resource.(resource.Command)
	s.add(t, "keystone-credential-2")
	after := item(t, compile(t, c, s), "ctl-1", resource.ID{Kind: resource.KindCommand, Name: "keystone/credential-migrate"}).Resource.(resource.Command)
	if before.Digest() == after.Digest() || !strings.Contains(after.Script, "primary 2") {
		t.Errorf("a credential rotation does not run the migration again:\n%s", after.Script)
	}
}

func TestMissingSecretsAndModel(t *testing.T) {
	c := example.Load(t, "lab")
	for _, tc := range []struct {
		name    string
		secrets []string
		want    string
	}{
		{"no staged fernet key", []string{"keystone-db", "keystone-admin", "keystone-fernet-1", "keystone-credential-0", "keystone-credential-1", "tls-ca-cert"},
			"the fernet key repository needs a staged key keystone-fernet-0 and a primary key (has keystone-fernet-1); run fundament secrets generate"},
		{"no credential keys", []string{"keystone-db", "keystone-admin", "keystone-fernet-0", "keystone-fernet-1", "tls-ca-cert"},
			"the credential key repository needs a staged key keystone-credential-0 and a primary key (has none)"},
		{"no database password", []string{"keystone-admin"}, `secret "keystone-db" not found`},
		{"no CA", []string{"keystone-db", "keystone-admin", "keystone-fernet-0", "keystone-fernet-1", "keystone-credential-0", "keystone-credential-1"},
			"the generated CA certificate"},
	} {
		s := newFakeSecrets(t, tc.secrets...)
		_, _, err := Component{}.Items(&catalog.Input{Cloud: c, RepoDir: s.dir, Secret: s.get})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, _, err := (Component{}).Items(&catalog.Input{Cloud: c}); err == nil || !strings.Contains(err.Error(), "secret keystone-db: no secrets are available here") {
		t.Errorf("without secrets: %v", err)
	}
	off := *c
	off.Services.OpenStack.Keystone.Enabled = new(bool)
	if items, groups, err := (Component{}).Items(&catalog.Input{Cloud: &off}); err != nil || items != nil || groups != nil {
		t.Errorf("disabled: %v %v %v", items, groups, err)
	}
}

func TestHelperIsPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 here to compile helper.py with")
	}
	out, err := exec.Command(py, "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", "helper.py").CombinedOutput()
	if err != nil {
		t.Fatalf("helper.py: %v\n%s", err, out)
	}
}

// TestDepsSayWhy: what Keystone takes from Galera and memcached fails with
// the cause, not a guess.
func TestDepsSayWhy(t *testing.T) {
	c := example.Load(t, "lab")
	c.Services.Memcached.Placement = model.Placement{Hosts: []string{"stor-1"}} // no internal API address
	if _, err := memcacheServers(c, Service.Name); err == nil || !strings.Contains(err.Error(), "stor-1") {
		t.Errorf("memcached on a host without an internal API address: %v", err)
	}
	c.Services.Galera.Placement = model.Placement{Hosts: []string{"stor-1"}}
	if _, err := databaseRef(c); err == nil || !strings.Contains(err.Error(), "stor-1") {
		t.Errorf("galera on a host without an internal API address: %v", err)
	}
}
