package scs

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)

func goodImage(name string) Image {
	return Image{Props: map[string]string{
		"name": name, "visibility": "public", "os_hidden": "false", "created_at": "2026-08-02T10:00:00Z",
		"min_disk": "8", "min_ram": "512", "size": "3000000000",
		"architecture": "x86_64", "os_distro": "ubuntu", "os_version": "24.04", "os_purpose": "generic",
		"hw_disk_bus": "scsi", "hw_scsi_model": "virtio-scsi", "hypervisor_type": "qemu", "hw_rng_model": "virtio",
		"os_hash_algo": "sha512", "os_hash_value": "0ab1",
		"image_build_date": "2026-08-01", "image_original_user": "ubuntu",
		"image_source":      "https://cloud-images.ubuntu.com/releases/noble/release-20260801/ubuntu-24.04-server-cloudimg-amd64.img",
		"image_description": "https://cloud-images.ubuntu.com/releases/noble/",
		"replace_frequency": "monthly", "provided_until": "none", "uuid_validity": "last-3", "hotfix_hours": "0",
	}}
}

func with(img Image, kv ...string) Image {
	props := maps.Clone(img.Props)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<unset>" {
			delete(props, kv[i])
		} else {
			props[kv[i]] = kv[i+1]
		}
	}
	return Image{Props: props}
}

func render(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s %s %s [%s]: %s\n", f.Level, f.Subject, f.Testcase, f.Field, f.Message)
	}
	return b.String()
}

func check(images []Image, scope string, complete bool) []Finding {
	s, err := LookupScope(scope)
	if err != nil {
		panic(err)
	}
	return CheckImages(images, ImageOptions{Scope: s, Now: testNow, Complete: complete})
}

func TestGoodImage(t *testing.T) {
	for _, scope := range []string{"v5.1", "next"} {
		if fs := check([]Image{goodImage("Ubuntu 24.04")}, scope, false); len(fs) != 0 {
			t.Errorf("%s:\n%s", scope, render(fs))
		}
	}
}

