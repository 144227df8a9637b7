package glance

// Golden files of the component's items for examples/lab (the file store
// on one host) and examples/production (RBD on three) with the secret
// values replaced by placeholders (go test ./internal/components/glance
// -update rewrites them), and what the goldens do not make obvious: no
// secret outside the environment of commands and secret files, the order
// of the one-time step and the services, the rolling group, the store.

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/ceph"
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

func confOf(t *testing.T, cat *catalog.Catalog, host string) resource.File {
	t.Helper()
	return componenttest.Item(t, cat, host, resource.File{Path: confPath}.ID()).Resource.(resource.File)
}

// TestConfigGolden: glance-api.conf of a lab host (one worker, RBD)
// and of a production host (RBD); TestStore covers the file store.
func TestConfigGolden(t *testing.T) {
	for _, tc := range []struct{ example, host, golden string }{
		{"lab", "ctl-3", "glance-api-lab.conf"},
		{"production", "ctl-2", "glance-api-rbd.conf"},
	} {
		t.Run(tc.example, func(t *testing.T) {
			s := newFakeSecrets()
			conf := confOf(t, compile(t, example.Load(t, tc.example), s), tc.host)
			if !conf.Secret || conf.Mode != "0640" || conf.Group != "glance" {
				t.Errorf("glance-api.conf: secret %t mode %s group %s", conf.Secret, conf.Mode, conf.Group)
			}
			golden.Check(t, tc.golden, s.Placeholders(string(conf.Content)))
		})
	}
}

// TestConfigPerHost: the hosts' files differ only in the address Glance
// binds and names to its peers.
func TestConfigPerHost(t *testing.T) {
	c := example.Load(t, "production")
	s := newFakeSecrets()
	cat := compile(t, c, s)
	hosts := Hosts(c)
	first := string(confOf(t, cat, hosts[0].Name).Content)
	for _, h := range hosts[1:] {
		other := string(confOf(t, cat, h.Name).Content)
		if other == first {
			t.Errorf("%s has %s's glance-api.conf: it would bind %s's address", h.Name, hosts[0].Name, hosts[0].Name)
		}
		var diff []string
		a, b := strings.Split(first, "\n"), strings.Split(other, "\n")
		for i := range a {
			if i < len(b) && a[i] != b[i] {
				diff = append(diff, strings.SplitN(a[i], "=", 2)[0])
			}
		}
		if len(a) != len(b) || !slices.Equal(diff, []string{"bind_host", "worker_self_reference_url"}) {
			t.Errorf("%s's glance-api.conf differs from %s's in %v, want bind_host and worker_self_reference_url", h.Name, hosts[0].Name, diff)
		}
	}
}

// TestStore: the model's backend picks the store's sections and
// packages; its default follows Ceph.
func TestStore(t *testing.T) {
	c := example.Load(t, "production")
	if storeOf(c) != storeRBD {
		t.Fatalf("production's store is %s, want rbd", storeOf(c))
	}
	s := newFakeSecrets()
	cat := compile(t, c, s)
	conf := string(confOf(t, cat, "ctl-1").Content)
	for _, want := range []string{"enabled_backends=rbd:rbd", "default_backend=rbd", "[rbd]\nrbd_store_pool=images\nrbd_store_user=glance\nrbd_store_ceph_conf=/etc/ceph/ceph.conf", "show_image_direct_url=true"} {
		if !strings.Contains(conf, want) {
			t.Errorf("the RBD store's glance-api.conf lacks %q", want)
		}
	}
	// The Ceph component writes the client's keyring (and installs
	// ceph-common: python3-rbd, python3-rados) from the declaration.
	keyring := ceph.ClientReady("ctl-1", cephClient)
	if cc := Service.CephClientOf(c); cc == nil || cc.Client != cephClient || cc.Group != "glance" {
		t.Errorf("the RBD store's Ceph client: %+v", cc)
	}
	if svc := componenttest.Item(t, cat, "ctl-1", resource.Service{Unit: unit}.ID()); !slices.Contains(svc.After, keyring) {
		t.Errorf("glance-api starts before its keyring (%v): after %v", keyring, svc.After)
	}

	// examples/lab stores its images in Ceph too: the file store is
	// the lab's choice without it.
	files := example.Load(t, "lab")
	files.Services.OpenStack.Glance.Backend = storeFile
	conf = string(confOf(t, compile(t, files, s), "ctl-3").Content)
	for _, want := range []string{"enabled_backends=file:file", "default_backend=file", "[file]\nfilesystem_store_datadir=" + fileDir} {
		if !strings.Contains(conf, want) {
			t.Errorf("the file store's glance-api.conf lacks %q", want)
		}
	}
	if strings.Contains(conf, "rbd") {
		t.Errorf("the file store's glance-api.conf names rbd")
	}
	if cc := Service.CephClientOf(files); cc != nil {
		t.Errorf("the file store is a Ceph client: %+v", cc)
	}
}

