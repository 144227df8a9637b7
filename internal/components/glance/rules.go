package glance

import (
	"slices"
	"strings"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Glance's validation rules (its cases in testdata/invalid).
const (
	// RuleBackend: a store Glance cannot use here.
	RuleBackend = "glance-backend"
	// RuleFileStoreUnshared: a file store on several hosts that do not
	// share it.
	RuleFileStoreUnshared = "glance-file-store-unshared"
)

// checkBackend refuses lvm (Cinder's backend; the model's enum has it
// for both), rbd without Ceph, and rbd without the images pool.
func checkBackend(c *model.Cloud, d *diag.List) {
	g := &c.Services.OpenStack.Glance
	if !Service.Enabled(c) {
		return
	}
	switch g.Backend {
	case storeFile, storeRBD:
	default:
		d.Errorf(backendPos(c), RuleBackend, "Glance stores images in rbd (Ceph) or file, not %s", g.Backend)
		return
	}
	if g.Backend != storeRBD {
		return
	}
	ceph := &c.Services.Ceph
	if !model.Enabled(ceph.Enabled, true) {
		d.Errorf(backendPos(c), RuleBackend, "Glance's backend rbd needs Ceph, and ceph.enabled is false: enable Ceph or set backend: file")
		return
	}
	if !slices.ContainsFunc(ceph.Pools, func(p *model.CephPool) bool { return p != nil && p.Name == rbdPool }) {
		d.Errorf(firstPos(ceph.At("pools"), backendPos(c)), RuleBackend, "Glance's backend rbd stores images in the Ceph pool %q, which ceph.pools does not list", rbdPool)
	}
}

// checkFileStoreShared refuses a file store on more than one host unless
// the operator declares its directory shared: HAProxy sends an upload to
// one host and a download to any, so with local directories most
// downloads of an image fail, and a host's loss loses its images.
func checkFileStoreShared(c *model.Cloud, d *diag.List) {
	g := &c.Services.OpenStack.Glance
	hosts := Service.Hosts(c)
	if g.Backend != storeFile || len(hosts) < 2 || g.FileStoreShared {
		return
	}
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	d.Errorf(backendPos(c), RuleFileStoreUnshared,
		"the file store on %d Glance hosts (%s) keeps each image on the one host that took its upload: place Glance on one host, use backend rbd, or mount shared storage at %s on every Glance host and set file_store_shared: true",
		len(hosts), strings.Join(names, ", "), fileDir)
}

// backendPos is where the backend is written, or else the nearest
// mapping that is (a default backend: Glance's section, or openstack).
func backendPos(c *model.Cloud) diag.Pos {
	os := &c.Services.OpenStack
	return firstPos(os.Glance.At("backend"), os.At("glance"), c.Services.At("openstack"))
}

func firstPos(ps ...diag.Pos) diag.Pos {
	for _, p := range ps {
		if !p.IsZero() {
			return p
		}
	}
	return diag.Pos{}
}
