package glance_test

// The Glance integration test: a lab of examples/lab (on its own prefix
// and addresses) with Galera, memcached, the load balancer, Keystone,
// Placement (examples/lab enables it: HAProxy has its frontends, whose
// backends must answer for the load balancer to be OK) and Glance
// applied, and Ceph: examples/lab runs Glance on the three control hosts
// with its images in Ceph's images pool (RBD). From this machine, Debian's
// openstack client with the generated clouds.yaml finds Glance in the
// catalog, uploads a small image through the public virtual IP with TLS,
// downloads it and compares it byte for byte and with Glance's
// checksum; glance-manage and glance-status agree on the host; status is
// OK; a re-apply changes nothing; the host holding the virtual IPs stops
// and the round trip still works through them; no secret value appears
// in any output. It logs the time from `lab up` to a working Glance.
//
// The image is made by the test (a few MiB of a fixed pattern and random
// bytes, disk format raw): it needs no internet and no image cache.
//
//	go test ./internal/components/glance -run TestLabGlance -v -timeout 45m

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
)

const (
	labPrefix = "fgi"
	// labNet replaces examples/lab's 10.199.: clear of the other tests'.
	labNet = "10.187."
	cloud  = "gitest"
	// applied: Glance and what it needs (no RabbitMQ: Glance's
	// notifications are off); fabric for the machine's route to the
	// public virtual IP; placement, which examples/lab enables.
	applied = "fabric,galera,memcached,loadbalancer,keystone,placement,ceph,glance"
	// glanceHost is one of Glance's hosts (ctl-1 holds the virtual IPs
	// first, and the test stops their holder).
	glanceHost = "ctl-3"
)

// imageFile writes a small raw image: a fixed pattern (so that a store
// that returned zeros or another image's data is caught) and random
// bytes (so that no earlier upload matches it).
func imageFile(t *testing.T) (path string, data []byte) {
	t.Helper()
	data = bytes.Repeat([]byte("fundament glance lab image\n"), 64<<10/27)
	noise := make([]byte, 3<<20)
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	data = append(data, noise...)
	path = filepath.Join(t.TempDir(), "image.raw")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// image is what `openstack image show -f json` says of an image.
type image struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Checksum string `json:"checksum"` // md5
	Size     int64  `json:"size"`
}

func show(l *labtest.Lab, id string) (image, error) {
	out, err := l.OpenStack("image", "show", id, "-f", "json")
	var im image
	if err == nil {
		err = json.Unmarshal([]byte(out), &im)
	}
	return im, err
}

// roundTrip uploads an image through the public virtual IP, waits until
// it is active, checks Glance's size and checksum against the file, downloads it
// and compares the bytes; then deletes it.
func roundTrip(t *testing.T, l *labtest.Lab, name string) {
	t.Helper()
	path, data := imageFile(t)
	start := time.Now()
	out := l.OpenStackUntil(t, 2*time.Minute, "image", "create", name, "--disk-format", "raw", "--container-format", "bare",
		"--private", "--file", path, "-f", "json")
	var created image
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.ID == "" {
		t.Fatalf("image create: %v\n%s", err, out)
	}
	defer func() {
		if out, err := l.OpenStack("image", "delete", created.ID); err != nil {
			t.Errorf("image delete: %v\n%s", err, out)
		}
	}()
	var im image
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var err error
		if im, err = show(l, created.ID); err == nil && im.Status == "active" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("image %s not active after 2 minutes: %+v (%v)", created.ID, im, err)
		}
		time.Sleep(2 * time.Second)
	}
	t.Logf("%s: %d bytes uploaded and active in %s", name, im.Size, time.Since(start).Round(100*time.Millisecond))
	md := md5.Sum(data)
	if im.Size != int64(len(data)) || im.Checksum != hex.EncodeToString(md[:]) {
		t.Errorf("Glance's size and checksum differ from the file's (%d bytes, md5 %x): %+v", len(data), md, im)
	}
	back := filepath.Join(t.TempDir(), "back.raw")
	if out, err := l.OpenStack("image", "save", "--file", back, created.ID); err != nil {
		t.Fatalf("image save: %v\n%s", err, out)
	}
	got, err := os.ReadFile(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("the image downloaded (%d bytes) is not the one uploaded (%d bytes)", len(got), len(data))
	}
}