// TestImageProperties: one wrong property each, the finding it causes.
func TestImageProperties(t *testing.T) {
	tests := []struct {
		kv       []string
		testcase string
		level    Level
		message  string
	}{
		{[]string{"architecture", "amd64"}, "scs-0102-prop-architecture", Error, `"amd64", must be one of x86_64, aarch64, risc-v`},
		{[]string{"architecture", "<unset>"}, "scs-0102-prop-architecture", Error, "not set, must be one of"},
		{[]string{"min_disk", "0"}, "scs-0102-prop-min_disk", Error, "0: the smallest root disk in GiB must be set"},
		{[]string{"min_disk", "2"}, "scs-0102-prop-min_disk", Error, "2 GiB is smaller than the image (3000000000 bytes)"},
		{[]string{"min_disk", "big"}, "scs-0102-prop-min_disk", Error, `"big" is not a whole number (the smallest root disk in GiB)`},
		{[]string{"min_ram", "<unset>"}, "scs-0102-prop-min_ram", Error, "not set: the RAM in MiB the image needs to boot must be set"},
		{[]string{"min_ram", "32"}, "scs-0102-prop-min_ram", Warning, "32 MiB is very little"},
		{[]string{"os_version", ""}, "scs-0102-prop-os_version", Error, "not set"},
		{[]string{"os_version", "noble"}, "scs-0102-prop-os_version", Warning, `"noble" is not numeric`},
		{[]string{"os_distro", "<unset>"}, "scs-0102-prop-os_distro", Error, "not set"},
		{[]string{"os_distro", "Ubuntu"}, "scs-0102-prop-os_distro", Warning, "lowercase"},
		{[]string{"hw_disk_bus", "ide"}, "scs-0102-prop-hw_disk_bus", Error, `"ide", must be virtio or scsi`},
		{[]string{"hw_disk_bus", "<unset>"}, "scs-0102-prop-hw_disk_bus", Warning, "not set, but mandatory (standard text; the test accepts it)"},
		{[]string{"hw_scsi_model", "<unset>"}, "scs-0102-prop-hw_disk_bus", Warning, "recommended with hw_disk_bus=scsi"},
		{[]string{"image_build_date", "2026/08/01"}, "scs-0102-prop-image_build_date", Error, `"2026/08/01", must be YYYY-MM-DD`},
		{[]string{"image_build_date", "2026-08-03"}, "scs-0102-prop-image_build_date", Error, "after the registration date"},
		{[]string{"image_build_date", "2026-09-01", "created_at", "2026-09-02T00:00:00Z"}, "scs-0102-prop-image_build_date", Error, "in the future"},
		{[]string{"created_at", "2026-08-02 10:00:00"}, "scs-0102-prop-image_build_date", Error, "is not YYYY-MM-DDThh:mm:ssZ"},
		{[]string{"image_original_user", ""}, "scs-0102-prop-image_original_user", Error, "not set"},
		{[]string{"image_source", "cloud-images.ubuntu.com"}, "scs-0102-prop-image_source", Error, "must be a http, https, ftp or ftps URL or private"},
		{[]string{"image_source", "s3://bucket/img"}, "scs-0102-prop-image_source", Error, "URL or private"},
		{[]string{"image_description", "<unset>"}, "scs-0102-prop-image_description", Error, "not set"},
		{[]string{"replace_frequency", "sometimes"}, "scs-0102-prop-replace_frequency", Error, `"sometimes", must be one of`},
		{[]string{"provided_until", ""}, "scs-0102-prop-provided_until", Error, "not set"},
		{[]string{"provided_until", "forever"}, "scs-0102-prop-provided_until", Warning, `"forever", should be YYYY-MM-DD, none or notice`},
		{[]string{"uuid_validity", "last-"}, "scs-0102-prop-uuid_validity", Error, `"last-", must be none, last-N`},
		{[]string{"uuid_validity", "<unset>"}, "scs-0102-prop-uuid_validity", Warning, "not set, but mandatory"},
		{[]string{"os_hash_algo", "md5"}, "scs-0102-prop-hash_algo", Warning, `"md5", should be sha256 or sha512`},
		{[]string{"os_hash_value", ""}, "scs-0102-prop-hash_algo", Warning, "recommended with os_hash_algo"},
		{[]string{"os_purpose", "<unset>"}, "scs-0102-prop-os_purpose", Warning, "not set, must be one of generic"},
		{[]string{"os_purpose", "oldgeneric"}, "scs-0102-prop-os_purpose", Warning, `"oldgeneric"`}, // v2 only
		{[]string{"hypervisor_type", "vbox"}, "scs-0102-prop-hypervisor_type", Warning, `"vbox", must be one of`},
		{[]string{"hw_rng_model", "random"}, "scs-0102-prop-hw_rng_model", Warning, `"random", must be virtio or unset`},
		{[]string{"hotfix_hours", "48h"}, "scs-0102-prop-hotfix_hours", Warning, `"48h", must be a number of hours`},
	}
	// Not a standard image name, so that SCS-0104 stays out of it.
	for _, tc := range tests {
		fs := check([]Image{with(goodImage("My Ubuntu"), tc.kv...)}, "v5.1", false)
		if len(fs) != 1 || fs[0].Testcase != tc.testcase || fs[0].Level != tc.level || !strings.Contains(fs[0].Message, tc.message) {
			t.Errorf("%v: want one %s %s %q, got\n%s", tc.kv, tc.level, tc.testcase, tc.message, render(fs))
		}
	}
	// Accepted values the prose and the test allow.
	for _, kv := range [][]string{
		{"hw_disk_bus", "virtio"}, {"hypervisor_type", "<unset>"}, {"hw_rng_model", "<unset>"}, {"hotfix_hours", ""},
		{"image_source", "private"}, {"image_source", "ftps://mirror/x"}, {"uuid_validity", "2027-12-31"},
		{"uuid_validity", "forever"}, {"provided_until", "2027-04-30"}, {"image_build_date", "2026-08-01 09:30"},
		{"image_build_date", "2026-8-1 9:30:05"}, {"image_build_date", "2026-08-01T09:30:05Z"}, {"created_at", "<unset>"},
		{"size", "<unset>"}, {"architecture", "aarch64"}, {"os_hash_algo", "sha256"},
	} {
		if fs := check([]Image{with(goodImage("My Ubuntu"), kv...)}, "v5.1", false); len(fs) != 0 {
			t.Errorf("%v:\n%s", kv, render(fs))
		}
	}
}

