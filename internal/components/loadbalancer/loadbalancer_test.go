package loadbalancer

// Golden files of haproxy.cfg, keepalived.conf and the component's items
// for examples/lab and examples/production (go test
// ./internal/components/loadbalancer -update rewrites them), and what the
// goldens do not make obvious: the virtual router ids, the certificate
// checks, and that no secret leaves the secret files.

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/catalogtext"
	"github.com/fundament-cloud/fundament/internal/testutil/example"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/secrets"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

// secretsOf generates the cloud's secrets in a store of its own and
// returns its reader.
func secretsOf(t *testing.T, c *model.Cloud) func(string) (string, error) {
	t.Helper()
	home := t.TempDir()
	t.Setenv(secrets.IdentityEnv, filepath.Join(home, "id.agekey"))
	st, err := secrets.Open(secrets.Options{RepoDir: t.TempDir(), CloudName: c.Spec.Name})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Generate(secrets.Required(c), nil); err != nil {
		t.Fatal(err)
	}
	return st.Get
}

func compile(t *testing.T, c *model.Cloud, get func(string) (string, error)) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Compile(&catalog.Input{Cloud: c, Secret: get}, hostnet.Component{}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// render prints every host's items in the order the engine applies them;
// haproxy.cfg and keepalived.conf are in their own goldens.
func render(cat *catalog.Catalog) string {
	return catalogtext.Render(cat, catalogtext.Options{Items: catalogtext.Of(name),
		Content: func(path string, _ []byte) string {
			if path == haproxyConf || path == keepalivedConf {
				return "in its own golden file"
			}
			return ""
		}})
}

func fileOf(t *testing.T, cat *catalog.Catalog, host, path string) resource.File {
	t.Helper()
	it, ok := cat.Get(catalog.Ref{Host: host, ID: resource.ID{Kind: resource.KindFile, Name: path}})
	if !ok {
		t.Fatalf("%s has no file %s", host, path)
	}
	return it.Resource.(resource.File)
}

func TestGolden(t *testing.T) {
	for _, repo := range []string{"lab", "production"} {
		t.Run(repo, func(t *testing.T) {
			c := example.Load(t, repo)
			cat := compile(t, c, secretsOf(t, c))
			golden.Check(t, repo+"-items.txt", render(cat))
			t0 := mustTopology(t, c)
			golden.Check(t, repo+"-haproxy.cfg", string(fileOf(t, cat, t0.Members[0].Host, haproxyConf).Content))
			for _, m := range t0.Members[:2] {
				golden.Check(t, repo+"-keepalived-"+m.Host+".conf", string(fileOf(t, cat, m.Host, keepalivedConf).Content))
			}
		})
	}
}

func mustTopology(t *testing.T, c *model.Cloud) *topology {
	t.Helper()
	top, err := newTopology(c)
	if err != nil || top == nil {
		t.Fatalf("topology: %v, %v", top, err)
	}
	return top
}

// TestSecretsStayInSecretFiles: the password and the private key appear
// only in files marked secret, never in a script, a guard or another
// file, so that plans and logs never show them.
func TestSecretsStayInSecretFiles(t *testing.T) {
	c := example.Load(t, "lab")
	get := secretsOf(t, c)
	cat := compile(t, c, get)
	password, _ := get("haproxy-stats")
	key, _ := get(endpoint.GeneratedPublicKey)
	keyBody := strings.Split(strings.TrimSpace(key), "\n")[1]
	secretFiles := 0
	for _, it := range cat.Items {
		if it.Component != name {
			continue
		}
		var visible string
		switch r := it.Resource.(type) {
		case resource.File:
			if r.Secret {
				secretFiles++
				if r.Mode != "0600" {
					t.Errorf("%s on %s: a secret file of mode %s", r.Path, it.Host, r.Mode)
				}
				continue
			}
			visible = string(r.Content)
		case resource.Command:
			visible = r.Script + r.Guard + fmt.Sprint(r.Env)
		}
		for what, s := range map[string]string{"the statistics password": password, "the private key": keyBody} {
			if strings.Contains(visible, s) {
				t.Errorf("%s on %s shows %s", it.Resource.ID(), it.Host, what)
			}
		}
	}
	if secretFiles != 6 { // the environment and the certificate bundle on each of 3 members
		t.Errorf("%d secret files, want 6", secretFiles)
	}
	bundle := string(fileOf(t, cat, "ctl-1", publicPEM).Content)
	cert, _ := get(endpoint.GeneratedPublicCrt)
	if !strings.HasPrefix(bundle, cert) || !strings.HasSuffix(bundle, key) {
		t.Errorf("the bundle is not the certificate followed by its key")
	}
	if env := string(fileOf(t, cat, "ctl-1", haproxyDefaults).Content); !strings.Contains(env, statsPasswordEnv+"="+password+"\n") {
		t.Error("the environment lacks the statistics password")
	}
}

func TestVRIDs(t *testing.T) {
	tests := []struct {
		name  string
		vips  [][2]string // network, address
		wants []int
	}{
		{"last byte", [][2]string{{"internal", "10.199.20.10"}, {"public", "10.199.100.10"}}, []int{10, 10}},
		{"same network, same last byte", [][2]string{{"internal", "10.1.0.10"}, {"internal", "10.1.1.10"}, {"internal", "10.1.2.11"}}, []int{10, 11, 12}},
		{"zero", [][2]string{{"internal", "10.1.1.0"}}, []int{1}},
		{"255 wraps", [][2]string{{"internal", "10.1.1.255"}, {"internal", "10.1.2.255"}}, []int{255, 1}},
		{"ipv6", [][2]string{{"public", "2001:db8::1:2a"}}, []int{42}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vips []vip
			for _, v := range tt.vips {
				vips = append(vips, vip{Network: v[0], Addr: netip.MustParseAddr(v[1])})
			}
			assignVRIDs(vips)
			for i, v := range vips {
				if v.VRID != tt.wants[i] {
					t.Errorf("%s: virtual_router_id %d, want %d", v.Addr, v.VRID, tt.wants[i])
				}
			}
		})
	}
}

