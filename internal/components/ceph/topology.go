package ceph

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/secrets"
)

// Ports of a monitor: msgr2 and the legacy v1 protocol, both bound.
const (
	monPortV2 = 3300
	monPortV1 = 6789
)

// monitor is a ceph-mon: its host (also its name) and its address on the
// storage_public network.
type monitor struct {
	Host string
	Addr netip.Addr
}

// addrvec is the monitor's address vector as monmaptool and mon_host
// take it: msgr2 first, then v1.
func (m monitor) addrvec() string {
	return fmt.Sprintf("[v2:%s,v1:%s]", hostPort(m.Addr, monPortV2), hostPort(m.Addr, monPortV1))
}

func hostPort(a netip.Addr, port int) string { return netip.AddrPortFrom(a, uint16(port)).String() }

// osdHost is a host with OSDs: one per device.
type osdHost struct {
	Host    string
	Devices []string
}

// client is a cephx client of a consumer of the cloud (secrets.CephClients)
// with the pools it uses: rw (profile rbd) and ro (profile
// rbd-read-only). Only the pools the model has count; a client left
// with none is not made.
type client struct {
	Name   string
	RW, RO []string
}

// clients are the consumers and their pools: Glance stores images,
// Cinder volumes (cloned from images), its backup service backups, Nova
// its disks (and attaches volumes, boots from images).
var clients = []client{
	{Name: "glance", RW: []string{"images"}},
	{Name: "cinder", RW: []string{"volumes", "vms"}, RO: []string{"images"}},
	{Name: "cinder-backup", RW: []string{"backups"}},
	{Name: "nova", RW: []string{"vms", "volumes"}, RO: []string{"images"}},
}

// entity is the client's name in Ceph.
func (c client) entity() string { return "client." + c.Name }

// caps are the client's caps, minimal: profile rbd on its own pools.
func (c client) caps() (mon, mgr, osd string) {
	var o, m []string
	for _, p := range c.RW {
		o = append(o, "profile rbd pool="+p)
		m = append(m, "profile rbd pool="+p)
	}
	for _, p := range c.RO {
		o = append(o, "profile rbd-read-only pool="+p)
	}
	return "profile rbd", strings.Join(m, ", "), strings.Join(o, ", ")
}

// topology is the cluster as the model describes it, read once.
type topology struct {
	Cloud string
	Lab   bool
	// Public and Cluster are the storage_public and storage_cluster
	// networks' prefixes: clients and monitors, OSD replication.
	Public, Cluster netip.Prefix
	Mons            []monitor // in placement order: the first makes the pools
	Mgrs            []string
	OSDs            []osdHost
	Pools           []*model.CephPool
	Clients         []client
	// Config is the model's own ceph.conf options, by section.
	Config map[string]map[string]string
	// Hosts are every Ceph host in the rolling group's order: the
	// monitors first, then the managers', then the OSD hosts.
	Hosts []string
}

func (t *topology) first() string { return t.Mons[0].Host }

func (t *topology) isMon(h string) bool {
	return slices.ContainsFunc(t.Mons, func(m monitor) bool { return m.Host == h })
}

func (t *topology) osdHost(h string) *osdHost {
	for i := range t.OSDs {
		if t.OSDs[i].Host == h {
			return &t.OSDs[i]
		}
	}
	return nil
}

