package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/fundament-cloud/fundament/internal/resource"
)

// ImageSpec says what the root file system of lab hosts holds: a Debian
// base made by debootstrap and, on top of it, a layer with the packages
// the cloud's roles need. Both are cached under the cache directory by a
// digest of what goes into them, so a changed package list rebuilds only
// the layer, and an unchanged one nothing.
type ImageSpec struct {
	Suite    string // Debian suite, e.g. trixie
	Mirror   string // e.g. http://deb.debian.org/debian
	Security string // e.g. http://deb.debian.org/debian-security ("" = none)
	// Base are the packages of the base layer: what every lab host needs to
	// boot and be reached (systemd, sshd, iproute2, ...).
	Base []resource.Package
	// Packages are installed into the upper layer, pinned where a version
	// is given. Empty: the image is the base layer alone.
	Packages []resource.Package
}

// Image is a built image: its layers, top first (overlayfs lowerdir order).
type Image struct {
	Layers []string
	Built  []string // layers built by this call (the others came from the cache)
}

// imageFormat changes whenever the build recipe does, so old caches are
// not mistaken for new ones.
const imageFormat = "fundament-lab-image/1"

// basePackages are in every lab host: what boots, what Fundament needs to
// reach and manage the host, and the tools operators expect on a server.
var basePackages = []string{
	"systemd", "systemd-sysv", "dbus", "openssh-server", "sudo", "python3",
	"python3-apt", // Ansible's apt module: operators' playbooks, bench/
	"iproute2", "iputils-ping", "ethtool", "netbase", "procps", "less",
	"ca-certificates", "apt-utils", "kmod", "util-linux", "tcpdump", "curl",
}

// DefaultImageSpec is the Debian 13 image with the base packages only.
func DefaultImageSpec() ImageSpec {
	s := ImageSpec{Suite: "trixie", Mirror: "http://deb.debian.org/debian", Security: "http://deb.debian.org/debian-security"}
	for _, p := range basePackages {
		s.Base = append(s.Base, resource.Package{Name: p})
	}
	return s
}

func (s ImageSpec) baseKey() string {
	return digest(imageFormat, "base", s.Suite, s.Mirror, pkgList(s.Base))
}

func (s ImageSpec) layerKey() string {
	return digest(imageFormat, "layer", s.baseKey(), s.Security, pkgList(s.Packages))
}

func pkgList(ps []resource.Package) string {
	var l []string
	for _, p := range ps {
		l = append(l, p.Name+"="+p.Version)
	}
	sort.Strings(l)
	return strings.Join(l, " ")
}

func digest(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:8])
}

// BuildImage returns the image for spec, building the layers the cache
// lacks; progress hears what it does. Concurrent builds of one cache wait
// for each other.
func BuildImage(ctx context.Context, cacheDir string, spec ImageSpec, log io.Writer, progress Progress) (*Image, error) {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := flockFile(filepath.Join(cacheDir, ".lock"), func() {
		progress.Emit("", time.Now(), Event{Type: EventImageLocked, Message: "another build of " + cacheDir + " runs; waiting for it"})
	})
	if err != nil {
		return nil, err
	}
	defer unlock()
	img := &Image{}
	base := filepath.Join(cacheDir, "base-"+spec.baseKey())
	if !exists(filepath.Join(base, "manifest.json")) {
		fmt.Fprintf(log, "building the base image %s (debootstrap %s from %s)\n", filepath.Base(base), spec.Suite, spec.Mirror)
		if err := buildBase(ctx, base, spec, log, progress); err != nil {
			return nil, fmt.Errorf("building the lab's base image: %w", err)
		}
		img.Built = append(img.Built, base)
	} else {
		progress.Emit(StageBase, time.Now(), Event{Type: EventImageCached, Message: filepath.Base(base)})
	}
	img.Layers = []string{filepath.Join(base, "root")}
	if len(spec.Packages) == 0 {
		return img, nil
	}
	layer := filepath.Join(cacheDir, "layer-"+spec.layerKey())
	if !exists(filepath.Join(layer, "manifest.json")) {
		fmt.Fprintf(log, "building the package layer %s (%d packages)\n", filepath.Base(layer), len(spec.Packages))
		if err := buildLayer(ctx, layer, img.Layers[0], spec, log, progress); err != nil {
			return nil, fmt.Errorf("building the lab's package layer: %w", err)
		}
		img.Built = append(img.Built, layer)
	} else {
		progress.Emit(StagePackages, time.Now(), Event{Type: EventImageCached, Message: filepath.Base(layer)})
	}
	img.Layers = append([]string{filepath.Join(layer, "upper")}, img.Layers...)
	return img, nil
}

