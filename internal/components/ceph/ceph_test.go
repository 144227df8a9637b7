package ceph

// The compiled catalog: golden files of the items for examples/lab and
// examples/production, and of a new cluster (go test
// ./internal/components/ceph -update rewrites them); and what the goldens
// do not make obvious: keys only in secret files, every script valid sh,
// the rolling group only while the cluster serves.

import (
	"crypto/sha256"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/secrets"
	"github.com/fundament-cloud/fundament/internal/testutil/catalogtext"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

const fakeFSID = "8a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

// fakeSecret is a recognisable, valid stand-in of every secret: the fsid,
// else a cephx key made of the name's digest.
func fakeSecret(name string) (string, error) {
	if name == secrets.CephFSID {
		return fakeFSID, nil
	}
	sum := sha256.Sum256([]byte(name))
	return secrets.EncodeCephxKey(time.Unix(1700000000, 0), sum[:16]), nil
}

func compile(t *testing.T, c *model.Cloud, probe func(host, script string) (string, error)) *catalog.Catalog {
	t.Helper()
	// Host networking first: the packages wait for the hosts' networks.
	cat, err := catalog.Compile(&catalog.Input{Cloud: c, Secret: fakeSecret, Probe: probe}, hostnet.Component{}, Component{})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// render prints the component's items per host in the order the engine
// applies them; the helpers every script begins with are shown once, in
// the test of the scripts' syntax.
func render(cat *catalog.Catalog) string {
	return catalogtext.Render(cat, catalogtext.Options{Items: catalogtext.Of(name),
		Groups: func(g *catalog.Group) bool { return g.Name == group },
		Text:   func(s string) string { return strings.Replace(s, helpers, "<helpers>\n", 1) }})
}

func TestGoldenLab(t *testing.T) {
	golden.Check(t, "lab.txt", render(compile(t, example.Load(t, "lab"), nil)))
}

func TestGoldenProduction(t *testing.T) {
	golden.Check(t, "production.txt", render(compile(t, example.Load(t, "production"), nil)))
}

// A new cluster (no monitor answers the probe): no rolling group, the
// monitors start on every host at once.
func TestNewClusterDoesNotRoll(t *testing.T) {
	var probed []string
	probe := func(host, script string) (string, error) {
		probed = append(probed, host)
		return "", nil
	}
	cat := compile(t, example.Load(t, "lab"), probe)
	if len(probed) != 3 {
		t.Errorf("probed %v, want the three monitors", probed)
	}
	if cat.Groups[group] != nil {
		t.Errorf("a new cluster has the rolling group %v", cat.Groups[group])
	}
	for _, it := range cat.Items {
		if it.Component == name && it.Group != "" {
			t.Errorf("%s is in group %s", it.Ref(), it.Group)
		}
	}
	// A quorum anywhere: the cluster serves, and rolls.
	serving := compile(t, example.Load(t, "lab"), func(host, script string) (string, error) {
		if host == "stor-2" {
			return `{"quorum_names":["stor-1","stor-2"],"quorum_leader_name":"stor-1"}`, nil
		}
		return "", nil
	})
	if g := serving.Groups[group]; g == nil || strings.Join(g.Hosts, ",") != "stor-1,stor-2,stor-3" {
		t.Errorf("group = %+v", g)
	}
}

// Keys reach hosts only as secret files: never in a script, guard,
// environment or non-secret file.
func TestKeysOnlyInSecretFiles(t *testing.T) {
	for _, ex := range []string{"lab", "production"} {
		c := example.Load(t, ex)
		cat := compile(t, c, nil)
		var values []string
		for _, sp := range secrets.CephSpecs(c) {
			if sp.Name == secrets.CephFSID {
				continue // an identifier: ceph.conf has it
			}
			v, _ := fakeSecret(sp.Name)
			values = append(values, v)
		}
		files := 0
		for _, it := range cat.Items {
			if it.Component != name {
				continue
			}
			var texts []string
			switch r := it.Resource.(type) {
			case resource.Command:
				texts = append(texts, r.Script, r.Guard)
				for k, v := range r.Env {
					texts = append(texts, k+"="+v)
				}
			case resource.File:
				if r.Secret {
					if r.Mode != "0600" {
						t.Errorf("%s: secret file of mode %s", it.Ref(), r.Mode)
					}
					files++
					continue
				}
				texts = append(texts, string(r.Content))
			}
			for _, s := range texts {
				for _, v := range values {
					if strings.Contains(s, v) {
						t.Errorf("%s (%s) holds a key", it.Ref(), ex)
					}
				}
			}
		}
		if files == 0 {
			t.Errorf("%s: no keyring files", ex)
		}
	}
}

// TestScriptsParse runs sh -n over every script and guard (the
// components' registry test does it too, once the component is
// registered), the helpers included.
func TestScriptsParse(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, ex := range []string{"lab", "production"} {
		cat := compile(t, example.Load(t, ex), nil)
		for _, it := range cat.Items {
			cmd, ok := it.Resource.(resource.Command)
			if !ok || it.Component != name {
				continue
			}
			for what, s := range map[string]string{"script": cmd.Script, "guard": cmd.Guard, "observe": cmd.Observe()} {
				c := exec.Command(sh, "-n")
				c.Stdin = strings.NewReader(s)
				if out, err := c.CombinedOutput(); err != nil {
					t.Errorf("%s %s: %v: %s", it.Ref(), what, err, out)
				}
			}
		}
	}
}

// Every client the component knows has its key among the secrets a cloud
// needs.
func TestClientsHaveSecrets(t *testing.T) {
	for _, cl := range clients {
		found := false
		for _, n := range secrets.CephClients {
			found = found || n == cl.Name
		}
		if !found {
			t.Errorf("client %s has no secret (secrets.CephClients)", cl.Name)
		}
	}
	if len(clients) != len(secrets.CephClients) {
		t.Errorf("%d clients, %d client secrets", len(clients), len(secrets.CephClients))
	}
}

func TestClientCaps(t *testing.T) {
	for _, cl := range clients {
		mon, mgr, osd := cl.caps()
		if mon != "profile rbd" || !strings.HasPrefix(osd, "profile rbd") || strings.Contains(osd+mgr, "allow") {
			t.Errorf("%s: mon %q mgr %q osd %q: not minimal", cl.Name, mon, mgr, osd)
		}
	}
	kr, err := ClientKeyring("glance", "KEY")
	if err != nil || kr != "[client.glance]\n\tkey = KEY\n" {
		t.Errorf("ClientKeyring = %q, %v", kr, err)
	}
	if _, err := ClientKeyring("swift", "KEY"); err == nil {
		t.Error("ClientKeyring of an unknown client")
	}
}

func TestCephConf(t *testing.T) {
	top, err := newTopology(example.Load(t, "lab"))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "ceph-lab.conf", cephConf(top, fakeFSID))
}

// The model's options follow Fundament's own: [global] first, then the
// other sections sorted, options sorted.
func TestCephConfModelOptions(t *testing.T) {
	top, err := newTopology(example.Load(t, "lab"))
	if err != nil {
		t.Fatal(err)
	}
	top.Config = map[string]map[string]string{
		"osd":    {"osd_max_backfills": "1", "bluestore_cache_size": "67108864"},
		"global": {"ms_dispatch_throttle_bytes": "104857600"},
		"mgr":    {},
	}
	got := cephConf(top, fakeFSID)
	want := "ms_bind_msgr2 = true\n# From the model (services/ceph.yaml, ceph.config).\nms_dispatch_throttle_bytes = 104857600\n" +
		"[osd]\nbluestore_cache_size = 67108864\nosd_max_backfills = 1\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("ceph.conf ends:\n%s\nwant the end:\n%s", got, want)
	}
}