// newTopology reads the cluster from the model; nil when Ceph is off or
// placed nowhere.
func newTopology(c *model.Cloud) (*topology, error) {
	ceph := &c.Services.Ceph
	if !model.Enabled(ceph.Enabled, true) {
		return nil, nil
	}
	t := &topology{Cloud: c.Spec.Name, Lab: c.Spec.Profile == model.ProfileLab, Pools: ceph.Pools, Config: ceph.Config}
	public, ok := networkOf(c, model.NetStoragePublic)
	if !ok {
		return nil, fmt.Errorf("the cloud has no %s network: Ceph's monitors, OSDs and clients talk on it", model.NetStoragePublic)
	}
	t.Public = public.Prefix
	if cl, ok := networkOf(c, model.NetStorageCluster); ok {
		t.Cluster = cl.Prefix
	}
	var problems []string
	for _, h := range c.Select(&ceph.Monitors) {
		a := addressOn(c, h, model.NetStoragePublic)
		if !a.IsValid() {
			problems = append(problems, fmt.Sprintf("monitor %s has no address on the %s network", h.Name, model.NetStoragePublic))
			continue
		}
		t.Mons = append(t.Mons, monitor{Host: h.Name, Addr: a})
	}
	for _, h := range c.Select(&ceph.Managers) {
		t.Mgrs = append(t.Mgrs, h.Name)
	}
	for _, h := range c.Select(&ceph.OSDs.Hosts) {
		devs, _ := c.OSDDevices(h)
		t.OSDs = append(t.OSDs, osdHost{Host: h.Name, Devices: devs})
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	if len(t.Mons) == 0 {
		if len(t.Mgrs) > 0 || len(t.OSDs) > 0 {
			return nil, fmt.Errorf("ceph.monitors places no monitor: the managers and OSDs would have no cluster to join")
		}
		return nil, nil
	}
	seen := map[string]bool{}
	add := func(h string) {
		if !seen[h] {
			seen[h] = true
			t.Hosts = append(t.Hosts, h)
		}
	}
	for _, m := range t.Mons {
		add(m.Host)
	}
	for _, h := range t.Mgrs {
		add(h)
	}
	for _, o := range t.OSDs {
		add(o.Host)
	}
	have := map[string]bool{}
	for _, p := range t.Pools {
		have[p.Name] = true
	}
	for _, cl := range clients {
		cl.RW = slices.DeleteFunc(slices.Clone(cl.RW), func(p string) bool { return !have[p] })
		cl.RO = slices.DeleteFunc(slices.Clone(cl.RO), func(p string) bool { return !have[p] })
		if len(cl.RW)+len(cl.RO) > 0 {
			t.Clients = append(t.Clients, cl)
		}
	}
	return t, nil
}

// networkOf is the cloud's first network with the role.
func networkOf(c *model.Cloud, role model.NetworkRole) (*model.LogicalNetwork, bool) {
	for _, n := range c.Network.Networks {
		if n != nil && n.Role == role {
			return n, true
		}
	}
	return nil, false
}

// addressOn is the host's address on a network with the role.
func addressOn(c *model.Cloud, h *model.Host, role model.NetworkRole) netip.Addr {
	for _, n := range c.Network.Networks {
		if n == nil || n.Role != role {
			continue
		}
		if att := h.Networks[n.Name]; att != nil && att.Address.IsValid() {
			return att.Address
		}
	}
	return netip.Addr{}
}

// keys are the secrets' values the component writes into keyrings.
type keys struct {
	FSID, Mon, Admin, BootstrapOSD string
	Clients                        map[string]string // by client name
}

func readKeys(t *topology, secret func(string) (string, error)) (*keys, error) {
	k := &keys{Clients: map[string]string{}}
	get := func(name string, check func(string) error) (string, error) {
		v, err := secret(name)
		if err != nil {
			return "", err
		}
		if err := check(v); err != nil {
			return "", fmt.Errorf("secret %s: %w", name, err)
		}
		return v, nil
	}
	var err error
	if k.FSID, err = get(secrets.CephFSID, checkUUID); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		dst  *string
		name string
	}{{&k.Mon, secrets.CephMonKey}, {&k.Admin, secrets.CephAdminKey}, {&k.BootstrapOSD, secrets.CephBootstrapOSDKey}} {
		if *f.dst, err = get(f.name, secrets.CheckCephxKey); err != nil {
			return nil, err
		}
	}
	for _, cl := range t.Clients {
		if k.Clients[cl.Name], err = get(secrets.CephClientKey(cl.Name), secrets.CheckCephxKey); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// checkUUID accepts a UUID in its canonical lower-case form, as Ceph
// prints fsids.
func checkUUID(v string) error {
	if len(v) != 36 {
		return fmt.Errorf("not a UUID")
	}
	for i, r := range v {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return fmt.Errorf("not a UUID")
			}
		case !strings.ContainsRune("0123456789abcdef", r):
			return fmt.Errorf("not a UUID (lower-case hex digits)")
		}
	}
	return nil
}
