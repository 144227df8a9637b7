package ceph

// The status check's script run offline with a stand-in ceph that prints
// what Ceph 18.2.7 printed in the lab (testdata/real), byte for byte:
// `ceph mgr stat -f json` ends without a newline, which once merged the
// next section's header into the manager's JSON ("no manager status").

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/health"
)

func TestHealthScriptOnRealOutput(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	real, err := filepath.Abs(filepath.Join("testdata", "real"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	// The stand-in finds the command among its arguments (options first).
	ceph := `#!/bin/sh
args="$*"
case "$args" in
*" status -f json") cat "$REAL/status.json" ;;
*" mgr stat -f json") cat "$REAL/mgr-stat.json" ;;
*" osd tree -f json") cat "$REAL/osd-tree.json" ;;
*" df -f json") cat "$REAL/df.json" ;;
*) echo "unexpected: $args" >&2; exit 22 ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "ceph"), []byte(ceph), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh, "-c", healthScript)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "REAL="+real)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the script: %v\n%s", err, out)
	}
	v, err := viewOf(health.Answer{Host: "stor-1", Out: string(out)})
	if err != nil {
		t.Fatal(err)
	}
	if v.Mgr == nil || v.Mgr.ActiveName != "stor-1" || v.Mgr.NumStandby != 2 {
		t.Errorf("manager %+v from:\n%s", v.Mgr, out)
	}
	if len(v.OSDs) != 3 || len(v.Pools) == 0 {
		t.Errorf("OSDs %+v, pools %+v from:\n%s", v.OSDs, v.Pools, out)
	}
	r := evaluate(labTopology(t), []health.Answer{{Host: "stor-1", Out: string(out)}})
	for _, w := range []string{"3/3 monitors in quorum", "manager stor-1 active, 2 standby", "stor-2 1/1 up, 1 in",
		"128/128 PGs active+clean", "MON_DISK_LOW"} {
		if !strings.Contains(r.Reason, w) {
			t.Errorf("reason %q lacks %q", r.Reason, w)
		}
	}
	if r.Status != health.Degraded {
		t.Errorf("status %s with Ceph's warnings, want DEGRADED: %s", r.Status, r.Reason)
	}
}