// TestImageScopeNext: SCS-0102 v2 makes os_purpose mandatory and allows oldgeneric.
func TestImageScopeNext(t *testing.T) {
	fs := check([]Image{with(goodImage("Ubuntu 24.04"), "os_purpose", "<unset>")}, "next", false)
	if len(fs) != 1 || fs[0].Level != Error || fs[0].Testcase != "scs-0102-prop-os_purpose" {
		t.Errorf("missing os_purpose in next:\n%s", render(fs))
	}
	if fs := check([]Image{with(goodImage("Ubuntu 24.04"), "os_purpose", "oldgeneric")}, "next", false); len(fs) != 0 {
		t.Errorf("oldgeneric in next:\n%s", render(fs))
	}
}

func TestImageRecency(t *testing.T) {
	old := with(goodImage("Ubuntu 24.04 20260401"), "image_build_date", "2026-04-01", "created_at", "2026-04-02T00:00:00Z",
		"provided_until", "2027-04-30", "os_hidden", "true")
	current := goodImage("Ubuntu 24.04")
	tests := []struct {
		name   string
		images []Image
		want   string // rendered findings
	}{
		{"current image", []Image{current}, ""},
		{"outdated, hidden, replaced", []Image{old, current}, ""},
		{"outdated, renamed with the date, replaced", []Image{with(old, "os_hidden", "false", "os_purpose", "custom"), current}, ""},
		{"outdated, renamed old", []Image{with(old, "name", "Ubuntu 24.04 old", "os_purpose", "custom"), current}, ""},
		{"outdated without replacement", []Image{old},
			"error Ubuntu 24.04 20260401 scs-0102-image-recency [image_build_date]: outdated (built 2026-04-01, replace_frequency monthly) and not replaced: no current image named \"Ubuntu 24.04\" (the name without its last word)\n"},
		{"outdated, not marked", []Image{with(current, "image_build_date", "2026-06-01", "provided_until", "2027-01-01")},
			"warning Ubuntu 24.04 scs-0102-image-recency [os_hidden]: outdated but neither hidden nor renamed (append old, prev or the build date YYYYMMDD)\n" +
				"error Ubuntu 24.04 scs-0102-image-recency [image_build_date]: outdated (built 2026-06-01, replace_frequency monthly) and not replaced: no current image named \"Ubuntu\" (the name without its last word)\n"},
		{"outdated, replacement outdated too", []Image{old, with(current, "image_build_date", "2026-06-01", "provided_until", "2027-01-01", "os_hidden", "true")},
			"error Ubuntu 24.04 20260401 scs-0102-image-recency [image_build_date]: outdated (built 2026-04-01, replace_frequency monthly) and not replaced: no current image named \"Ubuntu 24.04\" (the name without its last word)\n" +
				"error Ubuntu 24.04 scs-0102-image-recency [image_build_date]: outdated (built 2026-06-01, replace_frequency monthly) and not replaced: no current image named \"Ubuntu\" (the name without its last word)\n"},
		{"outdated but past provided_until", []Image{with(old, "provided_until", "2026-08-01")}, ""},
		{"outdated, provided until notice", []Image{with(old, "provided_until", "notice")}, ""},
		{"outdated, bad provided_until", []Image{with(old, "provided_until", "soon")},
			"warning Ubuntu 24.04 20260401 scs-0102-prop-provided_until [provided_until]: \"soon\", should be YYYY-MM-DD, none or notice (standard text; the test accepts it)\n" +
				"error Ubuntu 24.04 20260401 scs-0102-image-recency [provided_until]: outdated (replace_frequency monthly) and provided_until \"soon\" is not a date\n"},
		{"never replaced", []Image{with(old, "replace_frequency", "never")}, ""},
		{"critical_bug only", []Image{with(old, "replace_frequency", "critical_bug")}, ""},
		{"within the 10% slack", []Image{with(current, "image_build_date", "2026-07-20", "created_at", "2026-07-21T00:00:00Z")}, ""},
		{"weekly, 175 h", []Image{with(current, "replace_frequency", "weekly", "image_build_date", "2026-08-13 12:00", "created_at", "2026-08-14T00:00:00Z")}, ""},
		{"build date falls back to created_at", []Image{with(current, "image_build_date", "x", "created_at", "2026-08-20T00:00:00Z", "replace_frequency", "daily")},
			"error Ubuntu 24.04 scs-0102-prop-image_build_date [image_build_date]: \"x\", must be YYYY-MM-DD or YYYY-MM-DD hh:mm[:ss] (UTC)\n"},
		{"duplicate names", []Image{current, current},
			"warning Ubuntu 24.04 scs-0102-image-recency [name]: duplicate name; only the last image of this name counts as a replacement\n" +
				"warning Ubuntu 24.04, Ubuntu 24.04 scs-0102-os_purpose-uniqueness [os_purpose]: os_purpose=generic on 2 visible public images of architecture \"x86_64\", os_distro \"ubuntu\", os_version \"24.04\"; hide the old ones or mark them oldgeneric\n"},
	}
	for _, tc := range tests {
		if got := render(check(tc.images, "v5.1", false)); got != tc.want {
			t.Errorf("%s:\n got\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestImageUniqueness(t *testing.T) {
	a := goodImage("Ubuntu 24.04")
	b := with(goodImage("Ubuntu 24.04 minimal"), "os_purpose", "generic")
	for _, tc := range []struct {
		name   string
		images []Image
		want   int
	}{
		{"two generic", []Image{a, b}, 1},
		{"one hidden", []Image{a, with(b, "os_hidden", "True")}, 0},
		{"one community", []Image{a, with(b, "visibility", "community")}, 0},
		{"one minimal", []Image{a, with(b, "os_purpose", "minimal")}, 0},
		{"other architecture", []Image{a, with(b, "architecture", "aarch64")}, 0},
		{"other version", []Image{a, with(b, "os_version", "22.04")}, 0},
	} {
		n := 0
		for _, f := range check(tc.images, "next", false) {
			if f.Testcase == "scs-0102-os_purpose-uniqueness" {
				n++
				if f.Level != Error || f.Subject != "Ubuntu 24.04, Ubuntu 24.04 minimal" {
					t.Errorf("%s: %+v", tc.name, f)
				}
			}
		}
		if n != tc.want {
			t.Errorf("%s: %d uniqueness findings, want %d", tc.name, n, tc.want)
		}
	}
}

func TestImageVisibility(t *testing.T) {
	fs := check([]Image{with(goodImage("Ubuntu 24.04"), "visibility", "private", "architecture", "none")}, "v5.1", false)
	if len(fs) != 1 || fs[0].Level != Info || !strings.Contains(fs[0].Message, "not checked: visibility private") {
		t.Errorf("private image:\n%s", render(fs))
	}
}

// TestStandardImages is SCS-0104: sources of matching images, and with
// Complete the presence of the mandatory and recommended ones.
func TestStandardImages(t *testing.T) {
	debian := with(goodImage("Debian 12"), "os_distro", "debian", "os_version", "12",
		"image_source", "https://cloud.debian.org/images/cloud/bookworm/20260801-1/debian-12-genericcloud-amd64.qcow2")
	capi := with(goodImage("ubuntu-capi-image-v1.33.4"), "os_purpose", "k8snode",
		"image_source", "https://nbg1.your-objectstorage.com/osism/openstack-k8s-capi-images/ubuntu-2404-kube-v1.33/ubuntu.qcow2")
	tests := []struct {
		name     string
		images   []Image
		scope    string
		complete bool
		want     []string // testcase level, in order
	}{
		{"v5 complete", []Image{goodImage("Ubuntu 24.04"), debian, capi}, "v5.1", true, nil},
		{"v5 ubuntu wrong source", []Image{with(goodImage("Ubuntu 24.04"), "image_source", "https://example.com/noble.img")}, "v5.1", false,
			[]string{"scs-0104-source-ubuntu-2404 error"}},
		{"v5 daily builds are fine", []Image{with(goodImage("Ubuntu 24.04"), "image_source", "https://cloud-images.ubuntu.com/noble/current/x.img")}, "v5.1", false, nil},
		{"v5 optional image with wrong source", []Image{with(goodImage("Ubuntu 22.04"), "os_version", "22.04", "image_source", "private")}, "v5.1", false,
			[]string{"scs-0104-source-ubuntu-2204 error"}},
		{"v5 capi with space scheme checks capi-1", []Image{with(capi, "name", "ubuntu-capi-image v1.30.1", "image_source", "private")}, "v5.1", false,
			[]string{"scs-0104-source-capi-1 error"}},
		{"scheme anchored at the start only", []Image{with(capi, "name", "ubuntu-capi-image-v1.30.1-extra", "image_source", "private")}, "v5.1", false,
			[]string{"scs-0104-source-capi-2 error"}},
		{"v5 missing all", []Image{with(goodImage("Ubuntu 22.04"), "os_version", "22.04",
			"image_source", "https://cloud-images.ubuntu.com/releases/jammy/x.img")}, "v5.1", true,
			[]string{"scs-0104-image-ubuntu-2404 error", "scs-0104-image-debian-12 warning", "scs-0104-image-capi-2 warning"}},
		{"v4 needs 22.04", []Image{goodImage("Ubuntu 24.04")}, "v4", true,
			[]string{"scs-0104-image-ubuntu-2204 error", "scs-0104-image-capi-1 warning"}},
		{"incomplete list: no presence check", []Image{debian}, "v5.1", false, nil},
	}
	for _, tc := range tests {
		var got []string
		for _, f := range check(tc.images, tc.scope, tc.complete) {
			if strings.HasPrefix(f.Testcase, "scs-0104-") {
				got = append(got, f.Testcase+" "+string(f.Level))
			}
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestParseImages(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		list     bool
		err      string
		check    map[string]string // props of the first image
	}{
		{"one image, openstack image show", "name: Ubuntu 24.04\nmin_disk: 8\nos_hidden: false\nproperties:\n  os_distro: ubuntu\n  image_build_date: 2026-08-01\n  hw_rng_model: null\n",
			1, false, "", map[string]string{"min_disk": "8", "os_hidden": "false", "os_distro": "ubuntu", "image_build_date": "2026-08-01"}},
		{"a list in JSON", `[{"name": "a", "min_ram": 512, "tags": ["x"]}, {"name": "b"}]`, 2, true, "", map[string]string{"min_ram": "512"}},
		{"images key", "images:\n- name: a\n  os_version: '24.04'\n", 1, true, "", map[string]string{"os_version": "24.04"}},
		{"empty", "", 0, false, "empty", nil},
		{"no name", "os_distro: ubuntu\n", 0, false, "needs a name", nil},
		{"scalar", "hello\n", 0, false, "expected an image", nil},
		{"list of scalars", "- a\n", 0, true, "not a mapping", nil},
		{"bad YAML", "name: [\n", 0, false, "yaml", nil},
	}
	for _, tc := range tests {
		imgs, list, err := ParseImages([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || len(imgs) != tc.n || list != tc.list {
			t.Errorf("%s: %d images, list %v, %v", tc.name, len(imgs), list, err)
			continue
		}
		for k, v := range tc.check {
			if imgs[0].Props[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.name, k, imgs[0].Props[k], v)
			}
		}
		if _, ok := imgs[0].Props["hw_rng_model"]; ok {
			t.Errorf("%s: null kept as a value", tc.name)
		}
	}
}

func TestLookupScope(t *testing.T) {
	if _, err := LookupScope("v3"); err == nil {
		t.Error("v3 accepted")
	}
	s, err := LookupScope("next")
	if err != nil || s.MetadataVersion != 2 || s.StandardImageSet != "v5" {
		t.Errorf("next: %+v %v", s, err)
	}
}
