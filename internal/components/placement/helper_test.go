package placement

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestHelperHealth runs helper.py's health command against a stand-in
// of Placement's two answers it reads: the version document and the
// refusal of a request without a token.
func TestHelperHealth(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	authenticated := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/":
			w.Write([]byte(`{"versions": [{"id": "v1.0", "max_version": "1.39", "min_version": "1.0"}]}`))
		case r.URL.Path == "/resource_providers" && authenticated && r.Header.Get("X-Auth-Token") == "":
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.Write([]byte(`{"resource_providers": []}`))
		}
	}))
	defer srv.Close()
	script := filepath.Join(t.TempDir(), "helper.py")
	if err := os.WriteFile(script, []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	ask := func() urlResult {
		out, err := exec.Command("python3", script, "health", srv.URL).Output()
		if err != nil {
			t.Fatalf("health: %v", err)
		}
		var res map[string]urlResult
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("health printed %q: %v", out, err)
		}
		return res[srv.URL]
	}
	if r := ask(); !r.OK || r.Version != "1.39" || r.Error != "" {
		t.Errorf("a Placement that asks for tokens: %+v", r)
	}
	authenticated = false
	if r := ask(); r.OK || r.Error == "" {
		t.Errorf("a Placement that serves without a token: %+v", r)
	}
	srv.Close()
	if r := ask(); r.OK || r.Error == "" {
		t.Errorf("a Placement that does not answer: %+v", r)
	}
}
