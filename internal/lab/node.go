package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fundament-cloud/fundament/internal/resource"
)

func (l *Lab) nodeDir(node string) string { return filepath.Join(l.Dir, "nodes", node) }

// initPID returns the PID (on the machine) of the node's init, if the node
// is running: the recorded process is alive, PID 1 of its own PID
// namespace, and in the node's network namespace.
func (l *Lab) initPID(node string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(l.nodeDir(node), "pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0, false
	}
	var want, have syscall.Stat_t
	if syscall.Stat(filepath.Join("/run/netns", l.netnsName(node)), &want) != nil ||
		syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &have) != nil ||
		want.Ino != have.Ino || want.Dev != have.Dev {
		return 0, false
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "NSpid:" {
			return pid, f[len(f)-1] == "1" && !strings.Contains(string(status), "State:\tZ")
		}
	}
	return 0, false
}

// boot powers a node on: its disks attached, its cgroups made, and its
// init (systemd) started in new namespaces on an overlay of the image
// with the node's own layer on top. The network namespace must exist.
func (l *Lab) boot(ctx context.Context, n *Node, layers []string) error {
	dir := l.nodeDir(n.Name)
	upper, work, root := filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "root")
	for _, d := range []string{upper, work, root, filepath.Join(dir, "disks")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := l.writeIdentity(n, upper); err != nil {
		return fmt.Errorf("%s: writing its identity: %w", n.Name, err)
	}
	disks, err := l.attachDisks(ctx, n)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	cg, err := l.nodeCgroups(n.Name)
	if err != nil {
		return err
	}
	if err := cg.remove(); err != nil {
		return fmt.Errorf("%s: a process of an earlier boot is still there: %w", n.Name, err)
	}
	if err := cg.create(); err != nil {
		return err
	}
	console, err := os.OpenFile(filepath.Join(dir, "console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	defer console.Close()
	fmt.Fprintf(console, "\n==== fundament lab: booting %s at %s ====\n", n.Name, time.Now().UTC().Format(time.RFC3339))

	// The first stage runs as PID 1 of the new PID namespace: it moves
	// itself into the node's cgroups and only then unshares the cgroup
	// namespace, so that the node's systemd sees its own cgroup as the root.
	stage1 := "set -e\necho 0 > " + resource.Quote(filepath.Join(cg.v2, "cgroup.procs")) + "\n"
	if cg.memory != "" {
		stage1 += "echo 0 > " + resource.Quote(filepath.Join(cg.memory, "cgroup.procs")) + "\n"
	}
	stage1 += "exec unshare --cgroup /bin/sh -c \"$FUNDAMENT_LAB_STAGE2\"\n"
	cmd := exec.Command("nsenter", "--net="+filepath.Join("/run/netns", l.netnsName(n.Name)), "--", "/bin/sh", "-c", stage1)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "FUNDAMENT_LAB_STAGE2=" + bootScript(n, layers, upper, work, root, filepath.Join(dir, "console.log"), disks)}
	cmd.Stdout, cmd.Stderr = console, console
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		Setsid:     true,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: starting its init: %w", n.Name, err)
	}
	pid := cmd.Process.Pid
	// The init outlives this process: reap it in the background while we
	// live, so that a node that fails at once is seen as stopped.
	exited := make(chan struct{})
	consolePath := console.Name()
	go func() {
		err := cmd.Wait()
		if f, ferr := os.OpenFile(consolePath, os.O_WRONLY|os.O_APPEND, 0); ferr == nil {
			fmt.Fprintf(f, "==== fundament lab: the init of %s ended: %v ====\n", n.Name, err)
			f.Close()
		}
		close(exited)
	}()
	if err := writeFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return err
	}
	// nsenter joins the network namespace a moment after the clone; the
	// node counts as running from then on.
	for deadline := time.Now().Add(10 * time.Second); !l.Running(n.Name); {
		select {
		case <-exited:
			return fmt.Errorf("%s: its init ended at once; the end of its console:\n%s", n.Name, l.ConsoleTail(n.Name, 15))
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: its init did not enter the node's namespaces in 10 s: %s", n.Name, l.WhyNotRunning(n.Name))
		}
	}
	return nil
}

