package aptrepo

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRebuildServeInstallable rebuilds a package installed on this
// machine with a higher version, indexes and serves it, and asks apt (with
// lists of its own, changing nothing of the machine's) which version it
// would install: the rebuilt one, from the served repository.
func TestRebuildServeInstallable(t *testing.T) {
	for _, tool := range []string{"dpkg-query", "dpkg-deb", "apt-get", "apt-cache"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (a Debian machine)", tool)
		}
	}
	const pkg = "netbase" // small, in every Debian, architecture all
	old, err := exec.Command("dpkg-query", "-W", "-f=${Version}", pkg).Output()
	if err != nil {
		t.Skipf("%s is not installed here: %v", pkg, err)
	}
	version := string(old) + "+fm1"
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	if err := os.Mkdir(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	deb := filepath.Join(dir, "built", pkg+"_"+version+"_all.deb")
	out, err := exec.Command("sh", "-c", RebuildScript, "rebuild", pkg, version, deb).CombinedOutput()
	if err != nil {
		t.Fatalf("rebuild: %v: %s", err, out)
	}
	if strings.TrimSpace(string(out)) != deb {
		t.Errorf("rebuild printed %q, want %q", out, deb)
	}
	for field, want := range map[string]string{"Package": pkg, "Version": version, "Architecture": "all"} {
		got, err := exec.Command("dpkg-deb", "-f", deb, field).Output()
		if err != nil || strings.TrimSpace(string(got)) != want {
			t.Errorf("%s %q (%v), want %q", field, got, err, want)
		}
	}
	// The same files as installed (netbase's /etc/protocols among them).
	list, err := exec.Command("dpkg-deb", "-c", deb).Output()
	if err != nil || !strings.Contains(string(list), "./etc/protocols") {
		t.Errorf("contents (%v):\n%s", err, list)
	}
	// Uploaded as a host does (curl -T), indexed, served.
	url := Serve(t, repo, "127.0.0.1")
	for name, want := range map[string]int{filepath.Base(deb): http.StatusCreated, "../evil.deb": http.StatusBadRequest, "notes.txt": http.StatusBadRequest} {
		f, err := os.Open(deb)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPut, url+name, f)
		res, err := http.DefaultClient.Do(req)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("PUT %s: %s, want %d", name, res.Status, want)
		}
	}
	if err := Write(repo); err != nil {
		t.Fatal(err)
	}
	idx, _ := os.ReadFile(filepath.Join(repo, "Packages"))
	for _, want := range []string{"Package: netbase\n", "Version: " + version + "\n", "Filename: ./" + filepath.Base(deb) + "\n", "SHA256: "} {
		if !strings.Contains(string(idx), want) {
			t.Errorf("Packages lacks %q:\n%s", want, idx)
		}
	}

	etc := filepath.Join(dir, "etc")
	for _, d := range []string{"etc/sources.list.d", "etc/preferences.d", "lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(etc, "sources.list.d", "test.sources"), []byte(Sources(url)), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := []string{"-o", "Dir::Etc=" + etc, "-o", "Dir::Etc::sourcelist=/dev/null", "-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"), "-o", "Debug::NoLocking=1"}
	if out, err := exec.Command("apt-get", append(opts, "update")...).CombinedOutput(); err != nil {
		t.Fatalf("apt-get update: %v: %s", err, out)
	}
	policy, err := exec.Command("apt-cache", append(opts, "policy", pkg)...).CombinedOutput()
	if err != nil || !strings.Contains(string(policy), "Candidate: "+version) || !strings.Contains(string(policy), strings.TrimSuffix(url, "/")+" ./ Packages") {
		t.Errorf("apt does not offer %s %s from %s (%v):\n%s", pkg, version, url, err, policy)
	}
}
