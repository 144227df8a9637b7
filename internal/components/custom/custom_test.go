package custom

import (
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
	if len(svc.Subscribes) != 1 || svc.Subscribes[0].ID.Name != "/etc/agent/agent.conf" {
		t.Errorf("service subscribes %v", svc.Subscribes)
	}
}

func TestSecretUnavailable(t *testing.T) {
	_, err := catalog.Compile(&catalog.Input{Cloud: load(t)}, Component{})
	if err == nil || !strings.Contains(err.Error(), "file /etc/agent/token takes its content from secret agent-token") {
		t.Errorf("got %v", err)
	}
}
