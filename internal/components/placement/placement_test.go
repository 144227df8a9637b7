package placement

// Golden files of the component's items for examples/lab and
// examples/production with the secret values replaced by placeholders
// (go test ./internal/components/placement -update rewrites them), and
// what the goldens do not make obvious: no secret outside the
// environment of commands and secret files, the order of the one-time
// step and the services, the rolling group.

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/galera"
	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/testutil/componenttest"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

func newFakeSecrets() componenttest.Secrets {
	return componenttest.NewSecrets(Service.DatabaseSecret(), Service.UserSecret(), keystone.MemcacheSecret)
}

func compile(t *testing.T, c *model.Cloud, s componenttest.Secrets) *catalog.Catalog {
	t.Helper()
	return componenttest.Compile(t, Component{}, &catalog.Input{Cloud: c, RepoDir: t.TempDir(), Secret: s.Get})
}

func TestGolden(t *testing.T) {
	componenttest.Goldens(t, Component{}, helperPath, Service.DatabaseSecret(), Service.UserSecret(), keystone.MemcacheSecret)
}

func TestConfigGolden(t *testing.T) {
	s := newFakeSecrets()
	cat := compile(t, example.Load(t, "lab"), s)
	conf := componenttest.Item(t, cat, "ctl-1", resource.File{Path: confPath}.ID()).Resource.(resource.File)
	if !conf.Secret || conf.Mode != "0640" || conf.Group != "placement" {
		t.Errorf("placement.conf: secret %t mode %s group %s", conf.Secret, conf.Mode, conf.Group)
	}
	golden.Check(t, "placement.conf", s.Placeholders(string(conf.Content)))
	uwsgi := componenttest.Item(t, cat, "ctl-2", resource.File{Path: uwsgiPath}.ID()).Resource.(resource.File)
	golden.Check(t, "placement-uwsgi-ctl-2.ini", string(uwsgi.Content))
	for _, h := range []string{"ctl-2", "ctl-3"} {
		if other := componenttest.Item(t, cat, h, conf.ID()).Resource.(resource.File); string(other.Content) != string(conf.Content) {
			t.Errorf("%s has another placement.conf", h)
		}
	}
}

// TestNoSecretOutsideSecretPlaces: a secret value appears only in a
// command's environment (plans hide it) and in files marked secret
// (plans show no digest even); never in a script, guard, name or a file
// plans may show.
func TestNoSecretOutsideSecretPlaces(t *testing.T) {
	s := newFakeSecrets()
	cat := compile(t, example.Load(t, "lab"), s)
	secretFiles := componenttest.SecretsInSecretPlaces(t, cat, s)
	if secretFiles != 3 { // placement.conf on each control host
		t.Errorf("%d secret files, want 3", secretFiles)
	}
}

func TestOrder(t *testing.T) {
	s := newFakeSecrets()
	c := example.Load(t, "lab")
	cat := compile(t, c, s)
	sync := componenttest.Item(t, cat, "ctl-1", resource.ID{Kind: resource.KindCommand, Name: "placement/db-sync"})
	dbRef, err := galera.DatabaseRef(c, Service.Name)
	if err != nil || !slices.Contains(sync.After, dbRef) {
		t.Errorf("db-sync is not after Galera's database %v (%v): %v", dbRef, err, sync.After)
	}
	if !slices.Contains(sync.After, catalog.Ref{Host: "ctl-1", ID: resource.File{Path: confPath}.ID()}) {
		t.Errorf("db-sync before placement.conf: after %v", sync.After)
	}
	userRef, err := keystone.RegistrationRef(c, Service)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"ctl-2", "ctl-3"} {
		if _, ok := cat.Get(catalog.Ref{Host: h, ID: sync.Resource.ID()}); ok {
			t.Errorf("%s migrates the schema too: one host is enough", h)
		}
	}
	for _, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
		svc := componenttest.Item(t, cat, h, resource.Service{Unit: unit}.ID())
		if svc.Group != group || !slices.Contains(svc.After, sync.Ref()) || !slices.Contains(svc.After, userRef) {
			t.Errorf("%s %s: group %q after %v", h, unit, svc.Group, svc.After)
		}
		var subs []string
		for _, r := range svc.Subscribes {
			subs = append(subs, r.ID.Name)
		}
		sort.Strings(subs)
		want := []string{"placement-api", confPath, uwsgiPath, dropInPath}
		sort.Strings(want)
		if !slices.Equal(subs, want) {
			t.Errorf("%s %s restarts on %v, want %v", h, unit, subs, want)
		}
	}
	if g := cat.Groups[group]; g == nil || g.BatchSize != 1 || !slices.Equal(g.Hosts, []string{"ctl-1", "ctl-2", "ctl-3"}) {
		t.Errorf("rolling group: %+v", g)
	}
}

// TestDisabled: a cloud without Placement gets none of its items.
func TestDisabled(t *testing.T) {
	c := example.Load(t, "lab")
	off := false
	c.Services.OpenStack.Placement.Enabled = &off
	items, groups, err := Component{}.Items(&catalog.Input{Cloud: c, Secret: newFakeSecrets().Get})
	if err != nil || len(items) != 0 || len(groups) != 0 {
		t.Errorf("disabled Placement: %d items, %d groups, %v", len(items), len(groups), err)
	}
}

// TestMissingSecret names the secret, and says nothing of the others.
func TestMissingSecret(t *testing.T) {
	s := newFakeSecrets()
	delete(s, Service.UserSecret())
	_, _, err := Component{}.Items(&catalog.Input{Cloud: example.Load(t, "lab"), Secret: s.Get})
	if err == nil || !strings.Contains(err.Error(), Service.UserSecret()) {
		t.Errorf("error %v does not name %s", err, Service.UserSecret())
	}
}
