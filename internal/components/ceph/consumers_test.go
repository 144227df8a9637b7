package ceph

// A service that declares a Ceph client gets, on its hosts, its keyring
// (after its package made the group) and, where the host is no Ceph
// host, ceph-common and ceph.conf: once per host, whatever else runs
// there.

import (
	"slices"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/service"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
)

// consumer is a demo service on the control hosts, client.glance.
var consumer = &service.Service{
	Name:         "consumer",
	Key:          "test.consumer",
	Section:      func(*model.Cloud) service.Section { return service.Section{Hosts: &model.Placement{}} },
	DefaultRoles: []model.Role{model.RoleControl},
	Ceph:         &service.CephClient{Client: "glance", Group: "consumer", Package: "consumer-api"},
}

func TestConsumers(t *testing.T) {
	defer service.Replace(consumer)()
	tests := []struct {
		example string
		// cephHost: the control hosts are Ceph hosts (production's
		// monitors), so ceph-common and ceph.conf are Ceph's own there.
		cephHost bool
	}{{"production", true}, {"lab", false}}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			cat := compileWithPackages(t, example.Load(t, tt.example), "ctl-1", "ctl-2", "ctl-3")
			for _, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
				kr, ok := cat.Get(ClientReady(h, "glance"))
				if !ok {
					t.Fatalf("%s: no keyring of client.glance", h)
				}
				f := kr.Resource.(resource.File)
				if f.Mode != "0640" || f.Owner != "root" || f.Group != "consumer" || !f.Secret {
					t.Errorf("%s: keyring %s %s:%s secret %v", h, f.Mode, f.Owner, f.Group, f.Secret)
				}
				if !slices.Contains(kr.After, catalog.Ref{Host: h, ID: resource.Package{Name: "consumer-api"}.ID()}) {
					t.Errorf("%s: the keyring does not wait for the package that makes its group: %v", h, kr.After)
				}
				conf := catalog.Ref{Host: h, ID: resource.File{Path: confPath}.ID()}
				if !slices.Contains(kr.After, conf) {
					t.Errorf("%s: the keyring before ceph.conf: %v", h, kr.After)
				}
				if _, ok := cat.Get(conf); !ok {
					t.Errorf("%s: no ceph.conf", h)
				}
				if _, ok := cat.Get(catalog.Ref{Host: h, ID: resource.Package{Name: commonPackage}.ID()}); !ok {
					t.Errorf("%s: no ceph-common (librados, python3-rbd)", h)
				}
				_, admin := cat.Get(catalog.Ref{Host: h, ID: resource.File{Path: adminKeyring}.ID()})
				if admin != tt.cephHost {
					t.Errorf("%s: admin keyring %v, want %v (a client host has only its own key)", h, admin, tt.cephHost)
				}
			}
		})
	}
}

// compileWithPackages compiles Ceph with stand-ins of the consumer's
// package on its hosts (the service's own component declares it).
func compileWithPackages(t *testing.T, c *model.Cloud, hosts ...string) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Compile(&catalog.Input{Cloud: c, Secret: fakeSecret}, hostnet.Component{}, packagesOf{hosts}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

type packagesOf struct{ hosts []string }

func (packagesOf) Name() string { return "consumer" }
func (p packagesOf) Items(*catalog.Input) ([]*catalog.Item, []*catalog.Group, error) {
	var out []*catalog.Item
	for _, h := range p.hosts {
		out = append(out, &catalog.Item{Host: h, Resource: resource.Package{Name: "consumer-api"}})
	}
	return out, nil, nil
}
