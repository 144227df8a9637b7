package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/diag"
)

const validRepo = "../validate/testdata/base"

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Execute(args, &out, &errb)
	return code, out.String(), errb.String()
}

// invalidRepo copies the valid base and breaks one address.
func invalidRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, validRepo, dir)
	p := filepath.Join(dir, "inventory", "compute.yaml")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(data, []byte("mtu: 9000"), []byte("mtu: lots"), 1), 0o644)
	return dir
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExitCodes(t *testing.T) {
	bad := invalidRepo(t)
	tests := []struct {
		name string
		args []string
		code int
		out  string // substring of stdout+stderr
	}{
		{"valid", []string{"validate", "--repo", validRepo}, ExitOK, "valid: cloud \"base\""},
		{"invalid", []string{"validate", "--repo", bad}, ExitNotOK, "inventory/compute.yaml:7:53: error: hosts[0].interfaces[1].mtu: expected an integer, got string \"lots\" [schema.type]"},
		{"missing repo", []string{"validate", "--repo", "/nonexistent"}, ExitNotOK, "cloud.yaml: error: missing"},
		{"unknown flag", []string{"validate", "--bogus"}, ExitUsage, "unknown flag: --bogus"},
		{"unknown command", []string{"deploy-everything"}, ExitUsage, "unknown command"},
		{"bad output format", []string{"validate", "-o", "yaml"}, ExitUsage, "use text or json"},
		{"extra argument", []string{"validate", "extra"}, ExitUsage, "unknown command \"extra\""},
		{"init without dir", []string{"init"}, ExitUsage, "accepts 1 arg"},
		{"init unknown template", []string{"init", "--template", "huge", t.TempDir()}, ExitUsage, "unknown template \"huge\""},
		{"version", []string{"version"}, ExitOK, "release streams: [2025.1]"},
		{"inventory invalid", []string{"inventory", "--repo", bad}, ExitNotOK, "is invalid"},
		{"secrets show usage", []string{"secrets", "show"}, ExitUsage, "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errs)
			}
			if !strings.Contains(out+errs, tt.out) {
				t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", tt.out, out, errs)
			}
			if strings.Contains(out+errs, "goroutine ") || strings.Contains(out+errs, "panic") {
				t.Errorf("stack trace in output:\n%s%s", out, errs)
			}
		})
	}
}

func TestValidateJSON(t *testing.T) {
	code, out, _ := run(t, "validate", "--repo", invalidRepo(t), "-o", "json")
	if code != ExitNotOK {
		t.Fatalf("exit %d", code)
	}
	var rep struct {
		Valid       bool             `json:"valid"`
		Diagnostics []map[string]any `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Valid || len(rep.Diagnostics) != 1 {
		t.Fatalf("got %+v", rep)
	}
	d := rep.Diagnostics[0]
	for _, k := range []string{"file", "line", "column", "severity", "rule", "message"} {
		if _, ok := d[k]; !ok {
			t.Errorf("diagnostic lacks %q: %v", k, d)
		}
	}
	if d["file"] != "inventory/compute.yaml" || d["line"] != 7.0 || d["severity"] != "error" || d["rule"] != "schema.type" {
		t.Errorf("unexpected diagnostic %v", d)
	}

	code, out, _ = run(t, "validate", "--repo", validRepo, "-o", "json")
	var ok diag.Report
	if code != ExitOK || json.Unmarshal([]byte(out), &ok) != nil || !ok.Valid || ok.Diagnostics == nil {
		t.Errorf("valid repo: exit %d, %s", code, out)
	}
}

func TestInventory(t *testing.T) {
	code, out, errs := run(t, "inventory", "--repo", validRepo)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"ctl-1", "control,network", "10.10.0.11", "galera", "ovn-central", "stor-3", "ceph-osd", "spine-1", "4200000001"} {
		if !strings.Contains(out, want) {
			t.Errorf("inventory lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, "inventory", "--repo", validRepo, "-o", "json")
	var inv inventoryJSON
	if code != ExitOK || json.Unmarshal([]byte(out), &inv) != nil {
		t.Fatalf("exit %d: %s", code, out)
	}
	hosts := map[string]hostJSON{}
	for _, h := range inv.Hosts {
		hosts[h.Name] = h
	}
	if got := strings.Join(hosts["cmp-1"].Services, ","); !strings.Contains(got, "nova-compute") || strings.Contains(got, "galera") {
		t.Errorf("cmp-1 services: %s", got)
	}
	if hosts["ctl-1"].SSHUser != "fundament" || hosts["cmp-1"].SSHUser != "root" {
		t.Errorf("ssh users: %q %q (file defaults apply per file)", hosts["ctl-1"].SSHUser, hosts["cmp-1"].SSHUser)
	}
}

func TestSecretsNeverPlaintextInRepo(t *testing.T) {
	repo := t.TempDir()
	copyTree(t, validRepo, repo)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("FUNDAMENT_AGE_IDENTITY", "")

	code, out, errs := run(t, "secrets", "generate", "--repo", repo)
	if code != ExitOK || !strings.Contains(out, "created keystone-admin") {
		t.Fatalf("generate: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = run(t, "secrets", "generate", "--repo", repo)
	if code != ExitOK || !strings.Contains(out, "nothing to do") {
		t.Fatalf("second generate: exit %d\n%s", code, out)
	}
	code, out, errs = run(t, "secrets", "show", "keystone-admin", "--repo", repo)
	value := strings.TrimSpace(out)
	if code != ExitOK || len(value) < 16 {
		// Never print the value: secrets stay out of test output too.
		t.Fatalf("show: exit %d, value of %d characters, stderr %s", code, len(value), errs)
	}
	code, out, _ = run(t, "secrets", "list", "--repo", repo)
	if strings.Contains(out, value) {
		t.Fatal("secrets list printed a secret value")
	}
	if code != ExitOK || !strings.Contains(out, "present") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	// The value must appear nowhere in the repository.
	filepath.WalkDir(repo, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			if bytes.Contains(data, []byte(value)) {
				t.Errorf("plaintext secret in %s", p)
			}
		}
		return nil
	})
	code, _, errs = run(t, "secrets", "show", "no-such-secret", "--repo", repo)
	if code != ExitNotOK || errs == "" {
		t.Errorf("show unknown: exit %d %s", code, errs)
	}
}

func TestEveryCommandHasHelpAndExamples(t *testing.T) {
	root := newRoot(&bytes.Buffer{}, &bytes.Buffer{})
	for _, c := range allCommands(root) {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		if c.Short == "" {
			t.Errorf("%s has no short help", c.CommandPath())
		}
		if c.Example == "" {
			t.Errorf("%s has no examples", c.CommandPath())
		}
	}
}
