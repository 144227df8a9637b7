package validate

import (
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
)

const cmpWithoutStorage = `hosts:
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
    disks:
      - {device: /dev/sdb}
      - {device: /dev/sdc}
`

func TestServiceNetworkEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // lines that must appear
		not   []string // texts that must not
	}{{
		name: "role-network-missing already reports the host and network role",
		files: map[string]string{
			"inventory/compute.yaml": cmpWithoutStorage,
			"services/ceph.yaml":     "ceph:\n  osds:\n    hosts: {roles: [storage, compute]}\n    devices: [/dev/sdb, /dev/sdc]\n",
		},
		want: []string{
			"inventory/compute.yaml:3:13: error: host cmp-1 is not attached to a storage_public network, which role compute needs while Ceph is enabled; attach it to storage [role-network-missing]",
			"inventory/compute.yaml:2:11: error: host cmp-1 is not attached to a storage_cluster network, which ceph-osd (ceph.osds.hosts at services/ceph.yaml:3:12) needs on its hosts; attach it to replication, or place ceph-osd on other hosts [service-network-missing]",
		},
		not: []string{"storage_public network, which ceph-osd"},
	}, {
		name: "a virtual IP's network the host's roles need and it lacks is role-network-missing's",
		files: map[string]string{
			"inventory/compute.yaml":       strings.Replace(cmpWithoutStorage, "      internal: {interface: eth1, address: 10.20.0.21}\n", "      storage: {interface: eth1, address: 10.30.0.21}\n", 1),
			"services/infrastructure.yaml": "loadbalancer:\n  placement: {hosts: [ctl-1, ctl-2, cmp-1]}\n",
		},
		want: []string{
			"inventory/compute.yaml:3:13: error: host cmp-1 is not attached to an internal_api network, which role compute needs; attach it to internal [role-network-missing]",
			"inventory/compute.yaml:2:11: error: host cmp-1 is not attached to network public, but it runs loadbalancer (loadbalancer.placement at services/infrastructure.yaml:2:14), which holds virtual IP public (network.yaml:38:46) there; attach the host to public, or place loadbalancer on other hosts [service-network-missing]",
		},
		not: []string{"network internal, but"},
	}, {
		name: "a network role no network has is reported once",
		files: map[string]string{
			"inventory/storage.yaml": "",
			"inventory/compute.yaml": cmpWithoutStorage,
			"network.yaml": `networks:
  - {name: mgmt, role: management, prefix: 10.10.0.0/24, gateway: 10.10.0.1}
  - {name: internal, role: internal_api, prefix: 10.20.0.0/24, vlan: 20}
  - {name: storage, role: storage_public, prefix: 10.30.0.0/24, vlan: 30, mtu: 9000}
  - {name: tunnel, role: tunnel, prefix: 10.40.0.0/24, vlan: 40, mtu: 9000}
  - {name: public, role: external, prefix: 203.0.113.0/24, vlan: 100, gateway: 203.0.113.1}
`,
			"services/ceph.yaml": "ceph:\n  osds:\n    hosts: {roles: [compute]}\n    devices: [/dev/sdb]\n  pools:\n    - {name: volumes, size: 1, min_size: 1}\n",
			"cloud.yaml":         "name: base\nprofile: lab\ndomain: base.example.org\nregions: [{name: RegionOne, availability_zones: [{name: az1}]}]\n",
		},
		want: []string{
			"network.yaml:2:3: error: no network has role storage_cluster, which ceph-osd (ceph.osds.hosts at services/ceph.yaml:3:12) needs on its hosts (host cmp-1); add a network with role: storage_cluster [service-network-missing]",
		},
		not: []string{"host cmp-1 is not attached to a storage_cluster"},
	}, {
		name: "glance and cinder off Ceph need no storage network",
		files: map[string]string{
			"inventory/control.yaml":  strings.ReplaceAll(readBase(t, "inventory/control.yaml"), "      storage: {interface: eth1, address: 10.30.0.1", "      # no storage: 10.30.0.1"),
			"services/ceph.yaml":      "ceph:\n  monitors: {roles: [storage]}\n  managers: {roles: [storage]}\n  osds:\n    devices: [/dev/sdb, /dev/sdc]\n",
			"services/openstack.yaml": "openstack:\n  glance: {backend: file}\n  cinder: {backend: lvm}\n",
		},
		not: []string{"[service-network-missing]"},
	}, {
		name: "with Ceph disabled nothing needs a storage network",
		files: map[string]string{
			"inventory/control.yaml": strings.ReplaceAll(readBase(t, "inventory/control.yaml"), "      storage: {interface: eth1, address: 10.30.0.1", "      # no storage: 10.30.0.1"),
			"services/ceph.yaml":     "ceph:\n  enabled: false\n",
		},
		not: []string{"[service-network-missing]"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := diagnose(t, baseWith(t, tc.files))
			lines := strings.Split(got, "\n")
			for _, w := range tc.want {
				if !slices.Contains(lines, w) {
					t.Errorf("missing diagnostic\n%s\ngot:\n%s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q in:\n%s", n, got)
				}
			}
		})
	}
}

