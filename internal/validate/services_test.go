package validate

import (
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fundament-cloud/fundament/internal/model"
)

// baseWith is testdata/base with files replaced ("" deletes one).
func baseWith(t *testing.T, files map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS("testdata/base"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(os.DirFS("testdata/base"), p)
		fsys[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if data == "" {
			delete(fsys, name)
		} else {
			fsys[name] = &fstest.MapFile{Data: []byte(data)}
		}
	}
	return fsys
}

func diagnose(t *testing.T, fsys fs.FS) string {
	t.Helper()
	c, d := model.LoadFS(fsys)
	d.Append(Validate(c))
	return render(d)
}

// Cases the corpus cannot show well because they need several files
// removed, or produce no error at all.
func TestServiceEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // lines that must appear
		not   []string // rule ids or texts that must not
	}{{
		name: "empty inventory is one diagnostic",
		files: map[string]string{
			"inventory/compute.yaml": "", "inventory/control.yaml": "", "inventory/storage.yaml": "",
			"network.yaml": "networks:\n  - {name: mgmt, role: management, prefix: 10.10.0.0/24}\n",
		},
		want: []string{"inventory: error: the inventory has no hosts, so no service can run; describe the hosts in YAML files under inventory/ [service-unplaced]"},
		not:  []string{"runs on no host", "[quorum-size]", "[ceph-"},
	}, {
		name: "ceph disabled: no OSD checks, compute needs no storage network",
		files: map[string]string{
			"services/ceph.yaml": "ceph:\n  enabled: false\n  osds:\n    devices: [/dev/nvme9n1]\n    per_host: {nobody: []}\n",
			"inventory/compute.yaml": `hosts:
  - name: cmp-1
    roles: [compute]
    rack: r1
    interfaces:
      - {name: eth0, mac: "52:54:00:00:00:21"}
      - {name: eth1, mac: "52:54:00:00:01:21", mtu: 9000}
    networks:
      mgmt: {interface: eth0, address: 10.10.0.21}
      internal: {interface: eth1, address: 10.20.0.21}
      tunnel: {interface: eth1, address: 10.40.0.21}
`,
		},
		want: []string{`services/ceph.yaml:5:24: error: ceph.osds.per_host names host "nobody", which is not in the inventory [unknown-host]`},
		not:  []string{"[ceph-", "[role-network-missing]"},
	}, {
		name: "lab: default pools on one OSD host suggest a smaller size",
		files: map[string]string{
			"cloud.yaml":         "name: lab\nprofile: lab\ndomain: lab.example.org\nregions: [{name: R, availability_zones: [{name: az}]}]\n",
			"services/ceph.yaml": "ceph:\n  osds:\n    hosts: {hosts: [stor-1]}\n    devices: [/dev/sdb]\n",
		},
		want: []string{"services/ceph.yaml:2:3: error: the default pools images, volumes, vms and backups have size 3, but OSDs run on only 1 host (stor-1); Ceph puts each replica on a different host; list the pools in ceph.pools with a size of at most 1, or add OSD hosts [ceph-pool-size]"},
		not:  []string{"[quorum-", "[unknown-rack]"},
	}, {
		name: "a second host of a name is reported once, not checked again",
		files: map[string]string{
			"inventory/zz-extra.yaml": "hosts:\n  - name: stor-1\n    roles: [storage]\n    rack: nowhere\n",
		},
		want: []string{"[duplicate-name]"},
		not:  []string{"[role-network-missing]", "[unknown-rack]", "[ceph-"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diagnose(t, baseWith(t, tt.files))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q in\n%s", n, got)
				}
			}
		})
	}
}

func TestNameForms(t *testing.T) {
	for s, want := range map[string]string{
		"ctl-1": "", "a": "", strings.Repeat("a", 63): "",
		strings.Repeat("a", 64): "is 64 characters long, more than 63",
		"Ctl-1":                 "has upper-case letters", "ctl_1": "contains '_'", "ctl.1": "contains '.'",
		"-ctl": "starts with '-'", "ctl-": "ends with '-'", "": "is empty",
	} {
		if got := labelProblem(s, false); got != want {
			t.Errorf("labelProblem(%q) = %q, want %q", s, got, want)
		}
	}
	for s, want := range map[string]string{
		"example.org": "", "Example.ORG": "", "a-b.c1.d": "",
		"example.org.": "ends with '.'; write it without the trailing dot",
		"a..b":         "has an empty label", "a_b.org": `has a label "a_b" that contains '_'`,
	} {
		if got := domainProblem(s); got != want {
			t.Errorf("domainProblem(%q) = %q, want %q", s, got, want)
		}
	}
	for s, want := range map[string]string{
		"eth0": "", "enp0s31f6": "", "bond0.100": "", "vlan@x": "",
		"enx0123456789abc": "is 16 characters long, more than 15", "eth0:1": "contains ':'",
		"a/b": "contains '/'", "a b": "contains ' '", ".": "is not allowed", "..": "is not allowed",
	} {
		if got := interfaceProblem(s); got != want {
			t.Errorf("interfaceProblem(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestDidYouMeanSkipsOtherNumbers(t *testing.T) {
	for _, tc := range []struct {
		word  string
		cands []string
		want  string
	}{
		{"eth3", []string{"eth0", "eth1"}, ""},
		{"stor-9", []string{"stor-1"}, ""},
		{"2025.2", []string{"2025.1"}, ""},
		{"r03", []string{"r3"}, `; did you mean "r3"?`},
		{"clt-3", []string{"ctl-3"}, `; did you mean "ctl-3"?`},
		{"tunel", []string{"tunnel"}, `; did you mean "tunnel"?`},
	} {
		if got := didYouMean(tc.word, tc.cands); got != tc.want {
			t.Errorf("didYouMean(%q, %q) = %q, want %q", tc.word, tc.cands, got, tc.want)
		}
	}
}