// bootScript mounts the node's root file system and what systemd needs
// around it, then executes systemd as PID 1: the recipe of a container
// manager, with /sys read-only (so udev stays off and networkd does not
// wait for it) and a /dev of its own holding only harmless devices, the
// TUN device (Open vSwitch's userspace datapath) and the node's disks.
func bootScript(n *Node, layers []string, upper, work, root, consoleLog string, disks map[string]string) string {
	q := resource.Quote
	lower := strings.Join(layers, ":")
	s := []string{
		"set -e",
		"mount --make-rprivate /",
		"mount -t overlay overlay -o " + q("lowerdir="+lower+",upperdir="+upper+",workdir="+work) + " " + q(root),
		"cd " + q(root),
		"mount -t proc proc proc",
		"mount -t sysfs -o ro,nosuid,nodev,noexec sysfs sys",
		"mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 sys/fs/cgroup",
		"mount -t tmpfs -o mode=755,nosuid,nodev,size=20% tmpfs run",
		"mount -t tmpfs -o mode=1777,nosuid,nodev,size=20% tmpfs tmp",
		"mount -t tmpfs -o mode=755,nosuid,size=4m tmpfs dev",
		"for d in null zero full random urandom tty; do : > dev/$d; mount --bind /dev/$d dev/$d; done",
		"mkdir -p dev/net dev/pts dev/shm dev/mqueue",
		": > dev/net/tun; mount --bind /dev/net/tun dev/net/tun",
		// systemd writes its status and its errors to the console: the
		// node's console.log on this machine.
		": > dev/console; mount --bind " + q(consoleLog) + " dev/console",
		"mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts dev/pts",
		"ln -s pts/ptmx dev/ptmx",
		"mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs dev/shm",
		"mount -t mqueue mqueue dev/mqueue",
		"ln -s /proc/self/fd dev/fd; ln -s /proc/self/fd/0 dev/stdin; ln -s /proc/self/fd/1 dev/stdout; ln -s /proc/self/fd/2 dev/stderr",
	}
	for dev, loop := range disks {
		rel := strings.TrimPrefix(dev, "/")
		s = append(s, "mkdir -p "+q(filepath.Dir(rel)), ": > "+q(rel), "mount --bind "+q(loop)+" "+q(rel))
		// The loop device under its own name too: lsblk names a disk by
		// its kernel name (/dev/loop12 for /dev/vdb), and ceph-volume
		// then opens that path, as on a server where /dev/disk/by-id/*
		// leads to /dev/sdb.
		if kname := strings.TrimPrefix(loop, "/"); kname != rel {
			s = append(s, ": > "+q(kname), "mount --bind "+q(loop)+" "+q(kname))
		}
	}
	s = append(s,
		"hostname "+q(n.Name),
		// container= tells systemd it is in a container (the convention
		// of container managers); nothing of this process's environment
		// reaches the node.
		"exec env -i container=fundament-lab /usr/sbin/chroot . /lib/systemd/systemd",
	)
	return strings.Join(s, "\n")
}

// attachDisks attaches each of the node's disk files to a loop device,
// creating sparse files of the model's size the first time.
func (l *Lab) attachDisks(ctx context.Context, n *Node) (map[string]string, error) {
	out := map[string]string{}
	for _, d := range n.Disks {
		file := l.diskFile(n.Name, d.Device)
		if !exists(file) {
			f, err := os.Create(file)
			if err != nil {
				return nil, err
			}
			err = f.Truncate(d.Bytes)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("disk %s: %w", d.Device, err)
			}
		}
		loops, err := loopsOf(ctx, file)
		if err != nil {
			return nil, err
		}
		if len(loops) == 0 {
			dev, err := output(ctx, "losetup", "--find", "--show", file)
			if err != nil {
				return nil, fmt.Errorf("disk %s: %w", d.Device, err)
			}
			loops = []string{strings.TrimSpace(dev)}
		}
		out[d.Device] = loops[0]
	}
	return out, nil
}

