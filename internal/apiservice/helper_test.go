package apiservice

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// helpers are the services' helpers as their packages write them: this
// package's part and theirs (read from their directories: they import
// this package).
func helperOf(t *testing.T, service string) string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	own, err := os.ReadFile(filepath.Join("..", "components", service, "helper.py"))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), service+"-helper.py")
	if err := os.WriteFile(script, []byte(Helper(string(own))), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// TestHelperHealth runs each service's health command against a
// stand-in of the service's two answers it reads: the version document
// and the refusal of a request without a token.
func TestHelperHealth(t *testing.T) {
	for _, tc := range []struct {
		service, protected string
		status             int // of the version document
		versions, want     string
	}{
		{"placement", "/resource_providers", http.StatusOK,
			`{"versions": [{"id": "v1.0", "max_version": "1.39", "min_version": "1.0"}]}`, "1.39"},
		{"glance", "/v2/images", http.StatusMultipleChoices,
			`{"versions": [{"id": "v2.16", "status": "SUPPORTED"}, {"id": "v2.17", "status": "CURRENT"}]}`, "v2.17"},
	} {
		t.Run(tc.service, func(t *testing.T) {
			script := helperOf(t, tc.service)
			authenticated := true
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/":
					w.WriteHeader(tc.status)
					w.Write([]byte(tc.versions))
				case r.URL.Path == tc.protected && authenticated && r.Header.Get("X-Auth-Token") == "":
					w.WriteHeader(http.StatusUnauthorized)
				default:
					w.Write([]byte(`{}`))
				}
			}))
			defer srv.Close()
			ask := func() URLResult {
				out, err := exec.Command("python3", script, "health", srv.URL).Output()
				if err != nil {
					t.Fatalf("health: %v", err)
				}
				var res map[string]URLResult
				if err := json.Unmarshal(out, &res); err != nil {
					t.Fatalf("health printed %q: %v", out, err)
				}
				return res[srv.URL]
			}
			if r := ask(); !r.OK || r.Version != tc.want || r.Error != "" {
				t.Errorf("a %s that asks for tokens: %+v", tc.service, r)
			}
			authenticated = false
			if r := ask(); r.OK || r.Error == "" {
				t.Errorf("a %s that serves without a token: %+v", tc.service, r)
			}
			srv.Close()
			if r := ask(); r.OK || r.Error == "" {
				t.Errorf("a %s that does not answer: %+v", tc.service, r)
			}
		})
	}
}

// TestHelperHeads: the heads each service's schema guard wants, from
// migrations laid out as the service's are: Placement's one branch
// (every tip), Glance's expand and contract branches (the contract head,
// which depends on the expand head, as glance-manage db check wants).
func TestHelperHeads(t *testing.T) {
	for _, tc := range []struct {
		service string
		files   map[string]string
		want    string
	}{
		{"placement", map[string]string{
			"b4ed3a175331_initial.py": "revision = 'b4ed3a175331'\ndown_revision = None\n",
			"a082b8bb98d0_drop.py":    "revision = 'a082b8bb98d0'\ndown_revision = 'b4ed3a175331'  # the next\n",
			"fb7c26b5cec8_add.py":     "revision = \"fb7c26b5cec8\"\ndown_revision = 'a082b8bb98d0'\n",
		}, "['fb7c26b5cec8']"},
		{"glance", map[string]string{
			"liberty_initial.py":         "revision = 'liberty'\ndown_revision = None\ndepends_on = None\n",
			"2023_1_expand01_empty.py":   "revision = '2023_1_expand01'\ndown_revision = 'liberty'\ndepends_on = None\n",
			"2023_1_contract01_empty.py": "revision = '2023_1_contract01'\ndown_revision = 'liberty'\ndepends_on = '2023_1_expand01'\n",
			"2024_1_expand01_add.py":     "revision = '2024_1_expand01'\ndown_revision = '2023_1_expand01'\ndepends_on = None\n",
			"2024_1_contract01_empty.py": "revision = '2024_1_contract01'\ndown_revision = '2023_1_contract01'\ndepends_on = '2024_1_expand01'\n",
			"__init__.py":                "",
		}, "['2024_1_contract01']"},
	} {
		t.Run(tc.service, func(t *testing.T) {
			script := helperOf(t, tc.service)
			dir := t.TempDir()
			for name, text := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// The script's functions with versions_dir pointing here.
			probe := "import sys\ng = {'__name__': 'helper'}\nexec(open(sys.argv[1]).read(), g)\n" +
				"g['versions_dir'] = lambda *path: sys.argv[2]\nprint(sorted(g['heads']()))\n"
			out, err := exec.Command("python3", "-c", probe, script, dir).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != tc.want {
				t.Errorf("heads %s, want %s", got, tc.want)
			}
		})
	}
}
