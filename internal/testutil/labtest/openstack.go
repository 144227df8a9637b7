package labtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CloudsYAML writes the administrator's clouds.yaml (and its CA beside
// it) with `fundament openstack clouds-yaml` into a directory of the
// test, for OpenStack; it needs Debian's openstack client here.
func (l *Lab) CloudsYAML() string {
	l.T.Helper()
	if _, err := exec.LookPath("openstack"); err != nil {
		l.T.Fatal("no openstack here: .ci/apt-deps installs python3-openstackclient")
	}
	l.cloudsYAML = filepath.Join(l.T.TempDir(), "clouds.yaml")
	l.Must("openstack", "clouds-yaml", "--out", l.cloudsYAML)
	return l.cloudsYAML
}

// OpenStack runs Debian's openstack client here against the lab's public
// endpoints with the clouds.yaml CloudsYAML wrote; its output, trimmed,
// is recorded for NoSecretShown.
func (l *Lab) OpenStack(args ...string) (string, error) {
	cmd := exec.Command("openstack", append([]string{"--os-cloud", l.CloudName}, args...)...)
	cmd.Env = append(os.Environ(), "OS_CLIENT_CONFIG_FILE="+l.cloudsYAML)
	out, err := cmd.CombinedOutput()
	l.Record(string(out))
	return strings.TrimSpace(string(out)), err
}

// OpenStackUntil retries a call until it succeeds or limit passes (a
// token through a virtual IP that is still moving, a service still
// starting), and fails t then.
func (l *Lab) OpenStackUntil(t *testing.T, limit time.Duration, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, err := l.OpenStack(args...)
		if err == nil {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("openstack %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		time.Sleep(5 * time.Second)
	}
}

// NoOpReapply is a subtest: an apply of Config.Components after the
// first changes nothing, and a plan after it shows no change.
func (l *Lab) NoOpReapply(t *testing.T) {
	start := time.Now()
	out := l.Must("apply", "--auto-approve")
	t.Logf("re-apply in %s: %s", time.Since(start).Round(time.Millisecond), LastLine(out))
	if out := l.Must("plan"); !strings.Contains(out, "No changes.") {
		t.Errorf("a re-plan changes something:\n%s", out)
	}
}

// APIGet reads url (an endpoint behind the public virtual IP) as the
// administrator, for what Debian 12's openstack client cannot ask, and
// decodes its JSON answer into v.
func (l *Lab) APIGet(url string, v any) error {
	token, err := l.OpenStack("token", "issue", "-f", "value", "-c", "id")
	if err != nil {
		return fmt.Errorf("token issue: %w: %s", err, token)
	}
	client, err := HTTPSClient(filepath.Join(filepath.Dir(l.cloudsYAML), l.CloudName+"-ca.pem"), time.Minute)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-Token", token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	l.Record(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return json.Unmarshal(body, v)
}
