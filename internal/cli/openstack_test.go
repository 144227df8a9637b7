package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"

	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/secrets"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

// labRepoWithSecrets copies examples/lab (without secrets a `make lab`
// may have left there) and generates its secrets with an identity of
// the test's own; it returns the repository and its store.
func labRepoWithSecrets(t *testing.T) (string, *secrets.Store) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg"))
	t.Setenv(secrets.IdentityEnv, filepath.Join(home, "lab.agekey"))
	repo := filepath.Join(t.TempDir(), "lab")
	err := os.CopyFS(repo, os.DirFS("../../examples/lab"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{secrets.DirName, StateDir} {
		if err := os.RemoveAll(filepath.Join(repo, dir)); err != nil {
			t.Fatal(err)
		}
	}
	if code, out, errb := run(t, "--repo", repo, "secrets", "generate"); code != 0 {
		t.Fatalf("secrets generate: %d %s %s", code, out, errb)
	}
	st, err := secrets.Open(secrets.Options{RepoDir: repo, CloudName: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	// The CA of the generated certificate, unless secrets generate made
	// one already.
	if _, err := st.Get(endpoint.GeneratedCACert); err != nil {
		if err := st.Set(endpoint.GeneratedCACert, "-----BEGIN CERTIFICATE-----\nMIIBtestCA\n-----END CERTIFICATE-----\n"); err != nil {
			t.Fatal(err)
		}
	}
	return repo, st
}

func TestCloudsYAML(t *testing.T) {
	repo, st := labRepoWithSecrets(t)
	password, err := st.Get(keystone.AdminSecret)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "op")
	out := filepath.Join(dir, "clouds.yaml")
	code, stdout, stderr := run(t, "--repo", repo, "openstack", "clouds-yaml", "--out", out)
	if code != 0 {
		t.Fatalf("clouds-yaml: %d %s %s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, password) {
		t.Fatal("clouds-yaml printed the password")
	}
	ca := filepath.Join(dir, "lab-ca.pem")
	for _, want := range []string{"wrote " + out + " (cloud lab: admin at https://10.199.100.10:5000/v3)", "wrote " + ca, "OS_CLIENT_CONFIG_FILE=" + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("clouds.yaml: %v mode %v", err, fi.Mode())
	}
	data, _ := os.ReadFile(out)
	golden.Check(t, "clouds.yaml", strings.ReplaceAll(strings.ReplaceAll(string(data), password, "{{secret keystone-admin}}"), dir, "DIR"))
	wantCA, _ := st.Get(endpoint.GeneratedCACert)
	if got, _ := os.ReadFile(ca); string(got) != wantCA {
		t.Errorf("CA file: %q", got)
	}
	// gophercloud (whose reader mirrors the openstack client's) finds the
	// endpoint, the password and the CA.
	t.Setenv("OS_CLOUD", "")
	ao, eo, _, err := clouds.Parse(clouds.WithLocations(out), clouds.WithCloudName("lab"))
	if err != nil {
		t.Fatal(err)
	}
	if ao.IdentityEndpoint != "https://10.199.100.10:5000/v3" || ao.Password != password || ao.Scope.ProjectName != "admin" || eo.Region != "RegionOne" || eo.Availability != "public" {
		t.Errorf("parsed: %+v %+v", ao, eo)
	}

	if code, _, stderr := run(t, "--repo", repo, "openstack", "clouds-yaml", "--out", out); code != 1 || !strings.Contains(stderr, "exists; --force replaces it") {
		t.Errorf("second write without --force: %d %s", code, stderr)
	}
	if code, _, stderr := run(t, "--repo", repo, "openstack", "clouds-yaml", "--out", out, "--force"); code != 0 {
		t.Errorf("--force: %d %s", code, stderr)
	}
	if code, _, stderr := run(t, "--repo", repo, "openstack", "clouds-yaml", "--out", filepath.Join(repo, "clouds.yaml")); code != 1 || !strings.Contains(stderr, "inside the configuration repository") {
		t.Errorf("into the repository: %d %s", code, stderr)
	}
	// Through a symbolic link into the repository, too.
	link := filepath.Join(t.TempDir(), "repo-link")
	if err := os.Symlink(repo, link); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "--repo", repo, "openstack", "clouds-yaml", "--out", filepath.Join(link, "clouds.yaml")); code != 1 || !strings.Contains(stderr, "inside the configuration repository") {
		t.Errorf("into the repository through a link: %d %s", code, stderr)
	}

	// Without --out: where the openstack client looks by itself.
	code, stdout, _ = run(t, "--repo", repo, "-o", "json", "openstack", "clouds-yaml")
	var w written
	if err := json.Unmarshal([]byte(stdout), &w); code != 0 || err != nil {
		t.Fatalf("json: %d %v %s", code, err, stdout)
	}
	if w.File != filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "openstack", "clouds.yaml") || !w.Default || w.Cloud != "lab" {
		t.Errorf("default location: %+v", w)
	}
}

func TestRotateKeysCommand(t *testing.T) {
	repo, st := labRepoWithSecrets(t)
	staged, _ := st.Get("keystone-fernet-0")
	code, stdout, stderr := run(t, "--repo", repo, "openstack", "rotate-keys", "fernet")
	if code != 0 {
		t.Fatalf("rotate-keys: %d %s %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "keystone-fernet-0 (staged) is now keystone-fernet-2, the primary key") || strings.Contains(stdout, staged) {
		t.Errorf("output:\n%s", stdout)
	}
	if v, _ := st.Get("keystone-fernet-2"); v != staged {
		t.Error("the staged key did not become keystone-fernet-2")
	}
	code, stdout, _ = run(t, "--repo", repo, "-o", "json", "openstack", "rotate-keys", "credential")
	var res struct {
		Primary string   `json:"primary"`
		Purged  []string `json:"purged"`
		Keys    []string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); code != 0 || err != nil {
		t.Fatalf("json: %d %v %s", code, err, stdout)
	}
	if res.Primary != "keystone-credential-2" || len(res.Purged) != 0 || !slices.Equal(res.Keys, []string{"keystone-credential-0", "keystone-credential-1", "keystone-credential-2"}) {
		t.Errorf("credential rotation: %+v", res)
	}
	run(t, "--repo", repo, "openstack", "rotate-keys", "fernet")
	names, _ := st.List()
	var fernet []string
	for _, n := range names {
		if strings.HasPrefix(n, "keystone-fernet-") {
			fernet = append(fernet, n)
		}
	}
	if !slices.Equal(fernet, []string{"keystone-fernet-0", "keystone-fernet-2", "keystone-fernet-3"}) {
		t.Errorf("after two rotations: %v", fernet)
	}
	if code, _, stderr := run(t, "--repo", repo, "openstack", "rotate-keys", "tokens"); code != 2 || !strings.Contains(stderr, "use fernet or credential") {
		t.Errorf("unknown repository: %d %s", code, stderr)
	}
}
