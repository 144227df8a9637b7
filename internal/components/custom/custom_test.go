package custom

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

const repoCloud = `name: t
profile: lab
domain: t.example.org
regions: [{name: r, availability_zones: [{name: z}]}]
`

const repoNetwork = `networks:
  - {name: mgmt, role: management, prefix: 10.0.0.0/24}
`

const repoInventory = `hosts:
  - {name: a, roles: [manager], interfaces: [{name: eth0}], networks: {mgmt: {interface: eth0, address: 10.0.0.1}}}
  - {name: b, roles: [control], interfaces: [{name: eth0}], networks: {mgmt: {interface: eth0, address: 10.0.0.2}}}
`

const repoCustom = `custom:
  - name: agent
    hosts: {roles: [manager]}
    directories: [{path: /etc/agent}]
    files:
      - {path: /etc/agent/agent.conf, content: "x=1\n"}
      - {path: /etc/agent/token, content_secret: agent-token, mode: "0600"}
    packages: [{name: curl}]
    services: [{unit: agent.service, restart_on: [/etc/agent/agent.conf]}]
    commands:
      - {name: register, script: "agentctl register", guard: "test -f /var/lib/agent/id"}
      - {name: report, script: "agentctl report", after: [register]}
`

func load(t *testing.T) *model.Cloud {
	t.Helper()
	c, d := model.LoadFS(fstest.MapFS{
		"cloud.yaml":           {Data: []byte(repoCloud)},
		"network.yaml":         {Data: []byte(repoNetwork)},
		"inventory/h.yaml":     {Data: []byte(repoInventory)},
		"services/custom.yaml": {Data: []byte(repoCustom)},
	})
	if d.HasErrors() {
		t.Fatalf("load: %v", d.Items())
	}
	return c
}

func TestCustomSetCompiles(t *testing.T) {
	c := load(t)
	cat, err := catalog.Compile(&catalog.Input{Cloud: c, Secret: func(name string) (string, error) { return "tok-" + name, nil }}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cat.Hosts(), ",") != "a" {
		t.Fatalf("placed on %v, want only a", cat.Hosts())
	}
	var order []string
	for _, it := range cat.HostItems("a") {
		order = append(order, it.Resource.ID().String())
	}
	want := "directory:/etc/agent package:curl file:/etc/agent/agent.conf file:/etc/agent/token service:agent.service command:agent/register command:agent/report"
	if strings.Join(order, " ") != want {
		t.Errorf("order\n got %s\nwant %s", strings.Join(order, " "), want)
	}
	tok, _ := cat.Get(catalog.Ref{Host: "a", ID: resource.ID{Kind: resource.KindFile, Name: "/etc/agent/token"}})
	if f := tok.Resource.(resource.File); !f.Secret || string(f.Content) != "tok-agent-token" {
		t.Errorf("secret file %+v", f)
	}
	svc, _ := cat.Get(catalog.Ref{Host: "a", ID: resource.ID{Kind: resource.KindService, Name: "agent.service"}})
	// restart_on, and the set's packages: an upgrade restarts nothing by
	// itself.
	if len(svc.Subscribes) != 2 || svc.Subscribes[0].ID.Name != "/etc/agent/agent.conf" || svc.Subscribes[1].ID != (resource.ID{Kind: resource.KindPackage, Name: "curl"}) {
		t.Errorf("service subscribes %v", svc.Subscribes)
	}
}

func TestSecretUnavailable(t *testing.T) {
	_, err := catalog.Compile(&catalog.Input{Cloud: load(t)}, Component{})
	if err == nil || !strings.Contains(err.Error(), "custom set agent: file /etc/agent/token: secret agent-token: no secrets are available here") {
		t.Errorf("got %v", err)
	}
}

func compileCustom(t *testing.T, custom string, files map[string]string) (*catalog.Catalog, error) {
	t.Helper()
	fs := fstest.MapFS{
		"cloud.yaml":           {Data: []byte(repoCloud)},
		"network.yaml":         {Data: []byte(repoNetwork)},
		"inventory/h.yaml":     {Data: []byte(repoInventory)},
		"services/custom.yaml": {Data: []byte(custom)},
	}
	c, d := model.LoadFS(fs)
	if d.HasErrors() {
		t.Fatalf("load: %v", d.Items())
	}
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return catalog.Compile(&catalog.Input{Cloud: c, RepoDir: dir}, Component{})
}

