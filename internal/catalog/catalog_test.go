package catalog

import (
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/resource"
)

func file(path, content string) resource.Resource {
	return resource.File{Path: path, Content: []byte(content)}
}

func refTo(host, path string) Ref {
	return Ref{Host: host, ID: resource.ID{Kind: resource.KindFile, Name: path}}
}

func TestNewRejectsBrokenCatalogs(t *testing.T) {
	tests := []struct {
		name  string
		items []*Item
		want  string
	}{
		{"duplicate", []*Item{{Host: "h", Component: "a", Resource: file("/x", "1")}, {Host: "h", Component: "b", Resource: file("/x", "2")}},
			"h/file:/x is declared twice (by a and b)"},
		{"unknown dependency", []*Item{{Host: "h", Component: "a", Resource: file("/x", ""), After: []Ref{refTo("db", "/y")}}},
			"h/file:/x (component a) depends on db/file:/y, which no component declares"},
		{"cycle", []*Item{
			{Host: "h", Component: "a", Resource: file("/x", ""), After: []Ref{refTo("h", "/y")}},
			{Host: "h", Component: "a", Resource: file("/y", ""), Subscribes: []Ref{refTo("h", "/x")}},
		}, "dependency cycle (each waits for the next): h/file:/x -> h/file:/y -> h/file:/x"},
		{"unknown group", []*Item{{Host: "h", Component: "a", Resource: file("/x", ""), Group: "galera"}},
			`names rolling group "galera", which is not declared`},
		{"invalid resource", []*Item{{Host: "h", Component: "a", Resource: file("etc/x", "")}},
			`h/file:etc/x: path "etc/x" is not absolute (component a)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.items, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestOrderAndHash(t *testing.T) {
	items := []*Item{
		{Host: "app", Component: "a", Resource: file("/migrate", ""), After: []Ref{refTo("db", "/schema")}},
		{Host: "db", Component: "a", Resource: file("/schema", "v1")},
		{Host: "app", Component: "a", Resource: file("/config", "")},
	}
	c, err := New(items, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range c.Order() {
		got = append(got, it.Ref().String())
	}
	if strings.Join(got, " ") != "db/file:/schema app/file:/migrate app/file:/config" {
		t.Errorf("order %v", got)
	}
	if hs := c.HostItems("app"); len(hs) != 2 || hs[0].Resource.ID().Name != "/migrate" {
		t.Errorf("host items %v", hs)
	}
	if strings.Join(c.Hosts(), ",") != "app,db" {
		t.Errorf("hosts %v", c.Hosts())
	}
	h1 := c.Hash()
	items[1].Resource = file("/schema", "v2")
	c2, _ := New(items, nil)
	if c2.Hash() == h1 {
		t.Error("hash ignores a content change")
	}
	// Declaration order does not change the digest.
	c3, _ := New([]*Item{items[2], items[1], items[0]}, nil)
	if c3.Hash() != c2.Hash() {
		t.Error("hash depends on declaration order")
	}
}

// A command's Desired state says nothing of its script or guard: the hash
// must still see them, or a saved plan would run an edited script.
func TestHashCoversDefinitions(t *testing.T) {
	hash := func(r resource.Resource) string {
		c, err := New([]*Item{{Host: "h", Component: "a", Resource: r}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Hash()
	}
	base := resource.Command{Name: "c", Script: "echo 1"}
	seen := map[string]string{}
	for name, r := range map[string]resource.Resource{
		"base":    base,
		"script":  resource.Command{Name: "c", Script: "echo 2"},
		"guard":   resource.Command{Name: "c", Script: "echo 1", Guard: "true"},
		"guard 2": resource.Command{Name: "c", Script: "echo 1", Guard: "false"},
		"env":     resource.Command{Name: "c", Script: "echo 1", Env: map[string]string{"A": "b"}},
		"ansible": resource.Ansible{Name: "c", Playbook: "/p.yml", ExtraVars: map[string]any{"a": 1}},
		"vars":    resource.Ansible{Name: "c", Playbook: "/p.yml", ExtraVars: map[string]any{"a": 2}},
	} {
		h := hash(r)
		if other, dup := seen[h]; dup {
			t.Errorf("%s and %s have the same hash", name, other)
		}
		seen[h] = name
	}
	if hash(base) != hash(resource.Command{Name: "c", Script: "echo 1"}) {
		t.Error("the hash of equal commands differs")
	}
}