func (l *Lab) diskFile(node, device string) string {
	return filepath.Join(l.nodeDir(node), "disks", strings.ReplaceAll(strings.TrimPrefix(device, "/"), "/", "_")+".img")
}

// loopsOf lists the loop devices attached to file.
func loopsOf(ctx context.Context, file string) ([]string, error) {
	out, err := output(ctx, "losetup", "--noheadings", "--output", "NAME", "--associated", file)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// detachDisks detaches every loop device of the node's disk files.
func (l *Lab) detachDisks(ctx context.Context, node string) error {
	files, _ := filepath.Glob(filepath.Join(l.nodeDir(node), "disks", "*.img"))
	var errs []error
	for _, f := range files {
		loops, err := loopsOf(ctx, f)
		if err != nil {
			errs = append(errs, err)
		}
		for _, dev := range loops {
			errs = append(errs, run(ctx, l.Log, "losetup", "--detach", dev))
		}
	}
	return errors.Join(errs...)
}

// kill powers a node off: SIGKILL to its init ends every process of its
// PID namespace at once; processes that entered its network namespace
// from outside (lab exec) are killed too. It waits until all are gone.
func (l *Lab) kill(ctx context.Context, node string) error {
	var pids []int
	if pid, ok := l.initPID(node); ok {
		pids = append(pids, pid)
	}
	if netnsExists(l.netnsName(node)) {
		out, _ := output(ctx, "ip", "netns", "pids", l.netnsName(node))
		for _, f := range strings.Fields(out) {
			if p, err := strconv.Atoi(f); err == nil {
				pids = append(pids, p)
			}
		}
	}
	cg, err := l.nodeCgroups(node)
	if err != nil {
		return err
	}
	pids = append(pids, cgroupPIDs(cg.v2)...)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		alive := 0
		for _, p := range pids {
			if syscall.Kill(p, 0) == nil && !isZombie(p) {
				alive++
			}
		}
		if rest := cgroupPIDs(cg.v2); len(rest) > 0 {
			for _, p := range rest {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			alive += len(rest)
		}
		if alive == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d processes still alive 15 s after SIGKILL", node, alive)
		}
		time.Sleep(50 * time.Millisecond)
	}
	os.Remove(filepath.Join(l.nodeDir(node), "pid"))
	return cg.remove()
}

// cgroupPIDs lists the processes in a cgroup tree.
func cgroupPIDs(dir string) []int {
	var pids []int
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// Running reports whether the node's init is alive.
func (l *Lab) Running(node string) bool {
	_, ok := l.initPID(node)
	return ok
}

// WhyNotRunning says why initPID does not see the node running.
func (l *Lab) WhyNotRunning(node string) string {
	b, err := os.ReadFile(filepath.Join(l.nodeDir(node), "pid"))
	if err != nil {
		return "no pid file: " + err.Error()
	}
	pid := strings.TrimSpace(string(b))
	var want, have syscall.Stat_t
	werr := syscall.Stat(filepath.Join("/run/netns", l.netnsName(node)), &want)
	herr := syscall.Stat("/proc/"+pid+"/ns/net", &have)
	status, _ := os.ReadFile("/proc/" + pid + "/status")
	var nspid, state string
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "NSpid:") || strings.HasPrefix(line, "State:") {
			if line[0] == 'N' {
				nspid = line
			} else {
				state = line
			}
		}
	}
	return fmt.Sprintf("pid %s, netns %d (%v), process netns %d (%v), %s, %s", pid, want.Ino, werr, have.Ino, herr, nspid, state)
}

// ConsoleTail returns the last lines the node's init printed.
func (l *Lab) ConsoleTail(node string, lines int) string {
	b, _ := os.ReadFile(filepath.Join(l.nodeDir(node), "console.log"))
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