func hostOrder(cat *catalog.Catalog, host string) string {
	var order []string
	for _, it := range cat.HostItems(host) {
		order = append(order, it.Resource.ID().String())
	}
	return strings.Join(order, " ")
}

// Paths come after the accounts that own them and the directories they
// are in, users after their groups, commands after the commands they
// name: whatever the order of declaration.
func TestCustomDependencies(t *testing.T) {
	cat, err := compileCustom(t, `custom:
  - name: app
    hosts: {hosts: [a]}
    directories:
      - {path: /srv/app/data, owner: app, group: app}
      - {path: /srv/app}
    files:
      - {path: /srv/app/data/conf, content: "x", group: ops}
    groups: [{name: ops}]
    users: [{name: app, groups: [ops]}]
    packages: [{name: curl}]
    commands:
      - {name: second, script: "true", after: [first]}
      - {name: first, script: "true"}
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	// /srv/app has no owner: it needs nothing declared before it.
	want := "directory:/srv/app group:ops user:app directory:/srv/app/data package:curl file:/srv/app/data/conf command:app/first command:app/second"
	if got := hostOrder(cat, "a"); got != want {
		t.Errorf("order\n got %s\nwant %s", got, want)
	}
	second, _ := cat.Get(catalog.Ref{Host: "a", ID: resource.ID{Kind: resource.KindCommand, Name: "app/second"}})
	if !slices.Contains(second.After, catalog.Ref{Host: "a", ID: resource.ID{Kind: resource.KindCommand, Name: "app/first"}}) {
		t.Errorf("second runs after %v", second.After)
	}
	data, _ := cat.Get(catalog.Ref{Host: "a", ID: resource.ID{Kind: resource.KindDirectory, Name: "/srv/app/data"}})
	for _, dep := range []string{"user:app", "directory:/srv/app"} {
		found := false
		for _, r := range data.After {
			found = found || r.ID.String() == dep
		}
		if !found {
			t.Errorf("/srv/app/data does not come after %s: %v", dep, data.After)
		}
	}
}

// A playbook runs after the rest of its set on all its hosts, and runs
// again when its content changes.
func TestCustomPlaybook(t *testing.T) {
	set := `custom:
  - name: hard
    hosts: {roles: [manager, control]}
    files: [{path: /etc/motd, content: "hi"}]
    playbooks: [{name: pb, playbook: pb.yml}]
`
	digest := func(content string) string {
		cat, err := compileCustom(t, set, map[string]string{"pb.yml": content})
		if err != nil {
			t.Fatal(err)
		}
		pb, ok := cat.Get(catalog.Ref{Host: "a", ID: resource.ID{Kind: resource.KindAnsible, Name: "hard/pb"}})
		if !ok {
			t.Fatalf("no playbook item: %s", hostOrder(cat, "a"))
		}
		var after []string
		for _, r := range pb.After {
			after = append(after, r.String())
		}
		if got := strings.Join(after, " "); got != "a/file:/etc/motd b/file:/etc/motd" {
			t.Errorf("the playbook runs after %s", got)
		}
		return pb.Resource.(resource.Ansible).Digest()
	}
	if digest("- hosts: all\n") == digest("- hosts: all\n  tasks: []\n") {
		t.Error("the playbook's digest ignores its content")
	}
	if _, err := compileCustom(t, set, nil); err == nil || !strings.Contains(err.Error(), "playbook pb") {
		t.Errorf("missing playbook: %v", err)
	}
}

func TestCustomInvalidResource(t *testing.T) {
	_, err := compileCustom(t, `custom:
  - name: bad
    files: [{path: /etc/x, content: "x", mode: "0999"}]
`, nil)
	if err == nil || !strings.Contains(err.Error(), `a/file:/etc/x: mode "0999" is not an octal mode like 0644 (component custom/bad)`) {
		t.Errorf("got %v", err)
	}
}

func TestCustomSetsOverlap(t *testing.T) {
	_, err := compileCustom(t, `custom:
  - name: one
    files: [{path: /etc/motd, content: "1"}]
  - name: two
    hosts: {hosts: [b]}
    files: [{path: /etc/motd, content: "2"}]
`, nil)
	if err == nil || !strings.Contains(err.Error(), "b/file:/etc/motd is declared twice (by custom/one and custom/two)") {
		t.Errorf("got %v", err)
	}
}