// buildStatus runs a build step whose programs report on descriptor 3:
// their status lines become progress events of stage (and, verbose, lines
// of the log: debootstrap writes its messages nowhere else), their errors
// part of the step's error.
func buildStatus(ctx context.Context, log io.Writer, progress Progress, stage string, start time.Time, name string, args ...string) error {
	var p statusParser
	err := runStatus(ctx, log, func(line string) {
		fmt.Fprintln(log, "status: "+strings.TrimRight(line, "\n"))
		for _, e := range p.line(line) {
			progress.Emit(stage, start, e)
		}
	}, name, args...)
	if err != nil && len(p.errs()) > 0 {
		return fmt.Errorf("%w\n%s", err, strings.Join(p.errs(), "\n"))
	}
	return err
}

func buildBase(ctx context.Context, dir string, spec ImageSpec, log io.Writer, progress Progress) error {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	root := filepath.Join(tmp, "root")
	var include []string
	for _, p := range spec.Base {
		include = append(include, p.Name)
	}
	start := time.Now()
	progress.Emit(StageBase, start, Event{Type: EventImageBuild, Message: fmt.Sprintf("%s: debootstrap %s from %s", filepath.Base(dir), spec.Suite, spec.Mirror)})
	// --debian-installer: debootstrap reports its steps and their progress
	// on descriptor 3, as it does for the Debian installer.
	if err := buildStatus(ctx, log, progress, StageBase, start, "debootstrap", "--debian-installer", "--variant=minbase", "--include="+strings.Join(include, ","),
		spec.Suite, root, spec.Mirror); err != nil {
		return err
	}
	if err := prepareBase(root, spec); err != nil {
		return err
	}
	if err := finishBuild(tmp, dir, spec.baseKey(), pkgList(spec.Base), start); err != nil {
		return err
	}
	progress.Emit(StageBase, start, Event{Type: EventImageBuilt, Message: filepath.Base(dir)})
	return nil
}

