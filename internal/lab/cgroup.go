package lab

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupMounts finds the machine's cgroup2 hierarchy and, where the
// machine runs cgroups in hybrid mode, the v1 memory hierarchy (the only
// place memory is accounted there).
func cgroupMounts() (v2, memoryV1 string, err error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 3 || pf[3] != "/" {
			continue
		}
		switch {
		case qf[0] == "cgroup2" && v2 == "":
			v2 = pf[4]
		case qf[0] == "cgroup" && hasOption(qf[2], "memory"):
			memoryV1 = pf[4]
		}
	}
	if v2 == "" {
		return "", "", errors.New("no cgroup2 hierarchy is mounted on this machine; lab hosts boot systemd, which needs one")
	}
	return v2, memoryV1, sc.Err()
}

func hasOption(opts, o string) bool {
	for _, x := range strings.Split(opts, ",") {
		if x == o {
			return true
		}
	}
	return false
}

// cgroups are where one node's processes live: a cgroup2 subtree that the
// node's systemd owns, and a v1 memory cgroup on hybrid machines.
type cgroups struct{ v2, memory string }

func (l *Lab) nodeCgroups(node string) (cgroups, error) {
	v2, mem, err := cgroupMounts()
	if err != nil {
		return cgroups{}, err
	}
	cg := cgroups{v2: filepath.Join(v2, l.cgroupName(), node)}
	if mem != "" {
		cg.memory = filepath.Join(mem, l.cgroupName(), node)
	}
	return cg, nil
}

func (l *Lab) cgroupName() string { return "fundament-lab-" + l.Prefix }

func (cg cgroups) create() error {
	for _, d := range []string{cg.v2, cg.memory} {
		if d == "" {
			continue
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// remove deletes the cgroups, children first; it fails while a process
// is still in one of them.
func (cg cgroups) remove() error {
	var errs []error
	for _, d := range []string{cg.v2, cg.memory} {
		if d != "" {
			errs = append(errs, removeCgroupTree(d))
		}
	}
	return errors.Join(errs...)
}

func removeCgroupTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeCgroupTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// memoryBytes is the node's resident memory: anonymous memory plus tmpfs
// and shared memory (page cache of the shared image is not the node's).
func (cg cgroups) memoryBytes() (int64, bool) {
	if cg.memory != "" {
		st := readStat(filepath.Join(cg.memory, "memory.stat"))
		if v, ok := st["total_rss"]; ok {
			return v + st["total_shmem"], true
		}
	}
	st := readStat(filepath.Join(cg.v2, "memory.stat"))
	if v, ok := st["anon"]; ok {
		return v + st["shmem"], true
	}
	return 0, false
}

func readStat(path string) map[string]int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	m := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			m[k] = n
		}
	}
	return m
}
