// Package labtest is the harness of the lab integration tests: a copy of
// examples/lab on the test's own prefix, addresses and cloud name (so
// that labs of several tests, and a developer's `make lab`, coexist),
// fundament run in-process against it, the lab torn down at the end, and
// a record of everything fundament printed, which must show no secret.
package labtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/cli"
	"github.com/fundament-cloud/fundament/internal/components"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/secrets"
	"github.com/fundament-cloud/fundament/internal/service"
	"github.com/fundament-cloud/fundament/internal/validate"
)

// Config says where a test's lab lives.
type Config struct {
	// Prefix names the lab's namespaces, interfaces and bridge.
	Prefix string
	// Net replaces examples/lab's "10.199." in every address.
	Net string
	// CloudName replaces the cloud's name "lab".
	CloudName string
	// Secrets generates the cloud's secrets (with an identity of the
	// test's own) and records their values, which no output may show.
	Secrets bool
	// Components is the --component of apply, plan and status when a
	// call names none ("" = every component).
	Components string
	// Services are declared for the lab besides the cloud's own (a
	// RabbitMQ user for its test while no service of the cloud has one).
	Services []*service.Service
	// Disabled are OpenStack services of examples/lab turned off in the
	// copy: a test of Keystone needs no Glance (whose images are in
	// Ceph), and HAProxy would have frontends whose backends never come.
	Disabled []string
}

// Lab is a test's lab.
type Lab struct {
	T *testing.T
	Config
	Repo string
	// Dir holds the lab's record and node layers.
	Dir string
	// Identity is the age identity of the secrets (Config.Secrets).
	Identity string
	Cloud    *model.Cloud

	secretValues []string
	outputs      []string
	cloudsYAML   string // CloudsYAML's file
}

// New skips the test where the lab cannot run (not root, a tool missing,
// -short), copies examples/lab into a temporary repository, rewrites its
// addresses and name, generates its secrets, and takes down what a killed
// run of the same test left; the lab goes down again when the test ends.
// Call Up to boot it.
func New(t *testing.T, cfg Config) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root (namespaces, interfaces, mounts); CI runs this test as root")
	}
	for _, p := range []string{"debootstrap", "ip", "nsenter", "unshare", "ssh"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("the lab needs %s (make deps installs it)", p)
		}
	}
	if testing.Short() {
		t.Skip("a lab test takes minutes; not in -short")
	}
	// The cloud's own services, whatever the unit tests of the binary
	// registered in their place (servicetest.Main).
	t.Cleanup(service.Replace(append(components.Services(), cfg.Services...)...))
	l := &Lab{T: t, Config: cfg, Repo: t.TempDir(), Dir: filepath.Join(t.TempDir(), "lab")}
	if err := copyExample(l.Repo, cfg.Net, cfg.CloudName); err != nil {
		t.Fatal(err)
	}
	if err := disable(l.Repo, cfg.Disabled); err != nil {
		t.Fatal(err)
	}
	c, diags := validate.Check(l.Repo)
	if diags.HasErrors() {
		t.Fatalf("the lab's copy is invalid: %v", diags.Items())
	}
	l.Cloud = c
	if cfg.Secrets {
		l.Identity = filepath.Join(t.TempDir(), cfg.CloudName+".agekey")
		t.Setenv(secrets.IdentityEnv, l.Identity)
		l.Must("secrets", "generate")
		l.readSecrets()
	}
	l.Fm("lab", "down") // what a killed run left
	detachLeftLoops(t.Name(), cfg.Prefix, l.Dir)
	t.Cleanup(func() {
		if _, err := l.Fm("lab", "down"); err != nil {
			t.Logf("lab down: %v", err)
		}
	})
	return l
}

// copyExample copies the model of examples/lab (not what a lab run there
// left: its secrets/ and .fundament/) with its addresses and name
// rewritten.
func copyExample(dst, net, name string) error {
	_, self, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(self), "..", "..", "..", "examples", "lab")
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if rel == secrets.DirName || rel == cli.StateDir {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".yaml") {
			s := strings.ReplaceAll(string(b), "10.199.", net)
			b = []byte(strings.Replace(s, "\nname: lab\n", "\nname: "+name+"\n", 1))
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}

