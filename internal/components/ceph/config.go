package ceph

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

const (
	confPath = "/etc/ceph/ceph.conf"
	// adminKeyring is client.admin's, on every Ceph host: the commands
	// and checks run as it.
	adminKeyring = "/etc/ceph/ceph.client.admin.keyring"
	// fundamentDir holds the keyrings Fundament imports from: the
	// monitors' initial keyring, the clients'.
	fundamentDir = "/var/lib/ceph/fundament"
	monKeyring   = fundamentDir + "/mon.keyring"
	// bootstrapOSDKeyring is where ceph-volume looks for its key.
	bootstrapOSDKeyring = "/var/lib/ceph/bootstrap-osd/ceph.keyring"
)

func clientKeyring(name string) string { return fundamentDir + "/client." + name + ".keyring" }

const header = "# Written by Fundament from the configuration repository; changes here are overwritten.\n"

// cephConf is the same on every Ceph host: what a daemon or client needs
// before it reaches a monitor. Each daemon binds its host's address in
// public_network (and an OSD in cluster_network), so no host needs its
// own file; every other setting lives in the monitors' configuration
// database (mon-config), where changing it restarts nothing.
func cephConf(t *topology, fsid string) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "# The Ceph cluster of %s.\n[global]\n", t.Cloud)
	fmt.Fprintf(&b, "fsid = %s\n", fsid)
	names := make([]string, len(t.Mons))
	addrs := make([]string, len(t.Mons))
	for i, m := range t.Mons {
		names[i], addrs[i] = m.Host, m.addrvec()
	}
	b.WriteString("# The monitors, msgr2 (3300) and v1 (6789) on their storage_public addresses.\n")
	fmt.Fprintf(&b, "mon_initial_members = %s\n", strings.Join(names, ", "))
	fmt.Fprintf(&b, "mon_host = %s\n", strings.Join(addrs, ","))
	fmt.Fprintf(&b, "public_network = %s\n", t.Public)
	if t.Cluster.IsValid() {
		b.WriteString("# OSD replication and recovery.\n")
		fmt.Fprintf(&b, "cluster_network = %s\n", t.Cluster)
	}
	b.WriteString("auth_cluster_required = cephx\nauth_service_required = cephx\nauth_client_required = cephx\n")
	b.WriteString("ms_bind_msgr2 = true\n")
	writeModelConfig(&b, t.Config)
	return b.String()
}

// writeModelConfig adds the model's options (ceph.config), sections and
// options sorted, [global] first: the model's [global] options follow
// Fundament's own, which validation keeps them from repeating.
func writeModelConfig(b *strings.Builder, cfg map[string]map[string]string) {
	sections := slices.Sorted(maps.Keys(cfg))
	if i := slices.Index(sections, "global"); i > 0 {
		sections = append(append([]string{"global"}, sections[:i]...), sections[i+1:]...)
	}
	said := false
	for _, sec := range sections {
		if len(cfg[sec]) == 0 {
			continue
		}
		if !said {
			b.WriteString("# From the model (services/ceph.yaml, ceph.config).\n")
			said = true
		}
		if sec != "global" {
			fmt.Fprintf(b, "[%s]\n", sec)
		}
		for _, k := range slices.Sorted(maps.Keys(cfg[sec])) {
			fmt.Fprintf(b, "%s = %s\n", k, cfg[sec][k])
		}
	}
}

// keyringEntry is one entity of a keyring file: its key and caps, in the
// order Ceph writes them.
type keyringEntry struct {
	Entity string
	Key    string
	Caps   [][2]string // service, capability
}

func keyring(entries ...keyringEntry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "[%s]\n\tkey = %s\n", e.Entity, e.Key)
		for _, c := range e.Caps {
			fmt.Fprintf(&b, "\tcaps %s = %q\n", c[0], c[1])
		}
	}
	return b.String()
}

func adminEntry(key string) keyringEntry {
	return keyringEntry{Entity: "client.admin", Key: key, Caps: [][2]string{
		{"mds", "allow *"}, {"mgr", "allow *"}, {"mon", "allow *"}, {"osd", "allow *"}}}
}

func bootstrapOSDEntry(key string) keyringEntry {
	return keyringEntry{Entity: "client.bootstrap-osd", Key: key, Caps: [][2]string{
		{"mgr", "allow r"}, {"mon", "profile bootstrap-osd"}}}
}

// monInitialKeyring is what ceph-mon --mkfs reads: mon.'s key and the
// entities the cluster's auth database starts with.
func monInitialKeyring(k *keys) string {
	return keyring(keyringEntry{Entity: "mon.", Key: k.Mon, Caps: [][2]string{{"mon", "allow *"}}},
		adminEntry(k.Admin), bootstrapOSDEntry(k.BootstrapOSD))
}

func clientEntry(cl client, key string) keyringEntry {
	mon, mgr, osd := cl.caps()
	e := keyringEntry{Entity: cl.entity(), Key: key}
	if mgr != "" {
		e.Caps = append(e.Caps, [2]string{"mgr", mgr})
	}
	e.Caps = append(e.Caps, [2]string{"mon", mon}, [2]string{"osd", osd})
	return e
}

// ClientKeyring is the keyring file of a consumer's client (glance,
// cinder, cinder-backup, nova) for the OpenStack components, which write
// it on their hosts as /etc/ceph/ceph.client.<name>.keyring.
func ClientKeyring(name, key string) (string, error) {
	for _, cl := range clients {
		if cl.Name == name {
			return keyring(keyringEntry{Entity: cl.entity(), Key: key}), nil
		}
	}
	return "", fmt.Errorf("Ceph has no client %q", name)
}