// TestNoSecretOutsideSecretPlaces: a secret value appears only in a
// command's environment (plans hide it) and in files marked secret
// (plans show no digest even); never in a script, guard, name or a file
// plans may show.
func TestNoSecretOutsideSecretPlaces(t *testing.T) {
	s := newFakeSecrets()
	cat := compile(t, example.Load(t, "production"), s)
	secretFiles := componenttest.SecretsInSecretPlaces(t, cat, s)
	if secretFiles != 3 { // glance-api.conf on each control host
		t.Errorf("%d secret files, want 3", secretFiles)
	}
}

func TestOrder(t *testing.T) {
	s := newFakeSecrets()
	c := example.Load(t, "production")
	cat := compile(t, c, s)
	hosts := []string{"ctl-1", "ctl-2", "ctl-3"}
	sync := componenttest.Item(t, cat, hosts[0], resource.ID{Kind: resource.KindCommand, Name: "glance/db-sync"})
	dbRef, err := galera.DatabaseRef(c, Service.Name)
	if err != nil || !slices.Contains(sync.After, dbRef) {
		t.Errorf("db-sync is not after Galera's database %v (%v): %v", dbRef, err, sync.After)
	}
	if !slices.Contains(sync.After, catalog.Ref{Host: hosts[0], ID: resource.File{Path: confPath}.ID()}) {
		t.Errorf("db-sync before glance-api.conf: after %v", sync.After)
	}
	userRef, err := keystone.RegistrationRef(c, Service)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts[1:] {
		if _, ok := cat.Get(catalog.Ref{Host: h, ID: sync.Resource.ID()}); ok {
			t.Errorf("%s migrates the schema too: one host is enough", h)
		}
	}
	for _, h := range hosts {
		svc := componenttest.Item(t, cat, h, resource.Service{Unit: unit}.ID())
		if svc.Group != group || !slices.Contains(svc.After, sync.Ref()) || !slices.Contains(svc.After, userRef) {
			t.Errorf("%s %s: group %q after %v", h, unit, svc.Group, svc.After)
		}
		for _, dir := range []string{stagingDir, tasksDir} {
			if !slices.Contains(svc.After, catalog.Ref{Host: h, ID: resource.Directory{Path: dir}.ID()}) {
				t.Errorf("%s %s starts before %s exists", h, unit, dir)
			}
		}
		var subs []string
		for _, r := range svc.Subscribes {
			subs = append(subs, r.ID.Name)
		}
		sort.Strings(subs)
		want := []string{"glance-api", confPath}
		sort.Strings(want)
		if !slices.Equal(subs, want) {
			t.Errorf("%s %s restarts on %v, want %v", h, unit, subs, want)
		}
	}
	if g := cat.Groups[group]; g == nil || g.BatchSize != 1 || !slices.Equal(g.Hosts, hosts) {
		t.Errorf("rolling group: %+v", g)
	}
}

// TestDisabled: a cloud without Glance gets none of its items.
func TestDisabled(t *testing.T) {
	c := example.Load(t, "lab")
	off := false
	c.Services.OpenStack.Glance.Enabled = &off
	items, groups, err := Component{}.Items(&catalog.Input{Cloud: c, Secret: newFakeSecrets().Get})
	if err != nil || len(items) != 0 || len(groups) != 0 {
		t.Errorf("disabled Glance: %d items, %d groups, %v", len(items), len(groups), err)
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
