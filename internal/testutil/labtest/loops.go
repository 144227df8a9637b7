package labtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// leftLoops picks, from `losetup --list --noheadings --output
// NAME,BACK-FILE`, the loop devices of a killed run of the same test: their
// disk files lie in another temporary directory of test under
// lab/<prefix>/nodes/ (own is this run's lab directory). `lab down` of
// this run finds a killed run's namespaces by prefix but its disks only
// under its own directory, so they stay attached otherwise, a machine-wide
// resource, even after their files are gone ("(deleted)").
func leftLoops(list, tmp, test, prefix, own string) []string {
	var out []string
	for _, line := range strings.Split(list, "\n") {
		name, file, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		file = strings.TrimSuffix(strings.TrimSpace(file), " (deleted)")
		rel, err := filepath.Rel(tmp, file)
		if err != nil || !strings.HasPrefix(rel, test) || strings.HasPrefix(file, own+string(filepath.Separator)) {
			continue
		}
		// test's own directories only: TestLabX123…, not TestLabXY123….
		dir, _, _ := strings.Cut(rel, string(filepath.Separator))
		if strings.Trim(strings.TrimPrefix(dir, test), "0123456789") != "" {
			continue
		}
		if strings.Contains(file, string(filepath.Separator)+filepath.Join("lab", prefix, "nodes")+string(filepath.Separator)) {
			out = append(out, name)
		}
	}
	return out
}

// detachLeftLoops detaches what leftLoops finds; errors are the next
// run's concern, as with `lab down` of what a killed run left.
func detachLeftLoops(test, prefix, own string) {
	list, err := exec.Command("losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE").Output()
	if err != nil {
		return
	}
	for _, dev := range leftLoops(string(list), os.TempDir(), test, prefix, own) {
		_ = exec.Command("losetup", "--detach", dev).Run()
	}
}