func readBase(t *testing.T, name string) string {
	t.Helper()
	data, err := baseWith(t, nil).ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// OSD devices come from per_host, else devices, else the disks marked osd.
func TestOSDDevices(t *testing.T) {
	storage := strings.Replace(readBase(t, "inventory/storage.yaml"), "      - {device: /dev/sdc}\n", "      - {device: /dev/sdc, osd: true}\n", -1)
	for _, tc := range []struct {
		ceph   string
		host   string
		want   []string
		source string
	}{
		{"ceph:\n  osds:\n    devices: [/dev/sdb]\n    per_host: {stor-1: [/dev/sdc]}\n", "stor-1", []string{"/dev/sdc"}, model.OSDSourcePerHost},
		{"ceph:\n  osds:\n    devices: [/dev/sdb]\n    per_host: {stor-1: []}\n", "stor-1", []string{}, model.OSDSourcePerHost},
		{"ceph:\n  osds:\n    devices: [/dev/sdb]\n    per_host: {stor-1: [/dev/sdc]}\n", "stor-2", []string{"/dev/sdb"}, model.OSDSourceDevices},
		{"ceph:\n  osds:\n    per_host: {stor-1: [/dev/sdb]}\n", "stor-2", []string{"/dev/sdc"}, model.OSDSourceDisks},
		{"ceph: {}\n", "stor-3", []string{"/dev/sdc"}, model.OSDSourceDisks},
	} {
		c, d := model.LoadFS(baseWith(t, map[string]string{"services/ceph.yaml": tc.ceph, "inventory/storage.yaml": storage}))
		if d.HasErrors() {
			t.Fatalf("%s", render(d))
		}
		got, source := c.OSDDevices(c.HostsByName()[tc.host])
		if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) || source != tc.source {
			t.Errorf("%q: OSDDevices(%s) = %q, %s; want %q, %s", tc.ceph, tc.host, got, source, tc.want, tc.source)
		}
	}
	// The base with osd marks and no devices in ceph.yaml is valid.
	if got := diagnose(t, baseWith(t, map[string]string{"services/ceph.yaml": "ceph: {}\n", "inventory/storage.yaml": storage})); got != "" {
		t.Errorf("disks marked osd: true should satisfy Ceph, got:\n%s", got)
	}
}

// Inventory defaults fill the BMC's type and credentials into hosts that
// have a bmc, and leave the others without one.
func TestBMCDefaults(t *testing.T) {
	control := strings.Replace(readBase(t, "inventory/control.yaml"), "defaults:\n  ssh: {user: fundament}\n",
		"defaults:\n  ssh: {user: fundament}\n  bmc: {type: ipmi, credentials_secret: bmc-admin}\n", 1)
	control = strings.Replace(control, "    rack: r1\n", "    rack: r1\n    bmc: {address: 10.9.0.11}\n", 1)
	control = strings.Replace(control, "    rack: r2\n", "    rack: r2\n    bmc: {address: 10.9.0.12, type: redfish, credentials_secret: own}\n", 1)
	c, d := model.LoadFS(baseWith(t, map[string]string{"inventory/control.yaml": control}))
	d.Append(Validate(c))
	if got := render(d); got != "" {
		t.Fatalf("unexpected diagnostics:\n%s", got)
	}
	hosts := c.HostsByName()
	if b := hosts["ctl-1"].BMC; b == nil || b.Type != "ipmi" || b.CredentialsSecret != "bmc-admin" {
		t.Errorf("ctl-1 bmc = %+v, want the file's defaults ipmi and bmc-admin", b)
	}
	if b := hosts["ctl-2"].BMC; b == nil || b.Type != "redfish" || b.CredentialsSecret != "own" {
		t.Errorf("ctl-2 bmc = %+v, want its own redfish and own", b)
	}
	if b := hosts["ctl-3"].BMC; b != nil {
		t.Errorf("ctl-3 has no bmc, defaults gave it %+v", b)
	}
	if b := hosts["stor-1"].BMC; b != nil {
		t.Errorf("stor-1 (another file) got bmc %+v", b)
	}
	// address belongs to the host.
	bad := strings.Replace(control, "  bmc: {type: ipmi,", "  bmc: {address: 10.9.0.1, type: ipmi,", 1)
	c, d = model.LoadFS(baseWith(t, map[string]string{"inventory/control.yaml": bad}))
	if got := render(d); !strings.Contains(got, `unknown field "address" in defaults.bmc`) {
		t.Errorf("defaults.bmc.address should be an unknown field, got:\n%s", got)
	}
}
