package model

import (
	"net/netip"

	"github.com/fundament-cloud/fundament/internal/release"
)

// Defaults documented in docs/config-reference.md; keep the two in step.
const (
	DefaultSSHUser        = "root"
	DefaultSwitchSSHUser  = "admin"
	DefaultSSHPort        = 22
	DefaultMTU            = 1500
	DefaultTenantMTU      = 1500
	DefaultTokenExpiry    = 3600
	DefaultCPUAllocation  = 4.0
	DefaultRAMAllocation  = 1.0
	DefaultCephPoolSize   = 3
	DefaultGaleraMaxConns = 1000
)

var (
	DefaultPodCIDR     = netip.MustParsePrefix("10.244.0.0/16")
	DefaultServiceCIDR = netip.MustParsePrefix("10.96.0.0/12")
)

// DefaultCephPools are the pools OpenStack uses, as in OSISM.
var DefaultCephPools = []string{"images", "volumes", "vms", "backups"}

func applyDefaults(c *Cloud) {
	s := &c.Spec
	if s.Profile == "" {
		s.Profile = ProfileProduction
	}
	lab := s.Profile == ProfileLab
	if s.Release == "" {
		s.Release = release.Default()
	}

	for _, inv := range c.Inventory {
		for _, h := range inv.Hosts {
			if h == nil {
				continue
			}
			d := &inv.Defaults
			if h.SSH.User == "" {
				h.SSH.User = d.SSH.User
			}
			if h.SSH.Port == 0 {
				h.SSH.Port = d.SSH.Port
			}
			if !h.SSH.Address.IsValid() {
				h.SSH.Address = d.SSH.Address
			}
			if h.Rack == "" {
				h.Rack = d.Rack
			}
			if d.BMC != nil && h.BMC != nil {
				if h.BMC.Type == "" {
					h.BMC.Type = d.BMC.Type
				}
				if h.BMC.CredentialsSecret == "" {
					h.BMC.CredentialsSecret = d.BMC.CredentialsSecret
				}
			}
			if len(d.Labels) > 0 {
				merged := make(map[string]string, len(d.Labels)+len(h.Labels))
				for k, v := range d.Labels {
					merged[k] = v
				}
				for k, v := range h.Labels {
					merged[k] = v
				}
				h.Labels = merged
			}
		}
	}
	for _, h := range c.Hosts {
		if h.SSH.User == "" {
			h.SSH.User = DefaultSSHUser
		}
		if h.SSH.Port == 0 {
			h.SSH.Port = DefaultSSHPort
		}
		if h.BMC != nil && h.BMC.Type == "" {
			h.BMC.Type = "redfish"
		}
		for _, i := range h.Interfaces {
			if i != nil && i.Bond != nil && i.Bond.Mode == "" {
				i.Bond.Mode = "802.3ad"
			}
		}
	}

	n := &c.Network
	if n.Fabric.ASNScheme == "" {
		n.Fabric.ASNScheme = ASNSchemeOSISM
	}
	if n.Fabric.SSH.User == "" {
		n.Fabric.SSH.User = DefaultSwitchSSHUser
		if lab {
			n.Fabric.SSH.User = DefaultSSHUser
		}
	}
	if n.Fabric.SSH.Port == 0 {
		n.Fabric.SSH.Port = DefaultSSHPort
	}
	for _, sw := range n.Switches {
		if sw == nil {
			continue
		}
		if sw.SSH.User == "" {
			sw.SSH.User = n.Fabric.SSH.User
		}
		if sw.SSH.Port == 0 {
			sw.SSH.Port = n.Fabric.SSH.Port
		}
	}
	for _, ln := range n.Networks {
		if ln == nil {
			continue
		}
		if ln.MTU == 0 {
			ln.MTU = DefaultMTU
		}
		if ln.Role == NetExternal && ln.PhysicalNetwork == "" {
			ln.PhysicalNetwork = ln.Name
		}
	}
	for _, v := range n.VirtualIPs {
		if v != nil && v.FQDN == "" && v.Name != "" && s.Domain != "" {
			v.FQDN = v.Name + ".api." + s.Domain
		}
	}

	sv := &c.Services
	defaultRoles(&sv.Galera.Placement, RoleControl)
	defaultRoles(&sv.RabbitMQ.Placement, RoleControl)
	defaultRoles(&sv.Memcached.Placement, RoleControl)
	defaultRoles(&sv.LoadBalancer.Placement, RoleControl)
	if sv.Galera.MaxConnections == 0 {
		sv.Galera.MaxConnections = DefaultGaleraMaxConns
	}
	if sv.Galera.BufferPoolSize == "" {
		sv.Galera.BufferPoolSize = pick(lab, "256M", "1G")
	}
	if sv.RabbitMQ.QuorumQueues == nil {
		sv.RabbitMQ.QuorumQueues = ptr(true)
	}
	if sv.Memcached.MemoryMB == 0 {
		sv.Memcached.MemoryMB = pick(lab, 128, 1024)
	}

	os := &sv.OpenStack
	defaultRoles(&os.Glance.Hosts, RoleControl)
	defaultRoles(&os.Placement.Hosts, RoleControl)
	defaultRoles(&os.Nova.Hosts, RoleControl)
	defaultRoles(&os.Nova.ComputeHosts, RoleCompute)
	defaultRoles(&os.Neutron.Hosts, RoleControl)
	defaultRoles(&os.Cinder.Hosts, RoleControl)
	if os.Keystone.TokenExpiration == 0 {
		os.Keystone.TokenExpiration = DefaultTokenExpiry
	}
	if os.Glance.Backend == "" {
		os.Glance.Backend = pick[StorageBackend](Enabled(sv.Ceph.Enabled, true), "rbd", "file")
	}
	if os.Cinder.Backend == "" {
		os.Cinder.Backend = "rbd"
	}
	if os.Nova.VirtType == "" {
		os.Nova.VirtType = pick[VirtType](lab, "qemu", "kvm")
	}
	if os.Nova.CPUAllocationRatio == 0 {
		os.Nova.CPUAllocationRatio = DefaultCPUAllocation
	}
	if os.Nova.RAMAllocationRatio == 0 {
		os.Nova.RAMAllocationRatio = DefaultRAMAllocation
	}
	if os.Neutron.TenantMTU == 0 {
		os.Neutron.TenantMTU = DefaultTenantMTU
	}

	ovn := &sv.OVN
	defaultRoles(&ovn.Central, RoleControl)
	defaultRoles(&ovn.Gateways, RoleNetwork)
	if ovn.DatapathType == "" {
		ovn.DatapathType = pick[DatapathType](lab, "netdev", "system")
	}
	if ovn.EncapType == "" {
		ovn.EncapType = "geneve"
	}

	ceph := &sv.Ceph
	defaultRoles(&ceph.Monitors, RoleControl)
	defaultRoles(&ceph.Managers, RoleControl)
	defaultRoles(&ceph.OSDs.Hosts, RoleStorage)
	if len(ceph.Pools) == 0 && !ceph.Meta.Has("pools") {
		for _, name := range DefaultCephPools {
			ceph.Pools = append(ceph.Pools, &CephPool{Meta: Meta{Pos: ceph.Pos}, Name: name})
		}
	}
	for _, p := range ceph.Pools {
		if p == nil {
			continue
		}
		if p.Application == "" {
			p.Application = "rbd"
		}
		if p.Size == 0 {
			p.Size = DefaultCephPoolSize
		}
		if p.MinSize == 0 && p.Size > 1 {
			p.MinSize = p.Size - 1
		}
	}

	for _, cs := range sv.Custom {
		// A custom set applies to every host unless placed.
		if len(cs.Hosts.Hosts) == 0 && len(cs.Hosts.Roles) == 0 {
			cs.Hosts.Roles = append([]Role(nil), AllRoles...)
		}
	}

	k := &sv.Kubernetes
	defaultRoles(&k.ControlPlane, RoleControl)
	if !k.PodCIDR.IsValid() {
		k.PodCIDR = DefaultPodCIDR
	}
	if !k.ServiceCIDR.IsValid() {
		k.ServiceCIDR = DefaultServiceCIDR
	}
	if k.Gardener.Domain == "" && s.Domain != "" {
		k.Gardener.Domain = "k8s." + s.Domain
	}
}

// defaultRoles gives a placement that names neither hosts nor roles its
// service's usual role.
func defaultRoles(p *Placement, r Role) {
	if len(p.Hosts) == 0 && len(p.Roles) == 0 {
		p.Roles = []Role{r}
	}
}

func pick[T any](cond bool, yes, no T) T {
	if cond {
		return yes
	}
	return no
}

func ptr[T any](v T) *T { return &v }
