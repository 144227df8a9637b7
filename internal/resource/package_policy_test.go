package resource

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeApt is an apt-get that asks the policy as invoke-rc.d and
// deb-systemd-invoke do (policy-rc.d UNIT ACTION) and records its answer,
// then exits with $FAKE_APT_EXIT, or kills its shell with $FAKE_APT_SIGNAL
// (delivered once apt-get returns, as a real signal would be). Its update
// succeeds.
const fakeApt = `#!/bin/sh
echo "apt-get $*" >>"$FAKE_APT_LOG"
[ "$1" != update ] || exit 0
if [ "$1" = install ]; then
	"$FAKE_POLICY" rabbitmq-server.service restart
	echo "policy $?" >>"$FAKE_APT_LOG"
fi
[ -z "$FAKE_APT_SIGNAL" ] || kill -s "$FAKE_APT_SIGNAL" $PPID
exit "${FAKE_APT_EXIT:-0}"
`

// TestInstallDeniesServiceActions runs InstallScript with a fake apt-get:
// while apt runs, the policy denies (101) every service action; afterwards
// Fundament's policy is gone on every path (success, failure, SIGTERM) and
// a policy of the host's own is back as it was.
func TestInstallDeniesServiceActions(t *testing.T) {
	tests := []struct {
		name string
		// before is the policy-rc.d the host has ("" = none).
		before string
		exit   string
		signal string
		// wantExit is the script's exit status.
		wantExit int
		// installs is how often apt-get install runs (twice: the first
		// failed, the lists were updated).
		installs int
	}{
		{name: "success", exit: "0", installs: 1},
		{name: "apt fails", exit: "100", wantExit: 100, installs: 2},
		{name: "terminated", exit: "0", signal: "TERM", wantExit: 143, installs: 1},
		{name: "host's own policy", before: "#!/bin/sh\n# the operator's\nexit 0\n", exit: "0", installs: 1},
		{name: "host's own policy, apt fails", before: "#!/bin/sh\n# the operator's\nexit 0\n", exit: "100", wantExit: 100, installs: 2},
		{name: "left by a killed run", before: "#!/bin/sh\n" + policyMark + "\nexit 101\n", exit: "0", installs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			if err := os.Mkdir(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(bin, "apt-get"), []byte(fakeApt), 0o755); err != nil {
				t.Fatal(err)
			}
			policy := filepath.Join(dir, "policy-rc.d")
			if tt.before != "" {
				if err := os.WriteFile(policy, []byte(tt.before), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			defer func(p string) { policyRCD = p }(policyRCD)
			policyRCD = policy
			script := InstallScript([]Package{{Name: "rabbitmq-server", Version: "4.0.5-6+fm1"}})
			checkSyntax(t, "install", script)

			log := filepath.Join(dir, "log")
			cmd := exec.Command("/bin/sh", "-c", script)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_APT_LOG="+log,
				"FAKE_POLICY="+policy, "FAKE_APT_EXIT="+tt.exit, "FAKE_APT_SIGNAL="+tt.signal)
			out, err := cmd.CombinedOutput()
			code := 0
			if err != nil {
				ee, ok := err.(*exec.ExitError)
				if !ok {
					t.Fatal(err)
				}
				code = ee.ExitCode()
			}
			if code != tt.wantExit {
				t.Errorf("exit %d, want %d: %s", code, tt.wantExit, out)
			}
			b, _ := os.ReadFile(log)
			rec := string(b)
			if n := strings.Count(rec, "apt-get install"); n != tt.installs {
				t.Errorf("apt-get install ran %d times, want %d:\n%s", n, tt.installs, rec)
			}
			if n := strings.Count(rec, "policy 101"); n != tt.installs {
				t.Errorf("the policy denied %d of %d installs' service actions:\n%s", n, tt.installs, rec)
			}
			after, err := os.ReadFile(policy)
			switch {
			case tt.before == "" || strings.Contains(tt.before, policyMark):
				if err == nil {
					t.Errorf("policy-rc.d left behind:\n%s", after)
				}
			case err != nil || string(after) != tt.before:
				t.Errorf("the host's own policy-rc.d is not back: %q (%v)", after, err)
			}
			if _, err := os.Stat(policy + ".fundament-saved"); err == nil {
				t.Error("the saved policy is left behind")
			}
		})
	}
}

// TestRemoveKeepsServiceActions: removing a package stops its service as
// Debian's scripts do (no policy); only installs and upgrades are quiet.
func TestRemoveKeepsServiceActions(t *testing.T) {
	script, _ := Package{Name: "chrony", Absent: true}.Apply(Change{Op: OpDelete})
	if strings.Contains(script, "policy-rc.d") {
		t.Fatalf("removal denies service actions:\n%s", script)
	}
}
