package model

import (
	"flag"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/fundament-cloud/fundament/internal/diag"
)

var printDiags = flag.Bool("print", false, "print the diagnostics of the decoder table tests (to write new cases)")

// decodeInto parses src as file and decodes it into v, returning the
// diagnostics rendered as `file:line:col: severity: message [rule]`.
func decodeInto(file, src string, v any) []string {
	var l diag.List
	if root := parseYAML(file, []byte(src), true, &l); root != nil {
		newDecoder(file, &l, nil).value(root, reflect.ValueOf(v).Elem(), nil, "")
	}
	return render(&l)
}

func render(l *diag.List) []string {
	var out []string
	for _, d := range l.Items() {
		out = append(out, d.String())
	}
	return out
}

func checkDiags(t *testing.T, got, want []string) {
	t.Helper()
	if *printDiags {
		for _, g := range got {
			fmt.Printf("\t\t\t`%s`,\n", g)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics differ\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// decodeCase decodes src as one file of the repository: the file name
// picks the type (cloud.yaml, network.yaml, inventory/*, services/*).
func decodeCase(file, src string) []string {
	switch {
	case file == CloudFile:
		return decodeInto(file, src, &CloudSpec{})
	case file == NetworkFile:
		return decodeInto(file, src, &NetworkSpec{})
	case strings.HasPrefix(file, ServicesDir+"/"):
		return decodeInto(file, src, &ServicesSpec{})
	default:
		return decodeInto(file, src, &InventoryFile{})
	}
}

const inv = "inventory/a.yaml"

func TestDecodeDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name, file, src string
		want            []string
	}{
		{"unknown key with did-you-mean", inv, `hosts:
  - name: a
    roles: [compute]
    bmc: {adress: 10.0.0.1}
`, []string{
			`inventory/a.yaml:4:10: error: hosts[0].bmc: missing required field "address" [schema.required]`,
			`inventory/a.yaml:4:11: error: unknown field "adress" in hosts[0].bmc; did you mean "address"? [schema.unknown-field]`,
		}},
		{"unknown key far from any field", inv, `hosts:
  - name: a
    roles: [compute]
    colour: blue
`, []string{
			`inventory/a.yaml:4:5: error: unknown field "colour" in hosts[0] [schema.unknown-field]`,
		}},
		{"unknown top-level key", NetworkFile, `switchs: []
networks: []
`, []string{
			`network.yaml:1:1: error: unknown field "switchs" in the top level; did you mean "switches"? [schema.unknown-field]`,
		}},
		{"mtu not a number", inv, `hosts:
  - name: a
    roles: [compute]
    interfaces:
      - {name: eth0, mtu: "abc"}
      - {name: eth1, mtu: abc}
      - {name: eth2, mtu: 9000.5}
`, []string{
			`inventory/a.yaml:5:27: error: hosts[0].interfaces[0].mtu: expected an integer, got string "abc" [schema.type]`,
			`inventory/a.yaml:6:27: error: hosts[0].interfaces[1].mtu: expected an integer, got string "abc" [schema.type]`,
			`inventory/a.yaml:7:27: error: hosts[0].interfaces[2].mtu: expected an integer, got number "9000.5" [schema.type]`,
		}},
		{"roles a mapping", inv, `hosts:
  - name: a
    roles: {control: true}
`, []string{
			`inventory/a.yaml:3:12: error: hosts[0].roles: expected a list, got a mapping [schema.type]`,
		}},
		{"list where a mapping belongs", inv, `hosts:
  - - name: a
`, []string{
			`inventory/a.yaml:2:5: error: hosts[0]: expected a mapping (key: value lines), got a list [schema.type]`,
		}},
		{"loopback out of range", NetworkFile, `switches:
  - {name: s, role: leaf, hwsku: x, loopback: 10.0.0.300}
networks: []
`, []string{
			`network.yaml:2:47: error: switches[0].loopback: expected an IP address, got "10.0.0.300": IPv4 field has value >255 [schema.type]`,
		}},
		{"prefix with garbage", NetworkFile, `networks:
  - {name: n, role: management, prefix: 10.0.0.0/24x}
  - {name: m, role: management, prefix: 10.0.0.0}
  - {name: o, role: management, prefix: 10.0.0.0/33}
`, []string{
			`network.yaml:2:41: error: networks[0].prefix: expected an IP prefix in CIDR notation (such as 10.0.0.0/24), got "10.0.0.0/24x": bad bits after slash: "24x" [schema.type]`,
			`network.yaml:3:41: error: networks[1].prefix: expected an IP prefix in CIDR notation (such as 10.0.0.0/24), got "10.0.0.0": no '/' [schema.type]`,
			`network.yaml:4:41: error: networks[2].prefix: expected an IP prefix in CIDR notation (such as 10.0.0.0/24), got "10.0.0.0/33": prefix length out of range [schema.type]`,
		}},
		{"MAC garbage", inv, `hosts:
  - name: a
    roles: [compute]
    interfaces:
      - {name: eth0, mac: "52:54:00:zz:00:01"}
      - {name: eth1, mac: "52:54:00:00:01"}
      - {name: eth2, mac: "02:00:5e:10:00:00:00:01"}
`, []string{
			`inventory/a.yaml:5:27: error: hosts[0].interfaces[0].mac: expected a MAC address (such as 52:54:00:12:34:56), got "52:54:00:zz:00:01": not a 48-bit MAC address [schema.type]`,
			`inventory/a.yaml:6:27: error: hosts[0].interfaces[1].mac: expected a MAC address (such as 52:54:00:12:34:56), got "52:54:00:00:01": not a 48-bit MAC address [schema.type]`,
			`inventory/a.yaml:7:27: error: hosts[0].interfaces[2].mac: expected a MAC address (such as 52:54:00:12:34:56), got "02:00:5e:10:00:00:00:01": not a 48-bit MAC address [schema.type]`,
		}},
		{"enum with did-you-mean", inv, `hosts:
  - name: a
    roles: [controll, compute, Storage, gpu]
`, []string{
			`inventory/a.yaml:3:13: error: hosts[0].roles[0]: "controll" is not one of control, network, compute, storage, manager; did you mean "control"? [schema.enum]`,
			`inventory/a.yaml:3:32: error: hosts[0].roles[2]: "Storage" is not one of control, network, compute, storage, manager; did you mean "storage"? [schema.enum]`,
			`inventory/a.yaml:3:41: error: hosts[0].roles[3]: "gpu" is not one of control, network, compute, storage, manager [schema.enum]`,
		}},
		{"switch role enum", NetworkFile, `switches:
  - {name: s, role: leef, hwsku: x, loopback: 10.0.0.1}
networks: []
`, []string{
			`network.yaml:2:21: error: switches[0].role: "leef" is not one of spine, leaf, border; did you mean "leaf"? [schema.enum]`,
		}},
		{"missing required fields", inv, `hosts:
  - rack: r1
  - name: b
    roles: [compute]
    networks:
      mgmt: {address: 10.0.0.1}
`, []string{
			`inventory/a.yaml:2:5: error: hosts[0]: missing required field "name" [schema.required]`,
			`inventory/a.yaml:2:5: error: hosts[0]: missing required field "roles" [schema.required]`,
			`inventory/a.yaml:6:13: error: hosts[1].networks.mgmt: missing required field "interface" [schema.required]`,
		}},
		{"required field with empty value", inv, `hosts:
  - name:
    roles: ~
  - name: ""
    roles: [compute]
`, []string{
			`inventory/a.yaml:2:5: error: hosts[0]: required field "name" has no value [schema.required]`,
			`inventory/a.yaml:3:5: error: hosts[0]: required field "roles" has no value [schema.required]`,
			`inventory/a.yaml:4:5: error: hosts[1]: required field "name" has no value [schema.required]`,
		}},
		{"duplicate keys", inv, `hosts:
  - name: a
    roles: [compute]
    name: b
    networks:
      mgmt: {interface: eth0, address: 10.0.0.1}
      mgmt: {interface: eth0, address: 10.0.0.2}
`, []string{
			`inventory/a.yaml:4:5: error: duplicate key "name" (first set at line 2) [yaml.duplicate-key]`,
			`inventory/a.yaml:7:7: error: duplicate key "mgmt" (first set at line 6) [yaml.duplicate-key]`,
		}},
		{"unknown anchor", inv, `hosts:
  - name: a
    roles: *missing
`, []string{
			`inventory/a.yaml:3:12: error: invalid YAML: unknown anchor 'missing' referenced [yaml.syntax]`,
		}},
		{"a mistake in an anchor is reported once", inv, `hosts:
  - name: a
    roles: [compute]
    interfaces: &ifaces
      - {name: eth0, mac: nope}
  - name: b
    roles: [compute]
    interfaces: *ifaces
  - name: c
    roles: [compute]
    interfaces: *ifaces
`, []string{
			`inventory/a.yaml:5:27: error: hosts[0].interfaces[0].mac: expected a MAC address (such as 52:54:00:12:34:56), got "nope": not a 48-bit MAC address [schema.type]`,
		}},
		{"several mistakes in an anchor outside the decoded values", inv, `x: &h {rack: [r1], ssh: {port: x}}
hosts: [*h, *h]
`, []string{
			`inventory/a.yaml:1:1: error: unknown field "x" in the top level [schema.unknown-field]`,
			`inventory/a.yaml:1:14: error: hosts[0].rack: expected a string, got a list [schema.type]`,
			`inventory/a.yaml:1:32: error: hosts[0].ssh.port: expected an integer, got string "x" [schema.type]`,
			`inventory/a.yaml:2:9: error: hosts[0]: missing required field "name" [schema.required]`,
			`inventory/a.yaml:2:9: error: hosts[0]: missing required field "roles" [schema.required]`,
		}},
		{"empty list items and map values", inv, `hosts:
  -
  - name: a
    roles: [compute]
    networks:
      mgmt:
    disks: [~, {device: /dev/sdb}]
  - ~
`, nil},
		{"merge keys rejected", inv, `hosts:
  - &base {name: a, roles: [compute]}
  - <<: *base
    name: b
`, []string{
			`inventory/a.yaml:3:5: error: hosts[1]: missing required field "roles" [schema.required]`,
			`inventory/a.yaml:3:5: error: merge keys (<<) are not supported; write the fields out or use separate files [schema.type]`,
		}},
		{"integer overflow", NetworkFile, `switches:
  - {name: s, role: leaf, hwsku: x, loopback: 10.0.0.1, asn: 99999999999}
  - {name: t, role: leaf, hwsku: x, loopback: 10.0.0.2, asn: -1}
networks:
  - {name: n, role: management, prefix: 10.0.0.0/24, vlan: 99999999999999999999}
`, []string{
			`network.yaml:2:62: error: switches[0].asn: 99999999999 is out of range for this field (0 to 4294967295) [schema.type]`,
			`network.yaml:3:62: error: switches[1].asn: -1 is out of range for this field (0 to 4294967295) [schema.type]`,
			`network.yaml:5:60: error: networks[0].vlan: 99999999999999999999 is out of range for this field (-9223372036854775808 to 9223372036854775807) [schema.type]`,
		}},
		{"multiple documents", CloudFile, `name: a
domain: a.org
regions: [{name: r, availability_zones: [{name: z}]}]
---
name: b
`, []string{
			`cloud.yaml:4:1: error: a second YAML document (after ---); put one document in each file [load.multiple-documents]`,
		}},
		{"all problems in one run", inv, `hosts:
  - name: a
    roles: [compute, storge]
    rack: [r1]
    ssh: {port: twenty-two, usr: root}
    interfaces:
      - {name: eth0, mac: nope, mtu: big}
    disks:
      - {size: 4T}
  - nam: b
`, []string{
			`inventory/a.yaml:3:22: error: hosts[0].roles[1]: "storge" is not one of control, network, compute, storage, manager; did you mean "storage"? [schema.enum]`,
			`inventory/a.yaml:4:11: error: hosts[0].rack: expected a string, got a list [schema.type]`,
			`inventory/a.yaml:5:17: error: hosts[0].ssh.port: expected an integer, got string "twenty-two" [schema.type]`,
			`inventory/a.yaml:5:29: error: unknown field "usr" in hosts[0].ssh; did you mean "user"? [schema.unknown-field]`,
			`inventory/a.yaml:7:27: error: hosts[0].interfaces[0].mac: expected a MAC address (such as 52:54:00:12:34:56), got "nope": not a 48-bit MAC address [schema.type]`,
			`inventory/a.yaml:7:38: error: hosts[0].interfaces[0].mtu: expected an integer, got string "big" [schema.type]`,
			`inventory/a.yaml:9:9: error: hosts[0].disks[0]: missing required field "device" [schema.required]`,
			`inventory/a.yaml:10:5: error: hosts[1]: missing required field "name" [schema.required]`,
			`inventory/a.yaml:10:5: error: hosts[1]: missing required field "roles" [schema.required]`,
			`inventory/a.yaml:10:5: error: unknown field "nam" in hosts[1]; did you mean "name"? [schema.unknown-field]`,
		}},
		{"boolean and float fields", "services/x.yaml", `rabbitmq:
  quorum_queues: yes
ceph:
  enabled: "true"
openstack:
  nova:
    cpu_allocation_ratio: lots
    ram_allocation_ratio: 1
`, []string{
			`services/x.yaml:2:18: error: rabbitmq.quorum_queues: expected a boolean (true or false), got string "yes" [schema.type]`,
			`services/x.yaml:4:12: error: ceph.enabled: expected a boolean (true or false), got string "true" [schema.type]`,
			`services/x.yaml:7:27: error: openstack.nova.cpu_allocation_ratio: expected a number, got string "lots" [schema.type]`,
		}},
		{"mapping keys that are not strings", inv, `hosts:
  - name: a
    roles: [compute]
    labels:
      [x]: 1
      ? {y: 1}
      : 2
`, []string{
			`inventory/a.yaml:5:7: error: mapping keys must be plain strings, got a list [schema.type]`,
			`inventory/a.yaml:6:9: error: mapping keys must be plain strings, got a mapping [schema.type]`,
		}},
		{"map values of the wrong type", inv, `hosts:
  - name: a
    roles: [compute]
    labels: {team: [a, b], ok: yes}
    networks:
      mgmt: 10.0.0.1
`, []string{
			`inventory/a.yaml:4:20: error: hosts[0].labels.team: expected a string, got a list [schema.type]`,
			`inventory/a.yaml:6:13: error: hosts[0].networks.mgmt: expected a mapping (key: value lines), got string "10.0.0.1" [schema.type]`,
		}},
		{"cable endpoints", NetworkFile, `cables:
  - {a: "leaf-1:Ethernet0", b: "ctl-1"}
  - {a: ":eth0", b: "x:y:z"}
networks: []
`, []string{
			`network.yaml:2:32: error: cables[0].b: expected a cable endpoint DEVICE:PORT, got "ctl-1": write it as DEVICE:PORT, e.g. leaf-1:Ethernet0 or ctl-1:eno1 [schema.type]`,
			`network.yaml:3:9: error: cables[1].a: expected a cable endpoint DEVICE:PORT, got ":eth0": write it as DEVICE:PORT, e.g. leaf-1:Ethernet0 or ctl-1:eno1 [schema.type]`,
			`network.yaml:3:21: error: cables[1].b: expected a cable endpoint DEVICE:PORT, got "x:y:z": write it as DEVICE:PORT, e.g. leaf-1:Ethernet0 or ctl-1:eno1 [schema.type]`,
		}},
		{"top level not a mapping", CloudFile, `- name: a
`, []string{
			`cloud.yaml:1:1: error: the top level: expected a mapping (key: value lines), got a list [schema.type]`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if *printDiags {
				fmt.Printf("=== %s\n", tc.name)
			}
			checkDiags(t, decodeCase(tc.file, tc.src), tc.want)
		})
	}
}

func TestDecodeValues(t *testing.T) {
	var f InventoryFile
	diags := decodeInto(inv, `nothing: &nothing ~
defaults:
  labels: &l {team: a}
hosts:
  -
  - name: a
    roles: &r [compute, storage]
    labels: *l
    networks:
      mgmt: {interface: eth0, address: 10.0.0.1}
      unused:
    disks: [~, {device: /dev/sdb}, *nothing]
  - ~
  - name: b
    roles: *r
    ssh: {port: 0x16, user: ""}
`, &f)
	checkDiags(t, diags, []string{
		`inventory/a.yaml:1:1: error: unknown field "nothing" in the top level [schema.unknown-field]`,
	})
	if len(f.Hosts) != 2 {
		t.Fatalf("got %d hosts, want 2 (empty items are dropped)", len(f.Hosts))
	}
	a, b := f.Hosts[0], f.Hosts[1]
	if a.Name != "a" || b.Name != "b" || len(b.Roles) != 2 || b.Roles[1] != RoleStorage || a.Labels["team"] != "a" {
		t.Errorf("aliases did not resolve: %+v %+v", a, b)
	}
	if len(a.Networks) != 1 || a.Networks["mgmt"] == nil || len(a.Disks) != 1 || a.Disks[0].Device != "/dev/sdb" {
		t.Errorf("empty values were kept: networks %v, disks %v", a.Networks, a.Disks)
	}
	if b.SSH.Port != 22 {
		t.Errorf("ssh port 0x16 = %d", b.SSH.Port)
	}
	for _, tc := range []struct {
		m    *Meta
		path string
		want string
	}{
		{&a.Meta, "", "inventory/a.yaml:6:5"},
		{&a.Meta, "name", "inventory/a.yaml:6:11"},
		{&a.Meta, "roles[1]", "inventory/a.yaml:7:25"},
		{&a.Meta, "networks.mgmt", "inventory/a.yaml:10:13"},
		{&a.Meta, "disks[0]", "inventory/a.yaml:12:16"},
		{&b.Meta, "roles", "inventory/a.yaml:7:12"}, // the anchor's value
		{&b.Meta, "rack", "inventory/a.yaml:14:5"},  // not written: the host
	} {
		if got := tc.m.At(tc.path).String(); got != tc.want {
			t.Errorf("At(%q) = %s, want %s", tc.path, got, tc.want)
		}
	}
}

// chain is a type that nests without bound, to test the decoder's own
// depth limit (the model's types nest only a few levels).
type chain struct {
	Meta
	Next *chain `yaml:"next"`
}

func TestDecodeDepthLimit(t *testing.T) {
	// yaml.v3 refuses more than 10,000 levels written out; aliases can nest
	// deeper: each anchor holds the previous one.
	var b strings.Builder
	b.WriteString("a0: &a0 {next: ~}\n")
	for i := 1; i <= maxDepth+10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d {next: *a%d}\n", i, i, i-1)
	}
	fmt.Fprintf(&b, "next: *a%d\n", maxDepth+10)
	var l diag.List
	root := parseYAML("deep.yaml", []byte(b.String()), true, &l)
	if root == nil {
		t.Fatal(render(&l))
	}
	var c chain
	// Decode only the last key: the others are unknown fields here.
	root.Content = root.Content[len(root.Content)-2:]
	newDecoder("deep.yaml", &l, nil).value(root, reflect.ValueOf(&c).Elem(), nil, "")
	got := render(&l)
	if len(got) != 1 || !strings.Contains(got[0], "values nested more than 10000 levels deep [yaml.too-complex]") {
		t.Errorf("got %v", got)
	}
}

// Free-form values (a playbook's extra_vars) decode as YAML gives them.
func TestDecodeFreeFormValues(t *testing.T) {
	var cs CustomSet
	d := &diag.List{}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("name: x\nplaybooks:\n  - {name: p, playbook: p.yml, extra_vars: {level: 2, list: [a, b], on: true}}\n"), &n); err != nil {
		t.Fatal(err)
	}
	newDecoder("s.yaml", d, nil).value(n.Content[0], reflect.ValueOf(&cs).Elem(), nil, "")
	if d.Len() != 0 {
		t.Fatalf("diagnostics: %v", d.Items())
	}
	vars := cs.Playbooks[0].ExtraVars
	if vars["level"] != 2 || vars["on"] != true || len(vars["list"].([]any)) != 2 {
		t.Errorf("extra_vars %#v", vars)
	}
}
