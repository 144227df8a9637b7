package placement

// Golden files of the component's items for examples/lab and
// examples/production with the secret values replaced by placeholders
// (go test ./internal/components/placement -update rewrites them), and
// what the goldens do not make obvious: no secret outside the
// environment of commands and secret files, the order of the one-time
// step and the services, the rolling group.

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/galera"
	"github.com/fundament-cloud/fundament/internal/components/keystone"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/testutil/catalogtext"
	"github.com/fundament-cloud/fundament/internal/testutil/componenttest"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

// fakeSecrets are unique values that look like secrets, so that a test
// can find every place one ends up.
type fakeSecrets map[string]string

func newFakeSecrets() fakeSecrets {
	s := fakeSecrets{}
	for i, n := range []string{Service.DatabaseSecret(), Service.UserSecret(), keystone.MemcacheSecret} {
		s[n] = fmt.Sprintf("Zq%08xSecretValueOf%s", i*7919+12345, strings.ReplaceAll(n, "-", ""))
	}
	return s
}

func (s fakeSecrets) get(name string) (string, error) {
	v, ok := s[name]
	if !ok {
		return "", fmt.Errorf("secret %q not found (run generate first)", name)
	}
	return v, nil
}

// placeholders replaces every secret value by {{secret NAME}}.
func (s fakeSecrets) placeholders(text string) string {
	for n, v := range s {
		text = strings.ReplaceAll(text, v, "{{secret "+n+"}}")
	}
	return text
}

func compile(t *testing.T, c *model.Cloud, s fakeSecrets) *catalog.Catalog {
	t.Helper()
	return componenttest.Compile(t, Component{}, &catalog.Input{Cloud: c, RepoDir: t.TempDir(), Secret: s.get})
}

// render prints every host's Placement items in the order the engine
// applies them; helper.py by its size.
func render(cat *catalog.Catalog, s fakeSecrets) string {
	return catalogtext.Render(cat, catalogtext.Options{Items: catalogtext.Of(Service.Name), Secret: s.placeholders,
		Content: func(path string, content []byte) string {
			if path == helperPath {
				return fmt.Sprintf("helper.py (%d bytes)", len(content))
			}
			return ""
		}})
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"lab", "production"} {
		t.Run(name, func(t *testing.T) {
			s := newFakeSecrets()
			golden.Check(t, name+".txt", render(compile(t, example.Load(t, name), s), s))
		})
	}
}

func item(t *testing.T, cat *catalog.Catalog, host string, id resource.ID) *catalog.Item {
	t.Helper()
	it, ok := cat.Get(catalog.Ref{Host: host, ID: id})
	if !ok {
		t.Fatalf("%s has no %s", host, id)
	}
	return it
}

func TestConfigGolden(t *testing.T) {
	s := newFakeSecrets()
	cat := compile(t, example.Load(t, "lab"), s)
	conf := item(t, cat, "ctl-1", resource.File{Path: confPath}.ID()).Resource.(resource.File)
	if !conf.Secret || conf.Mode != "0640" || conf.Group != "placement" {
		t.Errorf("placement.conf: secret %t mode %s group %s", conf.Secret, conf.Mode, conf.Group)
	}
	golden.Check(t, "placement.conf", s.placeholders(string(conf.Content)))
	uwsgi := item(t, cat, "ctl-2", resource.File{Path: uwsgiPath}.ID()).Resource.(resource.File)
	golden.Check(t, "placement-uwsgi-ctl-2.ini", string(uwsgi.Content))
	for _, h := range []string{"ctl-2", "ctl-3"} {
		if other := item(t, cat, h, conf.ID()).Resource.(resource.File); string(other.Content) != string(conf.Content) {
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
	contains := func(text string) string {
		for n, v := range s {
			if strings.Contains(text, v) {
				return n
			}
		}
		return ""
	}
	secretFiles := 0
	for _, it := range cat.Items {
		switch r := it.Resource.(type) {
		case resource.Command:
			for _, text := range []string{r.Name, r.Script, r.Guard} {
				if n := contains(text); n != "" {
					t.Errorf("%s on %s shows secret %s", r.ID(), it.Host, n)
				}
			}
		case resource.File:
			if n := contains(string(r.Content)); n != "" && !r.Secret {
				t.Errorf("%s on %s holds secret %s but is not secret", r.Path, it.Host, n)
			}
			if r.Secret {
				secretFiles++
			}
		}
		ch := it.Resource.Plan(resource.State{})
		for _, f := range ch.Fields {
			if n := contains(f.Old + f.New); n != "" {
				t.Errorf("the plan of %s on %s shows secret %s in %s", it.Resource.ID(), it.Host, n, f.Field)
			}
		}
	}
	if secretFiles != 3 { // placement.conf on each control host
		t.Errorf("%d secret files, want 3", secretFiles)
	}
}

func TestOrder(t *testing.T) {
	s := newFakeSecrets()
	c := example.Load(t, "lab")
	cat := compile(t, c, s)
	sync := item(t, cat, "ctl-1", resource.ID{Kind: resource.KindCommand, Name: "placement/db-sync"})
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
		svc := item(t, cat, h, resource.Service{Unit: unit}.ID())
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
	items, groups, err := Component{}.Items(&catalog.Input{Cloud: c, Secret: newFakeSecrets().get})
	if err != nil || len(items) != 0 || len(groups) != 0 {
		t.Errorf("disabled Placement: %d items, %d groups, %v", len(items), len(groups), err)
	}
}

// TestMissingSecret names the secret, and says nothing of the others.
func TestMissingSecret(t *testing.T) {
	s := newFakeSecrets()
	delete(s, Service.UserSecret())
	_, _, err := Component{}.Items(&catalog.Input{Cloud: example.Load(t, "lab"), Secret: s.get})
	if err == nil || !strings.Contains(err.Error(), Service.UserSecret()) {
		t.Errorf("error %v does not name %s", err, Service.UserSecret())
	}
}
