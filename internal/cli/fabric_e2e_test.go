package cli

// The fabric's integration test: the topology of examples/lab (2 spines,
// 2 leaves, 8 hosts) on its own addresses, with the full image (FRR), then
// fundament apply configures the switches and fundament status checks
// them. Root and the lab's needs, as TestLabLifecycle.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/health"
)

// labCopy copies examples/lab into a temporary repository with the
// addresses moved from 10.199.x to 10.<second>.x and another cloud name,
// so that it can run beside the lab of examples/lab.
func labCopy(t *testing.T, second, name string) string {
	t.Helper()
	repo := t.TempDir()
	src := "../../examples/lab"
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && d.Name() == ".fundament" {
			if err == nil {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(repo, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := strings.ReplaceAll(string(b), "10.199.", "10."+second+".")
		s = strings.Replace(s, "\nname: lab\n", "\nname: "+name+"\n", 1)
		return os.WriteFile(filepath.Join(repo, rel), []byte(s), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func (lt *labTest) status() (health.Status, []health.Result) {
	lt.t.Helper()
	out, _ := lt.fm("status", "--component", "fabric,hostnet", "-o", "json")
	var st struct {
		Status  string          `json:"status"`
		Results []health.Result `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		lt.t.Fatalf("status -o json: %v: %s", err, out)
	}
	worst := health.OK
	for _, r := range st.Results {
		worst = max(worst, r.Status)
	}
	return worst, st.Results
}

func TestLabFabric(t *testing.T) {
	requireLab(t)
	repo := labCopy(t, "196", "fabtest")
	lt := &labTest{t: t, repo: repo, labDir: filepath.Join(t.TempDir(), "lab"), prefix: "fmf"}
	defer func() { t.Log("timings:\n  " + strings.Join(lt.timings, "\n  ")) }()
	lt.fm("lab", "down")
	t.Cleanup(func() { lt.fm("lab", "down") })

	start := time.Now()
	// The fabric and the hosts' networks (not OVN: TestLabOVN).
	out := lt.must("lab", "up", "--component", "fabric,hostnet")
	lt.timed("lab up with apply (12 nodes, full image)", start)
	contains(t, "lab up", out, "12 nodes up and reachable over SSH", "Apply complete")

	// BGP needs a few seconds after FRR starts.
	var results []health.Result
	waitFor(t, "every BGP session and loopback", func() bool {
		var worst health.Status
		worst, results = lt.status()
		return worst == health.OK && len(results) == 8
	})
	lt.timed("lab up to a healthy fabric", start)

	t.Run("re-apply is a no-op", func(t *testing.T) {
		if _, err := lt.fm("plan", "--component", "fabric,hostnet", "--detailed-exitcode"); err != nil {
			t.Errorf("plan after apply: %v", err)
		}
	})

	t.Run("every switch loopback from every host", func(t *testing.T) {
		// Through the leaves' anycast gateways of the internal and storage
		// networks (hosts route the loopbacks there).
		for _, h := range []string{"ctl-1", "ctl-2", "ctl-3", "cmp-1", "cmp-2", "stor-1", "stor-2", "stor-3"} {
			got := lt.in(h, "for a in 10.0.0.1 10.0.0.2 10.0.0.11 10.0.0.12; do ping -c1 -W2 $a >/dev/null || echo lost $a; done")
			if got != "" {
				t.Errorf("%s: %s", h, got)
			}
		}
	})

	t.Run("a spine uplink cut", func(t *testing.T) {
		lt.must("lab", "cut", "spine-1", "leaf-1")
		waitFor(t, "BGP to notice the cut", func() bool {
			_, rs := lt.status()
			degraded := map[string]bool{}
			for _, r := range rs {
				if r.Check == "bgp-sessions" && r.Status == health.Degraded {
					degraded[r.Target] = true
				}
				if r.Check == "loopbacks" && r.Status != health.OK {
					return false // every loopback stays reachable over spine-2
				}
			}
			return degraded["leaf-1"] && degraded["spine-1"] && len(degraded) == 2
		})
		if got := lt.in("leaf-1", "ip route get 10.0.0.12 | head -1"); !strings.Contains(got, "Ethernet52") {
			t.Errorf("leaf-1 reaches leaf-2's loopback %q, want over Ethernet52 (spine-2)", got)
		}
		lt.must("lab", "heal")
		waitFor(t, "the fabric to heal", func() bool { w, _ := lt.status(); return w == health.OK })
	})

	t.Run("EVPN stretches the leaves' host ports", func(t *testing.T) {
		if got := lt.in("leaf-1", "vtysh -c 'show evpn vni 10000' | grep -c 'Remote VTEPs' || true"); got == "0" {
			t.Errorf("leaf-1 has no EVPN VNI 10000")
		}
		if got := lt.in("leaf-1", "vtysh -c 'show evpn vni 10000 json'"); !strings.Contains(got, "10.0.0.12") {
			t.Errorf("leaf-1 does not know leaf-2 as a VTEP of VNI 10000: %s", got)
		}
	})
}
