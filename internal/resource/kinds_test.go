package resource

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// examples has one resource of every kind, with every field set.
var examples = []Resource{
	Package{Name: "ceph-common", Version: "19.2.1-1", Source: "ceph"},
	AptSource{Name: "ceph", URI: "https://download.ceph.com/debian-squid", Suite: "trixie", Components: "main", SignedBy: "/etc/apt/keyrings/ceph.asc"},
	File{Path: "/etc/ceph/ceph.conf", Content: []byte("[global]\n\x00binary\xff"), Mode: "0640", Owner: "ceph", Group: "ceph", Secret: true},
	Directory{Path: "/var/lib/ceph", Mode: "0750", Owner: "ceph", Group: "ceph"},
	Symlink{Path: "/etc/nova/current", Target: "../releases/1"},
	User{Name: "ceph", UID: 64045, Group: "ceph", Home: "/var/lib/ceph", Shell: "/usr/sbin/nologin", System: true, Groups: []string{"disk"}},
	Group{Name: "ceph", GID: 64045, System: true},
	Service{Unit: "ceph-mon@h1.service", Enabled: true, Running: true, Subscribes: []ID{{KindFile, "/etc/ceph/ceph.conf"}}},
	Command{Name: "mon-mkfs", Script: "ceph-mon --mkfs", Guard: "test -e /var/lib/ceph/mon/done", Env: map[string]string{"A": "1"}, Secret: true, Timeout: "5m"},
	Ansible{Name: "ovn", Playbook: "/p.yaml", Inventory: map[string]any{"all": map[string]any{"hosts": map[string]any{"h1": nil}}},
		ExtraVars: map[string]any{"a": "b"}, Limit: []string{"h1"}},
}

func TestEncodeDecode(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range examples {
		if err := Validate(r); err != nil {
			t.Fatal(err)
		}
		checkScripts(t, r)
		kind, raw, err := Encode(r)
		if err != nil {
			t.Fatal(err)
		}
		seen[kind] = true
		if kind != r.ID().Kind {
			t.Fatalf("kind %q for %s", kind, r.ID())
		}
		back, err := Decode(kind, raw)
		if err != nil {
			t.Fatalf("%s: %v\n%s", r.ID(), err, raw)
		}
		if !reflect.DeepEqual(back, r) {
			t.Fatalf("%s: round trip\n%#v\n%#v", r.ID(), back, r)
		}
		if back.Desired().Hash() != r.Desired().Hash() {
			t.Fatal("desired state changed in the round trip")
		}
		// A pointer encodes the same.
		ptr := reflect.New(reflect.TypeOf(r))
		ptr.Elem().Set(reflect.ValueOf(r))
		_, raw2, err := Encode(ptr.Interface().(Resource))
		if err != nil || string(raw2) != string(raw) {
			t.Fatalf("pointer: %s %v", raw2, err)
		}
	}
	if len(seen) != len(Kinds()) {
		t.Fatalf("examples cover %v, kinds are %v", seen, Kinds())
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ kind, raw, msg string }{
		{"nope", `{}`, "unknown resource kind"},
		{KindFile, `{"path":"/x","contents":"eA=="}`, "unknown field"},
		{KindFile, `{"path":"relative"}`, "not absolute"},
		{KindFile, `{"path":"/x","mode":"999"}`, "octal"},
		{KindPackage, `{"name":"Not A Package"}`, "package name"},
		{KindUser, `{"name":"root","groups":["bad group"]}`, "account name"},
		{KindService, `{"unit":""}`, "unit name"},
		{KindCommand, `{"name":"x"}`, "empty script"},
		{KindAnsible, `{"name":"x"}`, "no playbook"},
		{KindDirectory, `{"path":"/"}`, "root directory"},
		{KindSymlink, `{"path":"/x"}`, "empty target"},
		{KindFile, `[1]`, "decode file"},
	} {
		_, err := Decode(tc.kind, json.RawMessage(tc.raw))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s %s: %v, want %q", tc.kind, tc.raw, err, tc.msg)
		}
	}
	if _, _, err := Encode(rawResource{"x", ""}); err == nil {
		t.Fatal("an unregistered kind must not encode")
	}
}

func TestModes(t *testing.T) {
	for in, want := range map[string]string{"644": "0644", "0644": "0644", "4755": "4755", "00600": "0600", "": ""} {
		if got := canonicalMode(in); got != want {
			t.Errorf("%q: %q", in, got)
		}
	}
	for _, bad := range []string{"abc", "8", "64", "77777", "0x1ff"} {
		if checkMode(bad) == nil {
			t.Errorf("mode %q accepted", bad)
		}
	}
}
