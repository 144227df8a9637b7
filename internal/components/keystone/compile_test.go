package keystone_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/cli"
	"github.com/fundament-cloud/fundament/internal/components"
	"github.com/fundament-cloud/fundament/internal/components/galera"
	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/secrets"
	"github.com/fundament-cloud/fundament/internal/testutil/servicetest"
	"github.com/fundament-cloud/fundament/internal/validate"
)

// TestCompilesWithEveryComponent compiles examples/lab with every
// component and generated secrets: what Keystone refers to on other
// components (Galera's database, the hosts' networks) exists, and
// `--component keystone` brings them along.
func TestCompilesWithEveryComponent(t *testing.T) {
	// Every service the cloud has: secrets generate makes their secrets,
	// and the compile needs them.
	servicetest.Use(t, components.Services()...)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg"))
	t.Setenv(secrets.IdentityEnv, filepath.Join(home, "lab.agekey"))
	repo := filepath.Join(t.TempDir(), "lab")
	if err := os.CopyFS(repo, os.DirFS("../../../examples/lab")); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{secrets.DirName, cli.StateDir} {
		os.RemoveAll(filepath.Join(repo, dir))
	}
	var out, errb bytes.Buffer
	if code := cli.Execute([]string{"--repo", repo, "secrets", "generate"}, &out, &errb); code != 0 {
		t.Fatalf("secrets generate: %s%s", out.String(), errb.String())
	}
	c, diags := validate.Check(repo)
	if diags.HasErrors() {
		t.Fatal(diags.Items())
	}
	st, err := secrets.Open(secrets.Options{RepoDir: repo, CloudName: c.Spec.Name})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Compile(&catalog.Input{Cloud: c, RepoDir: repo, Secret: st.Get}, components.All()...)
	if err != nil {
		t.Fatal(err)
	}
	only, err := cat.Only([]string{"keystone"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sync, ok := only.Get(catalog.Ref{Host: "ctl-1", ID: resource.ID{Kind: resource.KindCommand, Name: "keystone/db-sync"}})
	if !ok {
		t.Fatal("no keystone/db-sync on ctl-1")
	}
	// A migration cut short must not be killed and run again blindly: it
	// is not idempotent, and its guard tells whether it happened.
	if r := sync.Resource; resource.IsIdempotent(r) || r.Observe() == "" || resource.StepTimeout(r) != 30*time.Minute {
		t.Errorf("db-sync: idempotent %v, guard %v, timeout %v", resource.IsIdempotent(r), r.Observe() != "", resource.StepTimeout(r))
	}
	dbRef, err := galera.DatabaseRef(c, "keystone")
	if err != nil || !slices.Contains(sync.After, dbRef) {
		t.Fatalf("db-sync is not after Galera's database %v: %v", dbRef, sync.After)
	}
	if _, ok := only.Get(dbRef); !ok {
		t.Errorf("--component keystone leaves out %s", dbRef)
	}
	// The previous database password is retired after every member
	// restarted, and planned whenever the password changes.
	retire, ok := only.Get(catalog.Ref{Host: dbRef.Host, ID: resource.ID{Kind: resource.KindCommand, Name: "galera/retire-previous-password-keystone"}})
	if !ok {
		t.Fatal("no galera/retire-previous-password-keystone")
	}
	if !slices.Contains(retire.Subscribes, dbRef) {
		t.Errorf("the retirement does not subscribe to %s: %v", dbRef, retire.Subscribes)
	}
	for _, h := range keystone.Hosts(c) {
		svc := catalog.Ref{Host: h.Name, ID: resource.Service{Unit: "keystone.service"}.ID()}
		if _, ok := only.Get(svc); !ok {
			t.Errorf("%s has no keystone.service", h.Name)
		}
		if !slices.Contains(retire.After, svc) {
			t.Errorf("the retirement is not after %s", svc)
		}
	}
}
