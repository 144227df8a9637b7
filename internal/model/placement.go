package model

// Service is one deployable service and the hosts the model places it on.
// The list is the single answer to "what runs where", used by validation,
// `fundament inventory` and, later, the catalog.
type Service struct {
	// Name of the service, e.g. "galera", "ovn-central", "nova-compute".
	Name string
	// Component owns the service's configuration key in services/.
	Component string
	// Key is the placement's path for messages, e.g. "ovn.central".
	Key string
	// Placement selects the hosts; nil for services that follow roles
	// without a setting of their own.
	Placement *Placement
	// Quorum marks clustered services whose members vote (RAFT, Paxos,
	// Galera): they need an odd number of members on distinct hosts.
	Quorum  bool
	Enabled bool
	// Networks lists the network roles the service's hosts need beyond
	// what their roles need.
	Networks []NetworkRole
	// VIPs: the service holds the virtual IPs, so its hosts need the
	// network of each.
	VIPs bool
	// Hosts the service runs on.
	Hosts []*Host
}

// ServiceList lists every service of the cloud the model places, in
// deployment order. The OpenStack services whose packages declare them
// (internal/service) are not here: service.Placed adds them.
func (c *Cloud) ServiceList() []*Service {
	sv := &c.Services
	os := &sv.OpenStack
	ceph := Enabled(sv.Ceph.Enabled, true)
	k8s := Enabled(sv.Kubernetes.Enabled, false)
	public := []NetworkRole{NetStoragePublic}
	list := []*Service{
		{Name: "loadbalancer", Component: "loadbalancer", Key: "loadbalancer.placement", Placement: &sv.LoadBalancer.Placement, Enabled: len(c.Network.VirtualIPs) > 0, VIPs: true},
		{Name: "galera", Component: "galera", Key: "galera.placement", Placement: &sv.Galera.Placement, Quorum: true, Enabled: true},
		{Name: "rabbitmq", Component: "rabbitmq", Key: "rabbitmq.placement", Placement: &sv.RabbitMQ.Placement, Quorum: true, Enabled: true},
		{Name: "memcached", Component: "memcached", Key: "memcached.placement", Placement: &sv.Memcached.Placement, Enabled: true},
		{Name: "ovn-central", Component: "ovn", Key: "ovn.central", Placement: &sv.OVN.Central, Quorum: true, Enabled: true},
		{Name: "ovn-controller", Component: "ovn", Key: "ovn", Placement: &Placement{Roles: []Role{RoleCompute, RoleNetwork}}, Enabled: true},
		{Name: "ovn-gateway", Component: "ovn", Key: "ovn.gateways", Placement: &sv.OVN.Gateways, Enabled: true},
		{Name: "ceph-mon", Component: "ceph", Key: "ceph.monitors", Placement: &sv.Ceph.Monitors, Quorum: true, Enabled: ceph, Networks: public},
		{Name: "ceph-mgr", Component: "ceph", Key: "ceph.managers", Placement: &sv.Ceph.Managers, Enabled: ceph, Networks: public},
		{Name: "ceph-osd", Component: "ceph", Key: "ceph.osds.hosts", Placement: &sv.Ceph.OSDs.Hosts, Enabled: ceph, Networks: []NetworkRole{NetStoragePublic, NetStorageCluster}},
		{Name: "nova-api", Component: "openstack", Key: "openstack.nova.hosts", Placement: &os.Nova.Hosts, Enabled: Enabled(os.Nova.Enabled, true)},
		{Name: "nova-compute", Component: "openstack", Key: "openstack.nova.compute_hosts", Placement: &os.Nova.ComputeHosts, Enabled: Enabled(os.Nova.Enabled, true)},
		{Name: "neutron-server", Component: "openstack", Key: "openstack.neutron.hosts", Placement: &os.Neutron.Hosts, Enabled: Enabled(os.Neutron.Enabled, true)},
		{Name: "cinder", Component: "openstack", Key: "openstack.cinder.hosts", Placement: &os.Cinder.Hosts, Enabled: Enabled(os.Cinder.Enabled, true)},
		{Name: "kubernetes-control-plane", Component: "kubernetes", Key: "kubernetes.control_plane", Placement: &sv.Kubernetes.ControlPlane, Quorum: true, Enabled: k8s},
		{Name: "gardener", Component: "kubernetes", Key: "kubernetes.gardener", Placement: &sv.Kubernetes.ControlPlane, Enabled: k8s && Enabled(sv.Kubernetes.Gardener.Enabled, true)},
	}
	for _, cs := range sv.Custom {
		list = append(list, &Service{Name: "custom:" + cs.Name, Component: "custom", Key: "custom[" + cs.Name + "].hosts", Placement: &cs.Hosts, Enabled: true})
	}
	for _, s := range list {
		if s.Enabled {
			s.Hosts = c.Select(s.Placement)
		}
	}
	return list
}

// Select returns the hosts a placement selects, in inventory order. Host
// names that do not exist are skipped (validation reports them).
func (c *Cloud) Select(p *Placement) []*Host {
	var out []*Host
	if len(p.Hosts) > 0 {
		byName := c.HostsByName()
		for _, name := range p.Hosts {
			if h, ok := byName[name]; ok {
				out = append(out, h)
			}
		}
		return out
	}
	for _, h := range c.Hosts {
		if matchesRoles(h, p.Roles) && matchesLabels(h, p.Labels) {
			out = append(out, h)
		}
	}
	return out
}

func matchesRoles(h *Host, roles []Role) bool {
	for _, r := range roles {
		if h.HasRole(r) {
			return true
		}
	}
	return false
}

func matchesLabels(h *Host, labels map[string]string) bool {
	for k, v := range labels {
		if h.Labels[k] != v {
			return false
		}
	}
	return true
}

// HostsByName indexes hosts by name; with duplicate names the first wins.
func (c *Cloud) HostsByName() map[string]*Host {
	m := make(map[string]*Host, len(c.Hosts))
	for _, h := range c.Hosts {
		if _, dup := m[h.Name]; !dup {
			m[h.Name] = h
		}
	}
	return m
}

// SwitchesByName indexes switches by name; with duplicate names the first wins.
func (c *Cloud) SwitchesByName() map[string]*Switch {
	m := make(map[string]*Switch, len(c.Network.Switches))
	for _, s := range c.Network.Switches {
		if s == nil {
			continue
		}
		if _, dup := m[s.Name]; !dup {
			m[s.Name] = s
		}
	}
	return m
}

// NetworksByName indexes logical networks by name.
func (c *Cloud) NetworksByName() map[string]*LogicalNetwork {
	m := make(map[string]*LogicalNetwork, len(c.Network.Networks))
	for _, n := range c.Network.Networks {
		if n == nil {
			continue
		}
		if _, dup := m[n.Name]; !dup {
			m[n.Name] = n
		}
	}
	return m
}

// ManagementAddress returns the host's address on a management network,
// the address Fundament reaches it on unless ssh.address overrides it.
func (c *Cloud) ManagementAddress(h *Host) (string, bool) {
	for _, n := range c.Network.Networks {
		if a := h.Networks[n.Name]; n.Role == NetManagement && a != nil && a.Address.IsValid() {
			return a.Address.String(), true
		}
	}
	return "", false
}
