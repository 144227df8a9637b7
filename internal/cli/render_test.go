package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const labRepo = "../../examples/lab"

func TestRenderSonicWritesEverySwitch(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := run(t, "render", "sonic", "--repo", labRepo, "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, sw := range []string{"spine-1", "spine-2", "leaf-1", "leaf-2"} {
		p := filepath.Join(out, sw, "config_db.json")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var db map[string]any
		if err := json.Unmarshal(data, &db); err != nil || db["DEVICE_METADATA"] == nil {
			t.Errorf("%s: not a config_db.json: %v", p, err)
		}
		if !strings.Contains(stdout, "wrote "+p) {
			t.Errorf("stdout does not report %s:\n%s", p, stdout)
		}
	}

	// -o json, and -out the Terraform way; named switches only.
	out2 := t.TempDir()
	code, stdout, _ = run(t, "render", "sonic", "leaf-2", "--repo", labRepo, "-out", out2, "-o", "json")
	var report struct {
		Switches []struct{ Switch, Path string } `json:"switches"`
	}
	if code != ExitOK || json.Unmarshal([]byte(stdout), &report) != nil || len(report.Switches) != 1 || report.Switches[0].Switch != "leaf-2" {
		t.Errorf("-o json: exit %d, %s", code, stdout)
	}
}

func TestRenderSonicStdout(t *testing.T) {
	out := t.TempDir()
	run(t, "render", "sonic", "--repo", labRepo, "--out", out)
	code, stdout, stderr := run(t, "render", "sonic", "leaf-1", "--repo", labRepo)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	file, _ := os.ReadFile(filepath.Join(out, "leaf-1", "config_db.json"))
	if stdout != string(file) {
		t.Error("stdout differs from the file --out writes")
	}
}

func TestRenderSonicErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"unknown switch", []string{"leaf-9", "--out", "OUT"}, ExitNotOK,
			`no switch "leaf-9" in network.yaml (switches: spine-1, spine-2, leaf-1, leaf-2); did you mean "leaf-1"?`},
		{"several switches to stdout", []string{}, ExitUsage, "4 switches to render: name one switch"},
		{"diff without current", []string{"--diff"}, ExitUsage, "--diff needs --current"},
		{"current without diff", []string{"--current", "x"}, ExitUsage, "--current goes with --diff"},
		{"diff with out", []string{"--diff", "--current", "x", "--out", "OUT"}, ExitUsage, "leave out --out"},
		{"missing current", []string{"--diff", "--current", "/nonexistent/config_db.json"}, ExitNotOK, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"render", "sonic", "--repo", labRepo}, tt.args...)
			for i, a := range args {
				if a == "OUT" {
					args[i] = t.TempDir()
				}
			}
			code, _, stderr := run(t, args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

func TestRenderSonicInvalidRepo(t *testing.T) {
	code, _, stderr := run(t, "render", "sonic", "--repo", invalidRepo(t), "--out", t.TempDir())
	if code != ExitNotOK || !strings.Contains(stderr, "invalid") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestRenderSonicDiff(t *testing.T) {
	dir := t.TempDir()
	run(t, "render", "sonic", "--repo", labRepo, "--out", dir)

	// Unchanged: exit 0 for the whole directory.
	code, stdout, stderr := run(t, "render", "sonic", "--repo", labRepo, "--diff", "--current", dir)
	if code != ExitOK || strings.Count(stdout, ": no changes") != 4 {
		t.Fatalf("unchanged: exit %d\n%s%s", code, stdout, stderr)
	}

	// One switch drifted: exit 3 (changes), per table, key and field.
	p := filepath.Join(dir, "leaf-1", "config_db.json")
	var db map[string]map[string]map[string]any
	data, _ := os.ReadFile(p)
	json.Unmarshal(data, &db)
	db["PORT"]["Ethernet0"]["admin_status"] = "down"
	delete(db["BGP_NEIGHBOR"], "default|Ethernet48")
	db["VLAN"]["Vlan99"] = map[string]any{"vlanid": "99"}
	db["FEATURE"] = map[string]map[string]any{"bgp": {"state": "enabled"}}
	data, _ = json.Marshal(db)
	os.WriteFile(p, data, 0o644)

	code, stdout, _ = run(t, "render", "sonic", "--repo", labRepo, "--diff", "--current", dir)
	for _, want := range []string{
		"leaf-1: 1 to add, 1 to change, 1 to remove",
		"  ~ PORT Ethernet0\n      admin_status: \"down\" -> \"up\"",
		"  + BGP_NEIGHBOR default|Ethernet48",
		"  - VLAN Vlan99",
		"(1 table Fundament does not manage is left as it is: FEATURE)",
		"leaf-2: no changes",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("diff lacks %q:\n%s", want, stdout)
		}
	}
	if code != ExitChanges {
		t.Errorf("exit %d, want %d", code, ExitChanges)
	}

	// A single file finds its switch by hostname; -o json.
	code, stdout, _ = run(t, "render", "sonic", "--repo", labRepo, "--diff", "--current", p, "-o", "json")
	var report struct {
		Switches []switchDiff `json:"switches"`
		Changes  int          `json:"changes"`
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if code != ExitChanges || report.Changes != 3 || len(report.Switches) != 1 || report.Switches[0].Switch != "leaf-1" {
		t.Errorf("exit %d, report %+v", code, report)
	}

	// Named explicitly, the file is compared with that switch.
	code, stdout, _ = run(t, "render", "sonic", "leaf-2", "--repo", labRepo, "--diff", "--current", filepath.Join(dir, "leaf-2", "config_db.json"))
	if code != ExitOK || !strings.Contains(stdout, "leaf-2: no changes") {
		t.Errorf("named: exit %d\n%s", code, stdout)
	}

	// A file of no known switch.
	other := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(other, []byte(`{"DEVICE_METADATA": {"localhost": {"hostname": "tor-7"}}}`), 0o644)
	code, _, stderr = run(t, "render", "sonic", "--repo", labRepo, "--diff", "--current", other)
	if code != ExitNotOK || !strings.Contains(stderr, `is the config of "tor-7"`) {
		t.Errorf("unknown hostname: exit %d %s", code, stderr)
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	code, _, stderr := run(t, "render", "cisco", "--repo", labRepo)
	if code != ExitUsage || !strings.Contains(stderr, `unknown command "cisco" for "fundament render"`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
