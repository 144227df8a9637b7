package catalog

import (
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/resource"
)

func TestOnly(t *testing.T) {
	pkg := &Item{Host: "h1", Component: "base", Resource: resource.Package{Name: "frr"}}
	conf := &Item{Host: "h1", Component: "fabric", Resource: resource.File{Path: "/etc/frr/frr.conf"}, After: []Ref{pkg.Ref()}}
	other := &Item{Host: "h2", Component: "ovn", Resource: resource.File{Path: "/etc/default/ovn-central"}, Group: "ovn-central"}
	c, err := New([]*Item{pkg, conf, other}, []*Group{{Name: "ovn-central", Hosts: []string{"h2"}}})
	if err != nil {
		t.Fatal(err)
	}
	only, err := c.Only([]string{"fabric"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range only.Items {
		got = append(got, it.Ref().String())
	}
	if strings.Join(got, " ") != "h1/package:frr h1/file:/etc/frr/frr.conf" || len(only.Groups) != 0 {
		t.Errorf("fabric only: %v, groups %v", got, only.Groups)
	}
	if ovn, err := c.Only([]string{"ovn"}, nil); err != nil || len(ovn.Items) != 1 || ovn.Groups["ovn-central"] == nil {
		t.Errorf("ovn only: %v, %v", ovn, err)
	}
	if _, err := c.Only([]string{"identity"}, []string{"custom"}); err == nil || !strings.Contains(err.Error(), "base, custom, fabric, ovn") {
		t.Errorf("unknown component: %v", err)
	}
	if none, err := c.Only([]string{"custom"}, []string{"custom"}); err != nil || len(none.Items) != 0 {
		t.Errorf("a registered component without items: %v, %v", none, err)
	}
}
