package secrets

import "github.com/fundament-cloud/fundament/internal/model"

// The secrets of the Ceph cluster (internal/components/ceph, docs/ceph.md).
const (
	// CephFSID is the cluster's id. It is kept with the secrets so that it
	// is generated once and never changes, but it is no credential: it is
	// in ceph.conf and in Ceph's own logs.
	CephFSID = "ceph-fsid"
	// CephMonKey is mon., the monitors' shared key.
	CephMonKey = "ceph-mon-key"
	// CephAdminKey is client.admin's.
	CephAdminKey = "ceph-admin-key"
	// CephBootstrapOSDKey is client.bootstrap-osd's: ceph-volume creates
	// OSDs with it.
	CephBootstrapOSDKey = "ceph-bootstrap-osd-key"
)

// CephClients are the cephx clients of the cloud's consumers of Ceph, one
// each; the component gives them their caps.
var CephClients = []string{"glance", "cinder", "cinder-backup", "nova"}

// CephClientKey is the secret of client.<client>'s key.
func CephClientKey(client string) string { return "ceph-client-" + client + "-key" }

// CephSpecs are the Ceph cluster's secrets; none when Ceph is off.
func CephSpecs(c *model.Cloud) []Spec {
	if !model.Enabled(c.Services.Ceph.Enabled, true) {
		return nil
	}
	specs := []Spec{
		{Name: CephFSID, Kind: Token, Identifier: true, Description: "Ceph cluster id (fsid; an identifier, in ceph.conf)"},
		{Name: CephMonKey, Kind: CephxKey, Description: "Ceph mon. key, shared by the monitors"},
		{Name: CephAdminKey, Kind: CephxKey, Description: "Ceph client.admin key"},
		{Name: CephBootstrapOSDKey, Kind: CephxKey, Description: "Ceph client.bootstrap-osd key (ceph-volume makes OSDs with it)"},
	}
	for _, cl := range CephClients {
		specs = append(specs, Spec{Name: CephClientKey(cl), Kind: CephxKey, Description: "Ceph client." + cl + " key"})
	}
	return specs
}