// disable turns the OpenStack services off in the copy's
// services/openstack.yaml, each where examples/lab enables it.
func disable(repo string, services []string) error {
	if len(services) == 0 {
		return nil
	}
	path := filepath.Join(repo, "services", "openstack.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	for _, name := range services {
		on := "\n  " + name + ":\n    enabled: true\n"
		if !strings.Contains(s, on) {
			return fmt.Errorf("examples/lab's services/openstack.yaml does not enable %s as %q", name, on)
		}
		s = strings.Replace(s, on, "\n  "+name+":\n    enabled: false\n", 1)
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// readSecrets (re)reads the values of the cloud's secrets, public
// certificates left out: a rotation adds new ones.
func (l *Lab) readSecrets() {
	store, err := secrets.Open(secrets.Options{RepoDir: l.Repo, CloudName: l.CloudName, IdentityFile: l.Identity})
	if err != nil {
		l.T.Fatal(err)
	}
	names, err := store.List()
	if err != nil {
		l.T.Fatal(err)
	}
	l.secretValues = nil
	identifiers := secrets.Identifiers(l.Cloud)
	for _, n := range names {
		if identifiers[n] { // no credential (Ceph's fsid): output may show it
			continue
		}
		v, err := store.Get(n)
		if err != nil {
			l.T.Fatal(err)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 8 && !strings.Contains(v, "BEGIN CERTIFICATE") { // shorter ones would match by chance
			l.secretValues = append(l.secretValues, v)
		}
	}
}

// Secret returns a decrypted secret of the lab's cloud (read from the
// store, so that it is in no recorded output).
func (l *Lab) Secret(name string) string {
	l.T.Helper()
	store, err := secrets.Open(secrets.Options{RepoDir: l.Repo, CloudName: l.CloudName, IdentityFile: l.Identity})
	if err != nil {
		l.T.Fatal(err)
	}
	v, err := store.Get(name)
	if err != nil {
		l.T.Fatal(err)
	}
	return strings.TrimSpace(v)
}

// Up boots the lab without applying anything and returns what lab up
// printed. New already skipped where the lab cannot run (not root, a tool
// missing): here a lab that does not come up is a failure, never a skip,
// or a broken image build or boot would leave every lab test "passing".
func (l *Lab) Up() string {
	l.T.Helper()
	out, err := l.Fm("lab", "up", "--no-apply", "--wait", "15m")
	if err != nil {
		l.T.Fatalf("the lab did not come up: %v", err)
	}
	return strings.TrimSpace(out)
}

// Fm runs fundament on the lab's repository: lab commands on the lab's
// prefix and directory, apply, plan and status with the lab's key and
// Config.Components unless the call names components itself. The error
// says what it printed, secrets hidden.
func (l *Lab) Fm(args ...string) (string, error) {
	all := append([]string{"--repo", l.Repo}, args...)
	switch args[0] {
	case "lab":
		all = append([]string{"--repo", l.Repo, "lab", "--prefix", l.Prefix, "--lab-dir", l.Dir}, args[1:]...)
	case "apply", "plan", "status":
		all = append(all, "--ssh-key", filepath.Join(l.Repo, cli.StateDir, "lab", "id_ed25519"))
		if l.Components != "" && !slices.Contains(args, "--component") {
			all = append(all, "--component", l.Components)
		}
	}
	var out, errb bytes.Buffer
	code := cli.Execute(all, &out, &errb)
	l.outputs = append(l.outputs, out.String(), errb.String())
	if code != 0 {
		return out.String(), fmt.Errorf("fundament %s: exit %d: %s%s", l.Redact(strings.Join(args, " ")), code, l.Redact(out.String()), l.Redact(errb.String()))
	}
	return out.String(), nil
}

// Must is Fm that fails the test on an error.
func (l *Lab) Must(args ...string) string {
	l.T.Helper()
	out, err := l.Fm(args...)
	if err != nil {
		l.T.Fatal(err)
	}
	return out
}

// In runs a script on a lab host and returns its output, trimmed.
func (l *Lab) In(host, script string) (string, error) {
	out, err := l.Fm("lab", "exec", host, "--", "sh", "-c", script)
	return strings.TrimSpace(out), err
}

// MustIn is In that fails the test on an error.
func (l *Lab) MustIn(host, script string) string {
	l.T.Helper()
	out, err := l.In(host, script)
	if err != nil {
		l.T.Fatal(err)
	}
	return out
}

// Holder is the control host that has addr (a virtual IP) on one of
// its interfaces, "" when none has.
func (l *Lab) Holder(addr string) string {
	for _, h := range l.Cloud.Hosts {
		if !h.HasRole(model.RoleControl) {
			continue
		}
		if out, err := l.In(h.Name, "ip -o -4 addr show"); err == nil && strings.Contains(out, " "+addr+"/") {
			return h.Name
		}
	}
	return ""
}

// Timed runs a phase of the test, logs how long it took and returns it.
func (l *Lab) Timed(phase string, f func()) time.Duration {
	l.T.Helper()
	start := time.Now()
	f()
	d := time.Since(start)
	l.T.Logf("phase %-36s %s", phase, d.Round(time.Second))
	return d
}

// Record adds output of another program (a client run by the test) to
// what must show no secret.
func (l *Lab) Record(out string) { l.outputs = append(l.outputs, out) }

// Redact hides the lab's secret values in s.
func (l *Lab) Redact(s string) string {
	for _, v := range l.secretValues {
		s = strings.ReplaceAll(s, v, "<secret>")
	}
	return s
}

// NoSecretShown fails the test when a secret value (as the secrets are
// now) appears in anything fundament, or a recorded client, printed.
func (l *Lab) NoSecretShown(t *testing.T) {
	t.Helper()
	l.readSecrets()
	if len(l.secretValues) == 0 {
		t.Fatal("no secret values to look for: the lab has no secrets")
	}
	all := strings.Join(l.outputs, "\n")
	if all == "" {
		t.Fatal("nothing recorded")
	}
	for _, v := range l.secretValues {
		if strings.Contains(all, v) {
			t.Errorf("a secret value (%d characters) appears in the output", len(v))
		}
	}
}

// Status returns the results of fundament status of the components, of
// the layers given (every layer without).
func (l *Lab) Status(components string, layers ...string) []health.Result {
	l.T.Helper()
	args := []string{"status", "-o", "json"}
	if components != "" {
		args = append(args, "--component", components)
	}
	out, _ := l.Fm(args...)
	var st struct {
		Results []health.Result `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		l.T.Fatalf("status -o json: %v: %s", err, l.Redact(out))
	}
	var rs []health.Result
	for _, r := range st.Results {
		if len(layers) == 0 || slices.Contains(layers, r.Layer) {
			rs = append(rs, r)
		}
	}
	return rs
}

// WaitStatus polls Status until ok accepts the results, failing the test
// after limit.
func (l *Lab) WaitStatus(what string, limit time.Duration, ok func([]health.Result) bool, components string, layers ...string) []health.Result {
	l.T.Helper()
	start := time.Now()
	for {
		rs := l.Status(components, layers...)
		if ok(rs) {
			l.T.Logf("%s after %s", what, time.Since(start).Round(time.Second))
			return rs
		}
		if time.Since(start) > limit {
			l.T.Fatalf("no %s after %s:\n%s", what, limit, Describe(rs))
		}
		time.Sleep(5 * time.Second)
	}
}

// Describe lists results, one a line.
func Describe(rs []health.Result) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s %s %s %v: %s\n", r.Check, r.Target, r.Status, r.Hosts, r.Reason)
	}
	return b.String()
}

// Find returns the result of a check, nil when there is none.
func Find(rs []health.Result, check string) *health.Result {
	for i := range rs {
		if rs[i].Check == check {
			return &rs[i]
		}
	}
	return nil
}

// LastLine is the summary line of an apply ("Apply complete: ..."), or
// the last line of the output.
func LastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "Apply ") {
			return lines[i]
		}
	}
	return lines[len(lines)-1]
}