// TestOrderAndGroup: HAProxy before keepalived, both after host
// networking and the non-local bind, and only the services and their
// reloads roll.
func TestOrderAndGroup(t *testing.T) {
	c := example.Load(t, "lab")
	cat := compile(t, c, secretsOf(t, c))
	pos := map[string]int{}
	for i, it := range cat.HostItems("ctl-2") {
		pos[it.Resource.ID().String()] = i
	}
	for _, pair := range [][2]string{
		{"command:hostnet/networkctl-reload", "service:haproxy.service"},
		{"command:loadbalancer/sysctl", "service:haproxy.service"},
		{"file:" + publicPEM, "service:haproxy.service"},
		{"service:haproxy.service", "service:keepalived.service"},
		{"command:loadbalancer/haproxy-reload", "service:keepalived.service"},
	} {
		a, okA := pos[pair[0]]
		b, okB := pos[pair[1]]
		if !okA || !okB || a >= b {
			t.Errorf("%s must come before %s", pair[0], pair[1])
		}
	}
	g := cat.Groups[group]
	if g == nil || g.BatchSize != 1 || strings.Join(g.Hosts, ",") != "ctl-1,ctl-2,ctl-3" {
		t.Fatalf("rolling group %+v", g)
	}
	var grouped []string
	for _, it := range cat.HostItems("ctl-1") {
		if it.Group == group {
			grouped = append(grouped, it.Resource.ID().String())
		}
	}
	sort.Strings(grouped)
	if got := strings.Join(grouped, " "); got != "command:loadbalancer/haproxy-reload command:loadbalancer/keepalived-reload service:haproxy.service service:keepalived.service" {
		t.Errorf("grouped: %s", got)
	}
}

// TestCertificateChecks: a compile refuses a generated certificate that
// no longer fits the model, and an operator's key that is not the
// certificate's.
func TestCertificateChecks(t *testing.T) {
	c := example.Load(t, "lab")
	get := secretsOf(t, c)
	// The public virtual IP moves; the secrets were not generated again.
	moved := example.Load(t, "lab")
	for _, v := range moved.Network.VirtualIPs {
		if v.Name == "public" {
			v.Address = netip.MustParseAddr("10.199.100.20")
		}
	}
	_, err := catalog.Compile(&catalog.Input{Cloud: moved, Secret: get}, hostnet.Component{}, Component{})
	if err == nil || !strings.Contains(err.Error(), "secret tls-public-cert, is out of date: it names 10.199.100.10") || !strings.Contains(err.Error(), "run fundament secrets generate") {
		t.Errorf("a stale certificate: %v", err)
	}

	// The operator's certificate: the generated one stands in for it.
	repo := t.TempDir()
	cert, _ := get(endpoint.GeneratedPublicCrt)
	if err := os.WriteFile(filepath.Join(repo, "public.pem"), []byte(cert), 0o644); err != nil {
		t.Fatal(err)
	}
	own := example.Load(t, "lab")
	own.Services.LoadBalancer.TLS = &model.TLS{Certificate: "public.pem", KeySecret: "my-key"}
	withKey := func(name string) func(string) (string, error) {
		return func(n string) (string, error) {
			if n == "my-key" {
				return get(name)
			}
			return get(n)
		}
	}
	if _, err := catalog.Compile(&catalog.Input{Cloud: own, RepoDir: repo, Secret: withKey(endpoint.GeneratedPublicKey)}, hostnet.Component{}, Component{}); err != nil {
		t.Errorf("the operator's certificate with its key: %v", err)
	}
	_, err = catalog.Compile(&catalog.Input{Cloud: own, RepoDir: repo, Secret: withKey(endpoint.GeneratedCAKey)}, hostnet.Component{}, Component{})
	if err == nil || !strings.Contains(err.Error(), "the key in secret my-key and the certificate in public.pem are no pair") {
		t.Errorf("a key of another certificate: %v", err)
	}
	if _, err := catalog.Compile(&catalog.Input{Cloud: own, RepoDir: repo}, hostnet.Component{}, Component{}); err == nil || !strings.Contains(err.Error(), "secret my-key: no secrets are available here") {
		t.Errorf("without secrets: %v", err)
	}
}

// TestNoVirtualIPs: without virtual IPs the component has nothing to do.
func TestNoVirtualIPs(t *testing.T) {
	c := example.Load(t, "lab")
	c.Network.VirtualIPs = nil
	items, groups, err := Component{}.Items(&catalog.Input{Cloud: c})
	if err != nil || len(items)+len(groups) != 0 {
		t.Errorf("%d items, %d groups, %v", len(items), len(groups), err)
	}
	if checks := (Component{}).HealthChecks(c); len(checks) != 0 {
		t.Errorf("%d checks", len(checks))
	}
}

func TestReady(t *testing.T) {
	c := example.Load(t, "lab")
	cat := compile(t, c, secretsOf(t, c))
	refs := Ready(c)
	if len(refs) != 3 || refs[0].Host != "ctl-1" {
		t.Fatalf("Ready = %v", refs)
	}
	for _, r := range refs {
		if _, ok := cat.Get(r); !ok {
			t.Errorf("Ready names %s, which the component does not declare", r)
		}
	}
}
