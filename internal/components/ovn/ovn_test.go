package ovn

// Golden files of the component's items for examples/lab and
// examples/production, in a readable form (go test ./internal/components/ovn
// -update rewrites them), and the properties the goldens do not make
// obvious: guards, ordering, the rolling group and the tunnel layout.

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/testutil/catalogtext"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

func compile(t *testing.T, c *model.Cloud) *catalog.Catalog {
	t.Helper()
	// Host networking first: in the lab OVN stands on its Open vSwitch.
	cat, err := catalog.Compile(&catalog.Input{Cloud: c}, hostnet.Component{}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// render prints every host's items in the order the engine applies them.
func render(cat *catalog.Catalog) string {
	return catalogtext.Render(cat, catalogtext.Options{
		Items: func(it *catalog.Item) bool { return strings.HasPrefix(it.Component, "ovn") },
		Tag:   func(it *catalog.Item) string { return " [" + it.Component + "]" },
	})
}

func TestGoldenLab(t *testing.T) {
	golden.Check(t, "lab.txt", render(compile(t, example.Load(t, "lab"))))
}

func TestGoldenProduction(t *testing.T) {
	golden.Check(t, "production.txt", render(compile(t, example.Load(t, "production"))))
}

func item(t *testing.T, cat *catalog.Catalog, host, kind, name string) *catalog.Item {
	t.Helper()
	it, ok := cat.Get(catalog.Ref{Host: host, ID: resource.ID{Kind: kind, Name: name}})
	if !ok {
		t.Fatalf("%s has no %s:%s", host, kind, name)
	}
	return it
}

func position(t *testing.T, cat *catalog.Catalog, host, id string) int {
	t.Helper()
	for i, it := range cat.HostItems(host) {
		if it.Resource.ID().String() == id {
			return i
		}
	}
	t.Fatalf("%s has no %s", host, id)
	return -1
}

// TestOrder checks the orders the bootstrap depends on (see central and
// chassis).
func TestOrder(t *testing.T) {
	cat := compile(t, example.Load(t, "lab"))
	before := func(host, a, b string) {
		t.Helper()
		if position(t, cat, host, a) >= position(t, cat, host, b) {
			t.Errorf("on %s, %s must come before %s", host, a, b)
		}
	}
	for _, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
		before(h, "package:ovn-central", "file:/etc/default/ovn-central")
		before(h, "file:/etc/default/ovn-central", "command:ovn/nb-cluster")
		before(h, "command:ovn/sb-cluster", "service:ovn-northd.service")
		// The rolling group's units come after everything else of the
		// central part, so that the gate never waits for a member that
		// waits for the gate.
		before(h, "service:ovn-northd.service", "service:ovn-ovsdb-server-nb.service")
		before(h, "service:ovn-central.service", "service:ovn-ovsdb-server-sb.service")
		// In the lab host networking runs Open vSwitch and makes br-phy.
		before(h, "file:/etc/openvswitch/system-id.conf", "package:ovn-host")
		before(h, "service:ovs-vswitchd.service", "command:hostnet/ovs-layout")
		before(h, "command:hostnet/ovs-layout", "command:ovn/chassis")
	}
	// Members join one after the other, after the creator.
	for _, db := range []string{"nb", "sb"} {
		boot := item(t, cat, "ctl-3", resource.KindCommand, "ovn/"+db+"-cluster")
		want := catalog.Ref{Host: "ctl-2", ID: resource.ID{Kind: resource.KindCommand, Name: "ovn/" + db + "-cluster"}}
		if !slices.Contains(boot.After, want) {
			t.Errorf("ctl-3's %s bootstrap is not after %s: %v", db, want, boot.After)
		}
		if first := item(t, cat, "ctl-1", resource.KindCommand, "ovn/"+db+"-cluster"); len(crossHost(first)) > 0 {
			t.Errorf("the creator's bootstrap waits for another host: %v", first.After)
		}
	}
	g := cat.Groups[centralGroup]
	if g == nil || g.BatchSize != 1 || strings.Join(g.Hosts, ",") != "ctl-1,ctl-2,ctl-3" {
		t.Fatalf("rolling group %+v", g)
	}
	for _, it := range cat.Items {
		in := it.Group == centralGroup
		id := it.Resource.ID()
		db := id.Kind == resource.KindService && strings.HasPrefix(id.Name, "ovn-ovsdb-server-")
		pkg := id.Kind == resource.KindPackage && it.Component == "ovn"
		if in != (db || pkg) {
			t.Errorf("%s in group %q; only the database units and the central packages roll", it.Ref(), it.Group)
		}
	}
	// A package change restarts northd and the databases.
	for _, h := range g.Hosts {
		for _, unit := range []string{"ovn-northd.service", nbDB.Unit, sbDB.Unit} {
			svc := item(t, cat, h, resource.KindService, unit)
			for _, p := range []string{"ovn-common", "ovn-central"} {
				ref := catalog.Ref{Host: h, ID: resource.ID{Kind: resource.KindPackage, Name: p}}
				if !slices.Contains(svc.Subscribes, ref) || !slices.Contains(svc.Resource.(resource.Service).Subscribes, ref.ID) {
					t.Errorf("%s: %s does not restart when %s changes", h, unit, p)
				}
			}
		}
	}
	for _, h := range []string{"cmp-1", "ctl-1"} {
		ctl := item(t, cat, h, resource.KindService, "ovn-controller.service")
		if !slices.Contains(ctl.Subscribes, catalog.Ref{Host: h, ID: resource.ID{Kind: resource.KindPackage, Name: "ovn-host"}}) {
			t.Errorf("%s: ovn-controller does not restart when ovn-host changes (its upgrade makes it exit)", h)
		}
	}
}

// TestPackagesGroupedWhereJoined: a member that serves upgrades its
// packages in the rolling group; one being set up installs them outside,
// or the group's first gate (a majority of members in the clusters) would
// wait for the set-up it holds back.
func TestPackagesGroupedWhereJoined(t *testing.T) {
	probe := func(host, script string) (string, error) {
		if script != joinedScript {
			t.Fatalf("unexpected probe on %s:\n%s", host, script)
		}
		switch host {
		case "ctl-1":
			return "joined\n", nil
		case "ctl-2":
			return "", nil // no clustered database: being set up
		default:
			return "", fmt.Errorf("%s is unreachable", host)
		}
	}
	cat, err := catalog.Compile(&catalog.Input{Cloud: example.Load(t, "lab"), Probe: probe}, hostnet.Component{}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"ctl-1": centralGroup, "ctl-2": "", "ctl-3": centralGroup} {
		for _, p := range []string{"ovn-common", "ovn-central"} {
			if g := item(t, cat, host, resource.KindPackage, p).Group; g != want {
				t.Errorf("%s: %s in group %q, want %q", host, p, g, want)
			}
		}
	}
	for _, script := range []string{joinedScript} {
		if out, err := exec.Command("/bin/sh", "-n", "-c", script).CombinedOutput(); err != nil {
			t.Errorf("sh -n: %v: %s", err, out)
		}
	}
}

func crossHost(it *catalog.Item) []catalog.Ref {
	var out []catalog.Ref
	for _, r := range it.After {
		if r.Host != it.Host {
			out = append(out, r)
		}
	}
	return out
}

// TestBootstrapScripts checks what makes the bootstrap safe: only the
// first member may create, members never create over an existing file,
// and each is guarded by the file being clustered.
func TestBootstrapScripts(t *testing.T) {
	cat := compile(t, example.Load(t, "lab"))
	for i, h := range []string{"ctl-1", "ctl-2", "ctl-3"} {
		for _, db := range databases {
			cmd := item(t, cat, h, resource.KindCommand, "ovn/"+db.Key+"-cluster").Resource.(resource.Command)
			if cmd.Guard != "ovsdb-tool db-is-clustered "+db.File {
				t.Errorf("%s %s guard %q", h, db.Key, cmd.Guard)
			}
			wantCreate := "create=no"
			if i == 0 {
				wantCreate = "create=yes"
			}
			if !strings.Contains(cmd.Script, "\tcreate="+strings.TrimPrefix(wantCreate, "create=")+"\n") {
				t.Errorf("%s %s: want %s", h, db.Key, wantCreate)
			}
			for _, must := range []string{
				`if [ ! -e "$db" ]; then`,
				`ovsdb-tool join-cluster "$db" ` + db.Schema,
				"ovsdb-tool --election-timer=16000 create-cluster",
				`systemctl enable "$unit"`,
			} {
				if !strings.Contains(cmd.Script, must) {
					t.Errorf("%s %s script lacks %q", h, db.Key, must)
				}
			}
			self := fmt.Sprintf("tcp:10.199.20.1%d:%d", i+1, db.RaftPort)
			if !strings.Contains(cmd.Script, self) {
				t.Errorf("%s %s script does not name its RAFT address %s", h, db.Key, self)
			}
		}
		conf := string(item(t, cat, h, resource.KindFile, centralDefaults).Resource.(resource.File).Content)
		peer := fmt.Sprintf("--db-nb-cluster-remote-addr=10.199.20.1%d", (i+1)%3+1)
		for _, must := range []string{peer, fmt.Sprintf("--db-sb-addr=10.199.20.1%d", i+1), "--db-sb-create-insecure-remote=yes",
			"--ovn-northd-sb-db=tcp:10.199.20.11:6642,tcp:10.199.20.12:6642,tcp:10.199.20.13:6642"} {
			if !strings.Contains(conf, must) {
				t.Errorf("%s: /etc/default/ovn-central lacks %s:\n%s", h, must, conf)
			}
		}
	}
}

func TestChassis(t *testing.T) {
	lab := compile(t, example.Load(t, "lab"))
	ids := item(t, lab, "ctl-2", resource.KindCommand, "ovn/chassis").Resource.(resource.Command)
	for _, must := range []string{`external_ids:ovn-encap-ip="10.199.40.12"`, `external_ids:ovn-cms-options="enable-chassis-as-gw"`,
		`external_ids:ovn-bridge-datapath-type="netdev"`, `external_ids:system-id="ctl-2"`,
		`external_ids:ovn-remote="tcp:10.199.20.11:6642,tcp:10.199.20.12:6642,tcp:10.199.20.13:6642"`} {
		if !strings.Contains(ids.Script, must) {
			t.Errorf("ctl-2's chassis script lacks %s:\n%s", must, ids.Script)
		}
	}
	cmp := item(t, lab, "cmp-1", resource.KindCommand, "ovn/chassis").Resource.(resource.Command)
	if !strings.Contains(cmp.Script, "-- remove Open_vSwitch . external_ids ovn-cms-options") {
		t.Errorf("a compute host must not be a gateway:\n%s", cmp.Script)
	}
	if !strings.Contains(cmp.Guard, `[ "$(_fm_ext ovn-cms-options)" = '' ]`) {
		t.Errorf("the guard must check that ovn-cms-options is unset:\n%s", cmp.Guard)
	}
	// In the lab br-phy is host networking's: bond0.40 is a patch port
	// into it from the bond's bridge, tagged 40.
	layout := item(t, lab, "cmp-1", resource.KindFile, "/etc/fundament/hostnet-ovs.sh").Resource.(resource.File)
	for _, must := range []string{"add-port br-phy 'bond0.40' -- set Interface 'bond0.40' type=patch options:peer='bond0.40-p'",
		"set Port 'bond0.40-p' tag=40"} {
		if !strings.Contains(string(layout.Content), must) {
			t.Errorf("cmp-1's Open vSwitch layout lacks %s:\n%s", must, layout.Content)
		}
	}
	if _, ok := lab.Get(catalog.Ref{Host: "cmp-1", ID: resource.ID{Kind: resource.KindCommand, Name: "ovn/br-phy"}}); ok {
		t.Error("in the lab OVN must leave br-phy to host networking")
	}

	prod := compile(t, example.Load(t, "production"))
	if _, ok := prod.Get(catalog.Ref{Host: "cmp-01", ID: resource.ID{Kind: resource.KindCommand, Name: "ovn/br-phy"}}); ok {
		t.Error("production (kernel datapath) has no br-phy")
	}
	if f := item(t, prod, "cmp-01", resource.KindFile, vswitchdDropIn).Resource.(resource.File); !f.Absent {
		t.Error("production must remove the netdev drop-in of ovs-vswitchd")
	}
	pids := item(t, prod, "cmp-01", resource.KindCommand, "ovn/chassis").Resource.(resource.Command)
	if !strings.Contains(pids.Script, "remove Open_vSwitch . external_ids ovn-bridge-datapath-type ovn-cms-options") {
		t.Errorf("production compute: %s", pids.Script)
	}
	if _, ok := prod.Get(catalog.Ref{Host: "stor-01", ID: resource.ID{Kind: resource.KindPackage, Name: "ovn-host"}}); ok {
		t.Error("a storage host is no chassis")
	}
}

func TestTunnelLayout(t *testing.T) {
	lab := example.Load(t, "lab")
	byName := lab.HostsByName()
	for _, tc := range []struct {
		host  string
		iface string
		brPhy bool
	}{
		{"cmp-1", "bond0.40", true},
		{"ctl-3", "bond0.40", true},
		{"stor-1", "", false},
	} {
		iface, brPhy := TunnelLayout(lab, byName[tc.host])
		if iface != tc.iface || brPhy != tc.brPhy {
			t.Errorf("%s: TunnelLayout = %q, %t; want %q, %t", tc.host, iface, brPhy, tc.iface, tc.brPhy)
		}
	}
	prod := example.Load(t, "production")
	if iface, brPhy := TunnelLayout(prod, prod.HostsByName()["cmp-01"]); iface != "bond0.40" || brPhy {
		t.Errorf("production cmp-01: %q, %t; want bond0.40 without br-phy", iface, brPhy)
	}
	// Untagged: the parent itself.
	for _, n := range lab.Network.Networks {
		if n.Role == model.NetTunnel {
			n.VLAN = 0
		}
	}
	if iface, _ := TunnelLayout(lab, byName["cmp-1"]); iface != "bond0" {
		t.Errorf("untagged tunnel network: %q, want bond0", iface)
	}
}

func TestModelProblems(t *testing.T) {
	c := example.Load(t, "lab")
	c.Services.OVN.Gateways = model.Placement{Hosts: []string{"stor-1"}}
	if _, err := catalog.Compile(&catalog.Input{Cloud: c}, Component{}); err == nil || !strings.Contains(err.Error(), "gateway stor-1 (ovn.gateways) is no chassis") {
		t.Errorf("got %v", err)
	}
	c = example.Load(t, "lab")
	c.Services.OVN.Central = model.Placement{Hosts: []string{"stor-1"}}
	if _, err := catalog.Compile(&catalog.Input{Cloud: c}, Component{}); err == nil || !strings.Contains(err.Error(), "central host stor-1 has no address on an internal_api network") {
		t.Errorf("got %v", err)
	}
	c = example.Load(t, "lab")
	c.Spec.Release = "1999.1"
	if _, err := catalog.Compile(&catalog.Input{Cloud: c}, Component{}); err == nil || !strings.Contains(err.Error(), `release stream "1999.1"`) {
		t.Errorf("got %v", err)
	}
	checks := Component{}.HealthChecks(c)
	if len(checks) != 4 {
		t.Fatalf("%d checks", len(checks))
	}
	c = example.Load(t, "lab")
	c.Services.OVN.Central = model.Placement{Hosts: []string{"stor-1"}}
	checks = Component{}.HealthChecks(c)
	if len(checks) != 1 || checks[0].Name != "ovn-model" {
		t.Fatalf("a broken model must give one check that says why: %+v", checks)
	}
}
