package ceph

// The OSD step's decision, run offline: the script with stand-ins of
// ceph-volume, blkid, systemctl and the ceph.conf it reads, one case per
// state of the device (docs/ceph.md, "OSDs").

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// stub writes an executable stand-in that logs its call and runs body.
func stub(t *testing.T, dir, name, body string) {
	t.Helper()
	script := "#!/bin/sh\necho \"" + name + " $*\" >> \"$FM_LOG\"\n" + body
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestOSDCommandDecides(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	python := "/usr/bin/python3" // not a version manager's shim: seconds a start on a loaded machine
	if _, err := os.Stat(python); err != nil {
		if python, err = exec.LookPath("python3"); err != nil {
			t.Skip("no python3 (the hosts' ceph-volume brings it)")
		}
	}
	label := func(fsid string) string {
		return `{"5e2c": {"ceph_fsid": "` + fsid + `", "device": "/dev/vdb", "osd_id": 7, "osd_uuid": "5e2c", "type": "bluestore"}}`
	}
	const other = "00000000-1111-4222-8333-444444444444"
	tests := []struct {
		name string
		// before and after prepare: ceph-volume raw list's output
		label, prepared string
		blkidExit       int
		blkidOut        string
		ok              bool
		want            []string // in the output
		calls, avoid    []string // in the stand-ins' log
	}{
		{name: "blank: prepared, activated, started", label: "{}", prepared: label(fakeFSID), blkidExit: 2, ok: true,
			want:  []string{"is blank", "OSD 7 runs on /dev/vdb"},
			calls: []string{"ceph-volume raw prepare --bluestore --data /dev/vdb --no-tmpfs", "ceph-volume raw activate --device /dev/vdb --no-systemd --no-tmpfs", "systemctl enable ceph-osd@7", "systemctl start ceph-osd@7"}},
		{name: "this cluster's OSD: adopted, never prepared", label: label(fakeFSID), blkidExit: 0, blkidOut: "TYPE=ceph_bluestore", ok: true,
			want: []string{"holds OSD 7 of this cluster: adopting it"}, calls: []string{"ceph-volume raw activate", "systemctl start ceph-osd@7"},
			avoid: []string{"raw prepare", "blkid"}},
		{name: "another cluster's OSD: refused", label: label(other), ok: false,
			want:  []string{"host stor-1: /dev/vdb holds OSD 7 of another Ceph cluster (fsid " + other + "); Fundament never wipes a disk"},
			avoid: []string{"raw prepare", "activate", "systemctl"}},
		{name: "a file system: refused", label: "{}", blkidExit: 0, blkidOut: "DEVNAME=/dev/vdb\nUUID=x\nTYPE=ext4", ok: false,
			want: []string{"host stor-1: /dev/vdb holds ext4;", "wipefs -a /dev/vdb"}, avoid: []string{"raw prepare", "activate"}},
		{name: "a partition table: refused", label: "{}", blkidExit: 0, blkidOut: "DEVNAME=/dev/vdb\nPTUUID=y\nPTTYPE=gpt", ok: false,
			want: []string{"holds a partition table of type gpt"}, avoid: []string{"raw prepare"}},
		{name: "blkid cannot tell: refused", label: "{}", blkidExit: 8, blkidOut: "ambivalent result", ok: false,
			want: []string{"cannot be probed (blkid exit 8: ambivalent result)"}, avoid: []string{"raw prepare"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			os.Mkdir(bin, 0o755)
			conf := filepath.Join(dir, "ceph.conf")
			os.WriteFile(conf, []byte("[global]\nfsid = "+fakeFSID+"\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "label"), []byte(tt.label), 0o644)
			prepared := tt.prepared
			if prepared == "" {
				prepared = tt.label
			}
			os.WriteFile(filepath.Join(dir, "prepared"), []byte(prepared), 0o644)
			stub(t, bin, "ceph-volume", `case "$2" in
list) cat "$FM_DIR/label" ;;
prepare) cp "$FM_DIR/prepared" "$FM_DIR/label" ;;
esac
`)
			stub(t, bin, "blkid", "printf '%s\\n' \"$FM_BLKID_OUT\"\nexit $FM_BLKID_EXIT\n")
			stub(t, bin, "systemctl", "")
			if err := os.Symlink(python, filepath.Join(bin, "python3")); err != nil {
				t.Fatal(err)
			}
			script := osdCommand("stor-1", "/dev/vdb").Script
			// The stand-ins' world: the device exists, ceph.conf is ours.
			script = strings.Replace(script, `if [ ! -b "$dev" ]; then`, `if false; then`, 1)
			script = strings.ReplaceAll(script, "/etc/ceph/ceph.conf", conf)
			cmd := exec.Command(sh, "-s")
			cmd.Stdin = strings.NewReader(script)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FM_DIR="+dir, "FM_LOG="+filepath.Join(dir, "log"),
				"FM_BLKID_OUT="+tt.blkidOut, "FM_BLKID_EXIT="+strconv.Itoa(tt.blkidExit))
			out, err := cmd.CombinedOutput()
			if (err == nil) != tt.ok {
				t.Errorf("ok = %v, want %v:\n%s", err == nil, tt.ok, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			for _, c := range tt.calls {
				if !strings.Contains(string(log), c) {
					t.Errorf("no call %q:\n%s", c, log)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(string(log), a) {
					t.Errorf("a call %q:\n%s", a, log)
				}
			}
		})
	}
}
