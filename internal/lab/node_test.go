package lab

import (
	"strings"
	"testing"
)

// TestBootScript: the order of the mounts matters (the overlay first, the
// cgroup2 on top of sysfs, the console and disks into the node's /dev) and
// the node's PID 1 gets no environment of this machine but container=.
func TestBootScript(t *testing.T) {
	n := &Node{Name: "stor-1"}
	s := bootScript(n, []string{"/img/layer/upper", "/img/base/root"}, "/lab/stor-1/upper", "/lab/stor-1/work", "/lab/stor-1/root",
		"/lab/stor-1/console.log", map[string]string{"/dev/vdb": "/dev/loop7"})
	lines := strings.Split(s, "\n")
	pos := func(prefix string) int {
		for i, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return i
			}
		}
		t.Fatalf("no line %q in:\n%s", prefix, s)
		return -1
	}
	order := []string{
		"set -e",
		"mount --make-rprivate /",
		"mount -t overlay overlay -o 'lowerdir=/img/layer/upper:/img/base/root,upperdir=/lab/stor-1/upper,workdir=/lab/stor-1/work' '/lab/stor-1/root'",
		"mount -t proc proc proc",
		"mount -t sysfs -o ro",
		"mount -t cgroup2",
		": > dev/console; mount --bind '/lab/stor-1/console.log' dev/console",
		"mount --bind '/dev/loop7' 'dev/vdb'",
		"hostname 'stor-1'",
		"exec env -i container=fundament-lab /usr/sbin/chroot . /lib/systemd/systemd",
	}
	last := -1
	for _, o := range order {
		p := pos(o)
		if p <= last {
			t.Errorf("%q comes too early (line %d, after line %d)", o, p, last)
		}
		last = p
	}
	if last != len(lines)-1 {
		t.Errorf("systemd must be the last step:\n%s", s)
	}
}

func TestVethNamesFit(t *testing.T) {
	l := &Lab{Prefix: "fmabc"}
	for _, node := range []string{"a", "a-very-long-host-name-of-sixty-three-characters-at-most-xxxxxxx"} {
		if v := l.mgmtVeth(node); len(v) > maxIfName {
			t.Errorf("%s: %q is longer than %d", node, v, maxIfName)
		}
	}
	if l.mgmtVeth("ctl-1") == l.mgmtVeth("ctl-2") {
		t.Error("two nodes share a management veth name")
	}
}
