package lab

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/validate"
)

func loadExample(t *testing.T) *model.Cloud {
	t.Helper()
	c, diags := validate.Check("../../examples/lab")
	if diags.HasErrors() {
		t.Fatalf("examples/lab is invalid: %v", diags.Items())
	}
	return c
}

func TestFromModelExamplesLab(t *testing.T) {
	topo, err := FromModel(loadExample(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := topo.Machine.String(); got != "10.199.0.1/24" {
		t.Errorf("machine address %s, want 10.199.0.1/24 (the management gateway)", got)
	}
	if len(topo.Nodes) != 12 || len(topo.Links) != 20 {
		t.Errorf("%d nodes and %d links, want 12 and 20", len(topo.Nodes), len(topo.Links))
	}
	ctl1 := topo.Node("ctl-1")
	if ctl1 == nil || ctl1.Switch || ctl1.MgmtIf != "eth0" || ctl1.Mgmt.String() != "10.199.0.11/24" ||
		strings.Join(ctl1.Ports, ",") != "eth1,eth2" {
		t.Errorf("ctl-1: %+v", ctl1)
	}
	leaf := topo.Node("leaf-1")
	if leaf == nil || !leaf.Switch || leaf.Mgmt.String() != "10.199.0.4/24" || len(leaf.Ports) != 10 {
		t.Errorf("leaf-1: %+v", leaf)
	}
	if d := topo.Node("stor-1").Disks; len(d) != 1 || d[0].Device != "/dev/vdb" || d[0].Bytes != 20<<30 {
		t.Errorf("stor-1 disks: %+v", d)
	}
	if got := topo.LinksBetween("spine-1", "leaf-1"); len(got) != 1 || got[0].String() != "spine-1:Ethernet0 <-> leaf-1:Ethernet48" {
		t.Errorf("links spine-1 leaf-1: %v", got)
	}
	if got := topo.LinksBetween("ctl-1:eth2", "leaf-2"); len(got) != 1 {
		t.Errorf("links ctl-1:eth2 leaf-2: %v", got)
	}
	if got := topo.LinksBetween("ctl-1", "ctl-2"); len(got) != 0 {
		t.Errorf("links ctl-1 ctl-2: %v", got)
	}
}

// TestFromModelRejects: models the validator accepts but the lab cannot
// build say why, with the position.
func TestFromModelRejects(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"no gateway", "prefix: 10.9.0.0/24, gateway: 10.9.0.1}", "prefix: 10.9.0.0/24}",
			"network.yaml:4:5: network mgmt needs a gateway"},
		{"management on a bond", "mgmt: {interface: eth0", "mgmt: {interface: bond0",
			"the lab cables the management network to a plain interface, not the bond bond0"},
		{"switch without management address", ", management_address: 10.9.0.2}", "}",
			"switch leaf-1 has no management_address"},
		{"disk size", "size: 2G", "size: lots",
			`disk /dev/vdb: size "lots" is not a size such as 20G`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := tinyRepo()
			for name, f := range fs {
				f.Data = []byte(strings.Replace(string(f.Data), tc.old, tc.new, 1))
				fs[name] = f
			}
			c, diags := model.LoadFS(fs)
			if diags.HasErrors() {
				t.Fatalf("the repository does not load: %v", diags.Items())
			}
			_, err := FromModel(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func tinyRepo() fstest.MapFS {
	return fstest.MapFS{
		"cloud.yaml": {Data: []byte("name: tiny\nprofile: lab\ndomain: tiny.test\nregions:\n  - {name: R, availability_zones: [{name: az, racks: [r1]}]}\n")},
		"network.yaml": {Data: []byte("switches:\n  - {name: leaf-1, role: leaf, hwsku: Accton-AS7326-56X, rack: r1, loopback: 10.0.0.1, management_address: 10.9.0.2}\n" +
			"networks:\n" +
			"  - {name: mgmt, role: management,\n" +
			"    prefix: 10.9.0.0/24, gateway: 10.9.0.1}\n" +
			"cables:\n  - {a: \"leaf-1:Ethernet0\", b: \"h1:eth1\"}\n")},
		"inventory/h.yaml": {Data: []byte("hosts:\n  - name: h1\n    roles: [storage]\n    rack: r1\n" +
			"    interfaces: [{name: eth0}, {name: eth1}, {name: bond0, bond: {members: [eth1]}}]\n" +
			"    networks: {mgmt: {interface: eth0, address: 10.9.0.11}}\n" +
			"    disks: [{device: /dev/vdb, size: 2G}]\n")},
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"", defaultDiskBytes, false},
		{"20G", 20 << 30, false},
		{"20GiB", 20 << 30, false},
		{"512M", 512 << 20, false},
		{"1.5T", 3 << 39, false},
		{"0.5K", 0, true},
		{"1048576", 1 << 20, false},
		{"12K", 0, true},
		{"-1G", 0, true},
		{"G", 0, true},
		{"lots", 0, true},
	} {
		got, err := parseSize(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("parseSize(%q) = %d, %v; want %d, bad %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}
