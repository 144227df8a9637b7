package endpoint

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
)

func cloudWith(profile model.Profile, vips ...*model.VirtualIP) *model.Cloud {
	c := &model.Cloud{}
	c.Spec.Profile = profile
	c.Spec.Domain = "example.test"
	c.Network.VirtualIPs = vips
	return c
}

func TestURL(t *testing.T) {
	identity := API{Name: "identity", Type: "identity", Port: 5000, Path: "/v3"}
	compute := API{Name: "compute", Type: "compute", Port: 8774, Path: "/v2.1"}
	public := &model.VirtualIP{Name: "public", Address: netip.MustParseAddr("192.0.2.10"), FQDN: "public.api.example.test"}
	internal := &model.VirtualIP{Name: "internal", Address: netip.MustParseAddr("2001:db8::10"), FQDN: "internal.api.example.test"}
	for _, tc := range []struct {
		name  string
		cloud *model.Cloud
		iface Interface
		api   API
		want  string
	}{
		{"production uses the fqdn", cloudWith(model.ProfileProduction, public, internal), Public, identity, "https://public.api.example.test:5000/v3"},
		{"internal is plain http", cloudWith(model.ProfileProduction, public, internal), Internal, compute, "http://internal.api.example.test:8774/v2.1"},
		{"the lab uses the address", cloudWith(model.ProfileLab, public, internal), Public, identity, "https://192.0.2.10:5000/v3"},
		{"IPv6 in brackets", cloudWith(model.ProfileLab, public, internal), Internal, identity, "http://[2001:db8::10]:5000/v3"},
		{"no such virtual IP", cloudWith(model.ProfileLab, public), Internal, identity, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := URL(tc.cloud, tc.iface, tc.api)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("URL = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

func TestCACertificate(t *testing.T) {
	secret := func(name string) (string, error) { return "PEM of " + name, nil }
	c := cloudWith(model.ProfileLab)
	if got, err := CACertificate(c, t.TempDir(), secret); err != nil || string(got) != "PEM of "+GeneratedCACert {
		t.Errorf("generated: %q, %v", got, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), []byte("operator CA"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Services.LoadBalancer.TLS = &model.TLS{Certificate: "public.pem", KeySecret: "public-key", CA: "ca.pem"}
	if got, err := CACertificate(c, dir, secret); err != nil || string(got) != "operator CA" {
		t.Errorf("operator's CA: %q, %v", got, err)
	}
	c.Services.LoadBalancer.TLS.CA = ""
	if got, err := CACertificate(c, dir, secret); err != nil || got != nil {
		t.Errorf("system CAs: %q, %v", got, err)
	}
	c.Services.LoadBalancer.TLS.CA = "missing.pem"
	if _, err := CACertificate(c, dir, secret); err == nil || !strings.Contains(err.Error(), "loadbalancer.tls.ca") {
		t.Errorf("a missing CA file: %v", err)
	}
}

func TestBackends(t *testing.T) {
	c := cloudWith(model.ProfileLab)
	c.Network.Networks = []*model.LogicalNetwork{{Name: "mgmt", Role: model.NetManagement}, {Name: "internal", Role: model.NetInternalAPI}}
	on := func(name, addr string) *model.Host {
		h := &model.Host{Name: name, Networks: map[string]*model.Attachment{"mgmt": {Address: netip.MustParseAddr("192.0.2.1")}}}
		if addr != "" {
			h.Networks["internal"] = &model.Attachment{Address: netip.MustParseAddr(addr)}
		}
		return h
	}
	got, err := Backends(c, []*model.Host{on("a", "10.0.0.2"), on("b", "2001:db8::3")}, "x listens there")
	if err != nil || len(got) != 2 || got[0] != (HostAddr{"a", netip.MustParseAddr("10.0.0.2")}) || got[1].Host != "b" {
		t.Errorf("Backends = %v, %v", got, err)
	}
	_, err = Backends(c, []*model.Host{on("a", "10.0.0.2"), on("b", ""), on("c", "")}, "x listens there")
	want := "host b has no address on an internal API network (x listens there); host c has no address on an internal API network (x listens there)"
	if err == nil || err.Error() != want {
		t.Errorf("Backends without addresses: %v, want %s", err, want)
	}
}
