package openstack

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"

	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

const (
	testPassword = "s3cret-Pa55word_x"
	testToken    = "gAAAAABtoken-value"
)

func labCloud(authURL, cacert string) Cloud {
	return Cloud{Name: "lab", CACert: cacert, Credentials: Credentials{
		AuthURL: authURL, Username: "admin", Password: testPassword, UserDomain: "Default",
		Project: "admin", ProjectDomain: "Default", Region: "RegionOne", Interface: "public",
	}}
}

func TestCloudsYAMLGolden(t *testing.T) {
	internal := labCloud("http://10.190.20.10:5000/v3", "")
	internal.Name, internal.Interface = "lab-internal", "internal"
	got, err := CloudsYAML([]string{"clouds.yaml of cloud lab", "", "second line"},
		labCloud("https://10.190.100.10:5000/v3", "/home/op/.config/openstack/lab-ca.pem"), internal)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "clouds.yaml", strings.ReplaceAll(string(got), testPassword, "<keystone-admin>"))

	// gophercloud's reader (the one the openstack client mirrors) finds
	// every field where it looks.
	ao, eo, _, err := clouds.Parse(clouds.WithCloudsYAML(strings.NewReader(string(got))), clouds.WithCloudName("lab-internal"))
	if err != nil {
		t.Fatal(err)
	}
	if ao.IdentityEndpoint != "http://10.190.20.10:5000/v3" || ao.Username != "admin" || ao.Password != testPassword ||
		ao.DomainName != "Default" || ao.Scope == nil || ao.Scope.ProjectName != "admin" || ao.Scope.DomainName != "Default" {
		t.Errorf("auth options: %+v scope %+v", ao, ao.Scope)
	}
	if eo.Region != "RegionOne" || eo.Availability != "internal" {
		t.Errorf("endpoint options: %+v", eo)
	}
}

func TestCloudsYAMLRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cls   []Cloud
		wants string
	}{
		{"none", nil, "needs a cloud"},
		{"unnamed", []Cloud{{}}, "without a name"},
		{"twice", []Cloud{labCloud("u", ""), labCloud("u", "")}, "appears twice"},
		{"relative cacert", []Cloud{labCloud("u", "lab-ca.pem")}, "not an absolute path"},
	} {
		if _, err := CloudsYAML(nil, tc.cls...); err == nil || !strings.Contains(err.Error(), tc.wants) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.wants)
		}
	}
}

// fakeKeystone answers the two calls a Client makes: issuing a token
// (POST /v3/auth/tokens with the password) and validating it (GET with
// X-Subject-Token), with a catalog of one identity service.
func fakeKeystone(t *testing.T) *httptest.Server {
	var srv *httptest.Server
	body := func() []byte {
		b, _ := json.Marshal(map[string]any{"token": map[string]any{
			"expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"user":       map[string]any{"id": "u1", "name": "admin", "domain": map[string]any{"id": "default", "name": "Default"}},
			"project":    map[string]any{"id": "p1", "name": "admin", "domain": map[string]any{"id": "default", "name": "Default"}},
			"catalog": []any{map[string]any{"id": "s1", "name": "identity-service", "type": "identity", "endpoints": []any{
				map[string]any{"id": "e1", "interface": "public", "region_id": "RegionOne", "region": "RegionOne", "url": srv.URL + "/v3"},
				map[string]any{"id": "e2", "interface": "internal", "region_id": "RegionOne", "region": "RegionOne", "url": "http://10.190.20.10:5000/v3"},
			}}},
		}})
		return b
	}
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v3/auth/tokens" {
			http.NotFound(w, r)
			return
		}
		switch r.Method {
		case http.MethodPost:
			var req struct {
				Auth struct {
					Identity struct {
						Password struct {
							User struct {
								Name     string `json:"name"`
								Password string `json:"password"`
								Domain   struct {
									Name string `json:"name"`
								} `json:"domain"`
							} `json:"user"`
						} `json:"password"`
					} `json:"identity"`
					Scope struct {
						Project struct {
							Name string `json:"name"`
						} `json:"project"`
					} `json:"scope"`
				} `json:"auth"`
			}
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			u := req.Auth.Identity.Password.User
			if u.Name != "admin" || u.Password != testPassword || u.Domain.Name != "Default" || req.Auth.Scope.Project.Name != "admin" {
				http.Error(w, `{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}`, http.StatusUnauthorized)
				return
			}
			w.Header().Set("X-Subject-Token", testToken)
			w.WriteHeader(http.StatusCreated)
			w.Write(body())
		case http.MethodGet:
			if r.Header.Get("X-Auth-Token") != testToken || r.Header.Get("X-Subject-Token") != testToken {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			w.Header().Set("X-Subject-Token", testToken)
			w.Write(body())
		default:
			http.Error(w, "method", http.StatusMethodNotAllowed)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func caPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func TestConnectCloudsYAMLRoundTrip(t *testing.T) {
	srv := fakeKeystone(t)
	dir := t.TempDir()
	ca := filepath.Join(dir, "lab-ca.pem")
	if err := os.WriteFile(ca, caPEM(srv), 0o644); err != nil {
		t.Fatal(err)
	}
	y, err := CloudsYAML(nil, labCloud(srv.URL+"/v3", ca))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "clouds.yaml")
	if err := os.WriteFile(path, y, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := ConnectCloudsYAML(ctx, path, "lab")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.User != "admin" || tok.Project != "admin" || time.Until(tok.ExpiresAt) < 30*time.Minute {
		t.Errorf("token: %+v", tok)
	}
	cat, err := c.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	want := []Endpoint{
		{Service: "identity-service", Type: "identity", Interface: "internal", Region: "RegionOne", URL: "http://10.190.20.10:5000/v3"},
		{Service: "identity-service", Type: "identity", Interface: "public", Region: "RegionOne", URL: srv.URL + "/v3"},
	}
	if len(cat) != len(want) || cat[0] != want[0] || cat[1] != want[1] {
		t.Errorf("catalog:\n got %+v\nwant %+v", cat, want)
	}
}

func TestConnectFailuresHideSecrets(t *testing.T) {
	srv := fakeKeystone(t)
	ctx := context.Background()
	cr := labCloud(srv.URL+"/v3", "").Credentials
	if _, err := Connect(ctx, cr, nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: %v", err)
	}
	if _, err := Connect(ctx, cr, []byte("not a pem")); err == nil || !strings.Contains(err.Error(), "no PEM") {
		t.Errorf("with a bad CA: %v", err)
	}
	c, err := Connect(ctx, cr, caPEM(srv))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Token(ctx); err != nil {
		t.Fatal(err)
	}
	cr.Password = "wrong-" + testPassword
	_, err = Connect(ctx, cr, caPEM(srv))
	if err == nil {
		t.Fatal("a wrong password authenticated")
	}
	if strings.Contains(err.Error(), testPassword) || strings.Contains(err.Error(), testToken) {
		t.Errorf("the error shows a secret: %v", err)
	}
}
