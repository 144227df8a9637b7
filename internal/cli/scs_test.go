package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

// The fixtures and golden files live with the scs package.
const scsTestdata = "../scs/testdata"

// scsNames cover each part, the v1 syntax, warnings and errors.
var scsNames = []string{
	"SCS-2V-4-20s",
	"SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib",
	"SCS-16V-128_GA3-304-192h",
	"SCS-1L-1u-5",
	"SCS-2V:4:20s",
	"SCS-02V-4",
	"SCS-4V-16_GNah_ib",
	"SCS-2iT-4-10n",
	"SCS-4V-16_GNa_ib",
	"SCS-2C-4-n_bms_3",
	"m1.small",
}

func TestSCSGolden(t *testing.T) {
	images := filepath.Join(scsTestdata, "images")
	tests := []struct {
		golden string
		args   []string
		code   int
	}{
		{"flavor-name.txt", append([]string{"scs", "flavor-name"}, scsNames...), ExitNotOK},
		{"flavor-name.json", append([]string{"scs", "flavor-name", "-o", "json"}, scsNames...), ExitNotOK},
		{"flavor-name-valid.txt", []string{"scs", "flavor-name", "SCS-2V-4", "SCS-4C-16-2x200p_a1"}, ExitOK},
		{"flavors.txt", []string{"scs", "flavors"}, ExitOK},
		{"flavors-recommended.txt", []string{"scs", "flavors", "--recommended"}, ExitOK},
		{"flavors-recommended.json", []string{"scs", "flavors", "--recommended", "-o", "json"}, ExitOK},
		{"flavors-recommended.yaml", []string{"scs", "flavors", "--recommended", "-o", "yaml"}, ExitOK},
		{"image-check.txt", []string{"scs", "image-check", filepath.Join(images, "cloud.yaml"), "--now", "2026-08-21", "--complete"}, ExitNotOK},
		{"image-check.json", []string{"scs", "image-check", filepath.Join(images, "cloud.yaml"), "--now", "2026-08-21T12:00:00Z", "--complete", "-o", "json"}, ExitNotOK},
		{"image-check-next.txt", []string{"scs", "image-check", filepath.Join(images, "cloud.yaml"), "--now", "2026-08-21", "--scope", "next"}, ExitNotOK},
		{"image-check-one.txt", []string{"scs", "image-check", filepath.Join(images, "ubuntu-2404.json"), "--now", "2026-08-21"}, ExitOK},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			if errOut != "" {
				out += "--- stderr\n" + errOut
			}
			golden.CheckFile(t, filepath.Join(scsTestdata, "cli", tc.golden), out)
		})
	}
}

func TestSCSExitCodes(t *testing.T) {
	cloud := filepath.Join(scsTestdata, "images", "cloud.yaml")
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"scs", "flavor-name", "SCS-2V-4", "SCS-1L-1"}, ExitOK, ""},
		{[]string{"scs", "flavor-name", "SCS-2V:4"}, ExitOK, ""}, // v1: valid with a warning
		{[]string{"scs", "flavor-name", "SCS-2V-4", "SCS-2V4"}, ExitNotOK, ""},
		{[]string{"scs", "flavor-name"}, ExitUsage, "requires at least 1 arg"},
		{[]string{"scs", "flavor-name", "SCS-2V-4", "-o", "yaml"}, ExitUsage, `invalid value "yaml" for -o/--output: use text or json`},
		{[]string{"scs", "flavors", "-o", "xml"}, ExitUsage, "use text, json or yaml"},
		{[]string{"scs", "flavors", "extra"}, ExitUsage, "unknown command"},
		{[]string{"scs", "image-check", cloud, "--scope", "v3"}, ExitUsage, `unknown scope "v3"`},
		{[]string{"scs", "image-check", cloud, "--now", "yesterday"}, ExitUsage, `invalid value "yesterday" for --now`},
		{[]string{"scs", "image-check", "no-such-file.yaml"}, ExitNotOK, "no such file"},
		{[]string{"scs", "image-check", filepath.Join(scsTestdata, "cli", "flavors.txt")}, ExitNotOK, "expected an image"},
		{[]string{"scs", "image-check"}, ExitUsage, "accepts 1 arg"},
	}
	for _, tc := range tests {
		code, _, errOut := run(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d, want %d; stderr %q, want %q", tc.args, code, tc.code, errOut, tc.err)
		}
	}
}

// TestSCSFlavorNameJSONShape: every object has the fields the issue
// lists, with their JSON types.
func TestSCSFlavorNameJSONShape(t *testing.T) {
	_, out, _ := run(t, append([]string{"scs", "flavor-name", "-o", "json"}, scsNames...)...)
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != len(scsNames) {
		t.Fatalf("%d objects for %d names", len(list), len(scsNames))
	}
	kinds := map[string]string{
		"name": "string", "valid": "bool", "error": "string", "warnings": "array", "cpus": "number", "cpu_type": "string",
		"insecure": "bool", "ram_gib": "number", "ram_no_ecc": "bool", "ram_oversubscribed": "bool", "disks": "array",
		"hypervisor": "string", "hw_virt": "bool", "cpu_vendor": "string", "gpu": "object|null", "infiniband": "bool",
		"short_name": "string",
	}
	for i, obj := range list {
		if obj["name"] != scsNames[i] {
			t.Errorf("object %d is %v", i, obj["name"])
		}
		for k, kind := range kinds {
			v, ok := obj[k]
			if !ok || !strings.Contains(kind, jsonKind(v)) {
				t.Errorf("%s: %s is %v (%s), want %s", scsNames[i], k, v, jsonKind(v), kind)
			}
		}
		for _, d := range obj["disks"].([]any) {
			disk := d.(map[string]any)
			if jsonKind(disk["count"]) != "number" || jsonKind(disk["size_gb"]) != "number" ||
				!slices.Contains([]string{"n", "h", "s", "p", ""}, disk["type"].(string)) {
				t.Errorf("%s: disk %v", scsNames[i], disk)
			}
		}
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "?"
}
