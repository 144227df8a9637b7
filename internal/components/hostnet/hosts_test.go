package hostnet

// /etc/hosts: a golden file per example, and the rules it follows
// (internal API address first, management address as the fallback, the
// same table on every host).

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
	"github.com/fundament-cloud/fundament/internal/validate"
)

func example(t *testing.T, name string) *model.Cloud {
	t.Helper()
	c, diags := validate.Check("../../../examples/" + name)
	if diags.HasErrors() {
		t.Fatal(diags.Items())
	}
	return c
}

func TestHostsGolden(t *testing.T) {
	golden.Check(t, "hosts-lab.txt", hostsTable(example(t, "lab")))
	golden.Check(t, "hosts-production.txt", hostsTable(example(t, "production")))
}

func TestHostsAddresses(t *testing.T) {
	c := example(t, "lab")
	table := hostsTable(c)
	for _, want := range []string{
		"127.0.0.1\tlocalhost\n",
		"::1\t\tlocalhost ip6-localhost ip6-loopback\n",
		"10.199.20.11\tctl-1.lab.fundament.test ctl-1\n", // internal API
		"10.199.20.21\tcmp-1.lab.fundament.test cmp-1\n",
		"10.199.0.31\tstor-1.lab.fundament.test stor-1\n", // no internal API address: management
	} {
		if !strings.Contains(table, want) {
			t.Errorf("/etc/hosts lacks %q:\n%s", want, table)
		}
	}
	if n := strings.Count(table, ".lab.fundament.test "); n != len(c.Hosts) {
		t.Errorf("%d host lines, want one per host (%d)", n, len(c.Hosts))
	}
}

func TestHostsSkipsHostsWithoutAddresses(t *testing.T) {
	c := example(t, "lab")
	h := *c.Hosts[0]
	h.Name, h.Networks = "bare", map[string]*model.Attachment{}
	c.Hosts = append(c.Hosts, &h)
	c.Spec.Domain = ""
	table := hostsTable(c)
	if strings.Contains(table, "bare") {
		t.Errorf("a host without addresses got a line:\n%s", table)
	}
	if !strings.Contains(table, "10.199.20.11\tctl-1\n") {
		t.Errorf("without a domain, the short name alone:\n%s", table)
	}
	if _, ok := hostsAddress(c, &h); ok {
		t.Error("hostsAddress found an address for a host without networks")
	}
	if a, ok := hostsAddress(c, c.HostsByName()["ctl-1"]); !ok || a != netip.MustParseAddr("10.199.20.11") {
		t.Errorf("ctl-1: %v %v", a, ok)
	}
}

func TestHostsFileOnEveryHost(t *testing.T) {
	c := example(t, "lab")
	cat, err := catalog.Compile(&catalog.Input{Cloud: c}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for _, h := range c.Hosts {
		it, ok := cat.Get(HostsFile(h.Name))
		if !ok {
			t.Fatalf("%s has no %s", h.Name, hostsPath)
		}
		f := it.Resource.(resource.File)
		if f.Mode != "" || f.Owner != "" || f.Secret {
			t.Errorf("%s: %+v", h.Name, f)
		}
		if first == nil {
			first = f.Content
		} else if string(f.Content) != string(first) {
			t.Errorf("%s has another table than %s", h.Name, c.Hosts[0].Name)
		}
	}
}
