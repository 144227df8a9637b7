// Package aptrepo makes a local APT repository for the lab tests of
// package upgrades: a package installed on a lab host rebuilt with a
// higher version (no mirror needed: the lab image keeps no .debs), a flat
// repository of such packages with its index, served over HTTP to the lab
// hosts from the machine.
package aptrepo

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RebuildScript rebuilds an installed package as a .deb with another
// version, from what dpkg knows of it: its files as installed (run it
// before anything changes the package's configuration files), its control
// fields, maintainer scripts and conffiles. Run it on the host as
// `sh -c "$RebuildScript" rebuild PACKAGE VERSION OUT.deb`; it prints the
// path of the .deb.
const RebuildScript = `set -eu
pkg=$1 version=$2 out=$3
dpkg-query -W -f='${Status}\n' "$pkg" | grep -q ' installed$'
work=$(mktemp -d /var/tmp/fm-rebuild.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/DEBIAN"
# Every path of the package that is there (not "/.", not a diversion's
# note), copied in one tar: thousands of files for a server.
dpkg-query -L "$pkg" | while IFS= read -r f; do
	case $f in /.) ;; /*) if [ -e "$f" ] || [ -L "$f" ]; then echo "${f#/}"; fi ;; esac
done >"$work/paths"
tar -C / --no-recursion -cf - -T "$work/paths" | tar -C "$root" -xpf -
for field in Package Source Architecture Maintainer Installed-Size Pre-Depends Depends Recommends Suggests Conflicts Breaks Replaces Provides Section Priority Homepage; do
	v=$(dpkg-query -W -f="\${$field}" "$pkg")
	[ -z "$v" ] || printf '%s: %s\n' "$field" "$v"
	[ "$field" != Source ] || printf 'Version: %s\n' "$version"
done >"$root/DEBIAN/control"
printf 'Description: %s\n' "$(dpkg-query -W -f='${Description}' "$pkg")" >>"$root/DEBIAN/control"
info=/var/lib/dpkg/info
for part in preinst postinst prerm postrm config templates triggers conffiles md5sums; do
	for f in "$info/$pkg.$part" "$info/$pkg:$(dpkg --print-architecture).$part"; do
		[ ! -e "$f" ] || cp "$f" "$root/DEBIAN/$part"
	done
done
mkdir -p "$(dirname "$out")"
dpkg-deb -Zgzip -z1 -b "$root" "$out" >/dev/null
echo "$out"
`

// Write writes the index of a flat repository (Packages and Release) for
// the .deb files in dir, read with dpkg-deb.
func Write(dir string) error {
	debs, err := filepath.Glob(filepath.Join(dir, "*.deb"))
	if err != nil {
		return err
	}
	if len(debs) == 0 {
		return fmt.Errorf("no .deb in %s", dir)
	}
	sort.Strings(debs)
	var idx bytes.Buffer
	for _, deb := range debs {
		para, err := paragraph(deb)
		if err != nil {
			return err
		}
		idx.WriteString(para)
		idx.WriteString("\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "Packages"), idx.Bytes(), 0o644); err != nil {
		return err
	}
	sum := sha256.Sum256(idx.Bytes())
	release := "Origin: fundament-test\nLabel: fundament-test\n" +
		"Date: " + time.Now().UTC().Format(time.RFC1123) + "\n" +
		"SHA256:\n " + hex.EncodeToString(sum[:]) + " " + strconv.Itoa(idx.Len()) + " Packages\n"
	return os.WriteFile(filepath.Join(dir, "Release"), []byte(release), 0o644)
}

// paragraph is a package's stanza of the index: its control fields, where
// it is and its checksums.
func paragraph(deb string) (string, error) {
	out, err := exec.Command("dpkg-deb", "-f", deb).Output()
	if err != nil {
		return "", fmt.Errorf("dpkg-deb -f %s: %w", deb, err)
	}
	f, err := os.Open(deb)
	if err != nil {
		return "", err
	}
	defer f.Close()
	m, s := md5.New(), sha256.New()
	n, err := io.Copy(io.MultiWriter(m, s), f)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(out), "\n") + "\n" +
		"Filename: ./" + filepath.Base(deb) + "\n" +
		"Size: " + strconv.FormatInt(n, 10) + "\n" +
		"MD5sum: " + hex.EncodeToString(m.Sum(nil)) + "\n" +
		"SHA256: " + hex.EncodeToString(s.Sum(nil)) + "\n", nil
}

// Serve serves dir over HTTP on addr (a port is chosen) until the test
// ends and returns the repository's URL. A host adds a package by
// uploading it: PUT URL/NAME.deb (curl -fsST FILE URL); Write indexes it.
func Serve(t *testing.T, dir, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatalf("serving the repository on %s: %v", addr, err)
	}
	files := http.FileServer(http.Dir(dir))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			files.ServeHTTP(w, r)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/")
		if !strings.HasSuffix(name, ".deb") || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
			http.Error(w, "only NAME.deb at the top", http.StatusBadRequest)
			return
		}
		if err := upload(filepath.Join(dir, name), r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

func upload(path string, body io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Sources is the deb822 source of the flat repository at url, trusted
// without a signature (a test's own repository).
func Sources(url string) string {
	return "Types: deb\nURIs: " + url + "\nSuites: ./\nTrusted: yes\n"
}