// prepareBase turns a debootstrapped tree into the image every host boots:
// nothing host-specific in it (hostname, machine id, SSH host keys: each
// host gets its own), and no unit that cannot work in a lab host.
func prepareBase(root string, spec ImageSpec) error {
	for _, glob := range []string{"etc/ssh/ssh_host_*", "etc/hostname", "etc/resolv.conf", "var/lib/dbus/machine-id", "etc/apt/sources.list"} {
		matches, _ := filepath.Glob(filepath.Join(root, glob))
		for _, m := range matches {
			if err := os.Remove(m); err != nil {
				return err
			}
		}
	}
	// An empty machine-id: systemd treats the host as new (first boot)
	// unless the lab wrote one into its own layer, which it does.
	files := map[string]string{
		"etc/machine-id": "",
		"etc/ssh/sshd_config.d/fundament-lab.conf": "# Written by fundament lab: each host has its own ed25519 host key.\n" +
			"HostKey /etc/ssh/ssh_host_ed25519_key\nUseDNS no\nPermitRootLogin prohibit-password\n",
		"etc/apt/sources.list.d/debian.sources": aptSources(spec),
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	// Units that need what a lab host lacks: kernel modules (none can be
	// loaded here) and a console of its own.
	for _, unit := range []string{"systemd-modules-load.service", "console-getty.service", "getty@.service", "serial-getty@.service"} {
		link := filepath.Join(root, "etc/systemd/system", unit)
		os.Remove(link)
		if err := os.Symlink("/dev/null", link); err != nil {
			return err
		}
	}
	return nil
}

func aptSources(spec ImageSpec) string {
	s := fmt.Sprintf("Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n", spec.Mirror, spec.Suite, spec.Suite)
	if spec.Security != "" {
		s += fmt.Sprintf("\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n", spec.Security, spec.Suite)
	}
	return s
}

// buildLayer installs the packages into an overlay on the base and keeps
// the overlay's upper directory as the layer. Package scripts do not start
// services (policy-rc.d), and services that packages enable are disabled
// again: which services run on which host is the engine's business.
func buildLayer(ctx context.Context, dir, base string, spec ImageSpec, log io.Writer, progress Progress) error {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	for _, d := range []string{"upper", "work", "root"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return err
		}
	}
	start := time.Now()
	progress.Emit(StagePackages, start, Event{Type: EventImageBuild, Message: fmt.Sprintf("%s: %d packages", filepath.Base(dir), len(spec.Packages))})
	r := filepath.Join(tmp, "root")
	// apt reports on descriptor 3 (APT::Status-Fd, from a configuration
	// file on the build's own /tmp), and the script says which of its
	// steps begins there ("fundament-step:KEY:TEXT").
	step := func(key, text string) string {
		return "echo " + resource.Quote("fundament-step:"+key+":"+text) + " >&3"
	}
	script := strings.Join([]string{
		"set -e",
		"mount --make-rprivate /",
		fmt.Sprintf("mount -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s %s", base, filepath.Join(tmp, "upper"), filepath.Join(tmp, "work"), r),
		"mount -t proc proc " + r + "/proc",
		"mount --rbind /dev " + r + "/dev",
		"mount -t tmpfs tmpfs " + r + "/tmp",
		"mount -t tmpfs tmpfs " + r + "/run",
		"cp /etc/resolv.conf " + r + "/etc/resolv.conf",
		"printf '#!/bin/sh\\nexit 101\\n' > " + r + "/usr/sbin/policy-rc.d",
		"chmod 755 " + r + "/usr/sbin/policy-rc.d",
		"echo 'APT::Status-Fd \"3\";' > " + r + "/tmp/fundament-apt.conf",
		"export APT_CONFIG=/tmp/fundament-apt.conf",
		"chroot " + r + " systemctl list-unit-files --state=enabled --no-legend | awk '{print $1}' | sort > /tmp/fundament-enabled-before",
		step("update", "Updating the package lists"),
		"chroot " + r + " apt-get update",
		step("install", fmt.Sprintf("Installing %d packages and what they depend on", len(spec.Packages))),
		"chroot " + r + " /bin/sh -ec " + resource.Quote(resource.InstallScript(spec.Packages)+"apt-get clean\n"),
		step("services", "Disabling the services the packages enabled"),
		"chroot " + r + " systemctl list-unit-files --state=enabled --no-legend | awk '{print $1}' | sort > /tmp/fundament-enabled-after",
		"for u in $(comm -13 /tmp/fundament-enabled-before /tmp/fundament-enabled-after); do chroot " + r + " systemctl disable \"$u\" >/dev/null 2>&1 || true; done",
		"rm -f " + r + "/usr/sbin/policy-rc.d " + r + "/etc/resolv.conf",
		"rm -rf " + r + "/var/lib/apt/lists/*",
	}, "\n")
	if err := buildStatus(ctx, log, progress, StagePackages, start, "unshare", "--mount", "--fork", "/bin/sh", "-c", script); err != nil {
		return err
	}
	os.RemoveAll(filepath.Join(tmp, "work"))
	os.Remove(r)
	if err := finishBuild(tmp, dir, spec.layerKey(), pkgList(spec.Packages), start); err != nil {
		return err
	}
	progress.Emit(StagePackages, start, Event{Type: EventImageBuilt, Message: filepath.Base(dir)})
	return nil
}

type manifest struct {
	Format   string    `json:"format"`
	Key      string    `json:"key"`
	Packages string    `json:"packages"`
	Built    time.Time `json:"built"`
	Seconds  float64   `json:"seconds"`
}

// finishBuild records what was built and moves it into place: a layer with
// a manifest is complete.
func finishBuild(tmp, dir, key, packages string, start time.Time) error {
	m := manifest{Format: imageFormat, Key: key, Packages: packages, Built: time.Now().UTC(), Seconds: time.Since(start).Seconds()}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// flockFile takes an exclusive lock on path, waiting for it (after
// calling waiting) when another process holds it.
func flockFile(path string, waiting func()) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		waiting()
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