func TestLabGlance(t *testing.T) {
	l := labtest.New(t, labtest.Config{Prefix: labPrefix, Net: labNet, CloudName: cloud, Secrets: true, Components: applied})
	start := time.Now()
	up := l.Up()
	t.Logf("lab up in %s: %s", time.Since(start).Round(time.Second), labtest.LastLine(up))
	applyStart := time.Now()
	out := l.Must("apply", "--auto-approve", "--component", applied)
	t.Logf("first apply (%s) in %s: %s", applied, time.Since(applyStart).Round(time.Second), labtest.LastLine(out))
	l.CloudsYAML()
	l.OpenStackUntil(t, 5*time.Minute, "image", "list")
	t.Logf("lab up to a working Glance (images listed through the public virtual IP): %s", time.Since(start).Round(time.Second))

	t.Run("catalog", func(t *testing.T) {
		out, err := l.OpenStack("endpoint", "list", "--service", "image", "-f", "value", "-c", "Interface", "-c", "URL")
		for _, want := range []string{"public https://" + labNet + "100.10:9292", "internal http://" + labNet + "20.10:9292"} {
			if err != nil || !strings.Contains(out, want) {
				t.Errorf("image endpoints lack %q (%v):\n%s", want, err, out)
			}
		}
		out, err = l.OpenStack("role", "assignment", "list", "--user", "glance", "--project", "service", "--names", "-f", "value", "-c", "Role")
		if err != nil || out != "service" {
			t.Errorf("the glance user's roles on the service project: %q (%v), want service", out, err)
		}
		var info struct {
			Stores []struct {
				ID string `json:"id"`
				// Glance 30 writes "true", a string.
				Default json.RawMessage `json:"default"`
			} `json:"stores"`
		}
		err = l.APIGet("https://"+labNet+"100.10:9292/v2/info/stores", &info)
		if err != nil || len(info.Stores) != 1 || info.Stores[0].ID != "rbd" || strings.Trim(string(info.Stores[0].Default), `"`) != "true" {
			t.Errorf("Glance's stores: %+v (%v), want the RBD store alone", info.Stores, err)
		}
	})

	t.Run("image round trip", func(t *testing.T) { roundTrip(t, l, "fm-lab-image") })

	t.Run("the image is in Ceph", func(t *testing.T) {
		path, _ := imageFile(t)
		out := l.OpenStackUntil(t, 2*time.Minute, "image", "create", "fm-lab-in-ceph", "--disk-format", "raw", "--container-format", "bare",
			"--private", "--file", path, "-f", "json")
		var im image
		if err := json.Unmarshal([]byte(out), &im); err != nil || im.ID == "" {
			t.Fatalf("image create: %v\n%s", err, out)
		}
		defer l.OpenStack("image", "delete", im.ID)
		// RBD image names are the image ids: stor-1 asks as client.admin.
		got, err := l.In("stor-1", "rbd -p images ls")
		l.Record(got)
		if err != nil || !strings.Contains(got, im.ID) {
			t.Errorf("the images pool lacks image %s (%v):\n%s", im.ID, err, got)
		}
	})

	t.Run("checks on the host", func(t *testing.T) {
		// glance-manage reads glance-api.conf and asks the database;
		// glance-status checks the configuration too.
		for _, script := range []string{"runuser -u glance -- glance-manage db check", "runuser -u glance -- glance-status upgrade check"} {
			out, err := l.In(glanceHost, script)
			l.Record(out)
			if err != nil {
				t.Errorf("%s on %s: %v\n%s", script, glanceHost, err, out)
			}
		}
	})

	t.Run("status", func(t *testing.T) {
		rs := l.WaitStatus("glance OK", 3*time.Minute, func(rs []health.Result) bool {
			return len(rs) == 4 && health.Worst(rs) == health.OK
		}, "glance", "glance")
		t.Logf("status:\n%s", labtest.Describe(rs))
	})

	t.Run("no-op re-apply", l.NoOpReapply)

	t.Run("the VIP holder stops", func(t *testing.T) {
		holder := l.Holder(labNet + "100.10")
		if holder == "" {
			t.Fatal("nobody holds the public virtual IP")
		}
		l.Must("lab", "stop", holder)
		stopped := time.Now()
		roundTrip(t, l, "fm-lab-image-failover")
		t.Logf("%s stopped: an image uploaded and downloaded through the public virtual IP (now on %s) after %s",
			holder, l.Holder(labNet+"100.10"), time.Since(stopped).Round(100*time.Millisecond))
		// The stopped host's Glance is down; through the virtual IP it
		// answers.
		rs := l.WaitStatus("glance degraded by "+holder, 2*time.Minute, func(rs []health.Result) bool {
			return len(rs) == 4 && health.Worst(rs) == health.Down && rs[len(rs)-1].Status == health.OK
		}, "glance", "glance")
		t.Logf("with %s stopped:\n%s", holder, labtest.Describe(rs))
		l.Must("lab", "start", holder)
		started := time.Now()
		l.WaitStatus("every layer OK after "+holder+" started", 5*time.Minute, func(rs []health.Result) bool {
			return len(rs) > 0 && health.Worst(rs) == health.OK
		}, "galera,loadbalancer,keystone,placement,glance", "galera", "loadbalancer", "keystone", "placement", "glance")
		t.Logf("%s started: status OK after %s", holder, time.Since(started).Round(time.Second))
	})

	t.Run("no secret in any output", l.NoSecretShown)
}
