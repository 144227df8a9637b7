package glance

import (
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/render/ini"
)

// The stores, as the model names them (openstack.glance.backend) and as
// glance-api.conf's enabled_backends identifies them.
const (
	storeRBD  = "rbd"
	storeFile = "file"
)

// Where the stores keep their data.
const (
	// rbdPool is the Ceph pool of images (Ceph's default pools have it).
	rbdPool = "images"
	// cephClient is Glance's cephx user, client.glance: librados finds
	// its keyring at /etc/ceph/ceph.client.glance.keyring.
	cephClient = "glance"
	cephConf   = "/etc/ceph/ceph.conf"
	// cephKeyring is the client's keyring (root:glance 0640: glance-api
	// runs as glance); the Ceph component writes it (docs/glance.md).
	cephKeyring = "/etc/ceph/ceph.client." + cephClient + ".keyring"
	// fileDir is the file store's directory, Debian's (glance-common
	// makes it, glance:glance).
	fileDir = "/var/lib/glance/images"
	// stagingDir holds image data between the upload and the import of
	// interoperable image import (glance-direct, web-download), tasksDir
	// the import tasks' work files: the two stores Glance reserves.
	stagingDir = "/var/lib/glance/staging"
	tasksDir   = "/var/lib/glance/tasks_work_dir"
)

// storeOf is the cloud's image store: the model's backend (whose default
// follows Ceph: rbd while Ceph is enabled, else file).
func storeOf(c *model.Cloud) string {
	return string(c.Services.OpenStack.Glance.Backend)
}

// storeSections writes the stores' sections: the one store, named after
// its type and the default (the [DEFAULT] enabled_backends of conf names
// it), and the reserved staging and tasks stores on the host's disk.
func storeSections(f *ini.File, store string) {
	f.Section("glance_store").Set("default_backend", store)
	switch store {
	case storeRBD:
		f.Section(storeRBD).
			Set("rbd_store_pool", rbdPool).
			Set("rbd_store_user", cephClient).
			Set("rbd_store_ceph_conf", cephConf).
			// 8 MiB objects, Ceph's and every deployment tool's choice.
			Set("rbd_store_chunk_size", "8").
			Set("store_description", "Ceph RBD, pool "+rbdPool)
	default:
		f.Section(storeFile).
			Set("filesystem_store_datadir", fileDir).
			Set("store_description", "files in "+fileDir)
	}
	f.Section("os_glance_staging_store").Set("filesystem_store_datadir", stagingDir)
	f.Section("os_glance_tasks_store").Set("filesystem_store_datadir", tasksDir)
}
