package model

import "net/netip"

// ServicesSpec is the union of the files under services/. Each top-level
// key configures one component and may appear in only one file.
type ServicesSpec struct {
	Meta
	Galera       Galera       `yaml:"galera"`
	RabbitMQ     RabbitMQ     `yaml:"rabbitmq"`
	Memcached    Memcached    `yaml:"memcached"`
	LoadBalancer LoadBalancer `yaml:"loadbalancer"`
	OpenStack    OpenStack    `yaml:"openstack"`
	OVN          OVN          `yaml:"ovn"`
	Ceph         Ceph         `yaml:"ceph"`
	Kubernetes   Kubernetes   `yaml:"kubernetes"`
	// Custom holds operators' own resources (see CustomSet).
	Custom []*CustomSet `yaml:"custom"`
}

// Placement selects the hosts a service runs on: the hosts listed, or else
// every host with one of the roles and all of the labels.
type Placement struct {
	Meta
	Roles  []Role            `yaml:"roles"`
	Hosts  []string          `yaml:"hosts"`
	Labels map[string]string `yaml:"labels"`
}

// Galera is the MariaDB Galera cluster of the OpenStack databases.
type Galera struct {
	Meta
	Placement Placement `yaml:"placement"`
	// MaxConnections per member. Default 1000.
	MaxConnections int `yaml:"max_connections"`
	// BufferPoolSize is innodb_buffer_pool_size, e.g. "4G". Default 1G
	// (256M in the lab profile).
	BufferPoolSize string `yaml:"buffer_pool_size"`
}

// RabbitMQ is the message queue cluster of OpenStack.
type RabbitMQ struct {
	Meta
	Placement Placement `yaml:"placement"`
	// QuorumQueues makes OpenStack's queues quorum queues. Default true.
	QuorumQueues *bool `yaml:"quorum_queues"`
}

// Memcached caches Keystone tokens.
type Memcached struct {
	Meta
	Placement Placement `yaml:"placement"`
	// MemoryMB is the cache size per instance. Default 1024 (128 in the lab).
	MemoryMB int `yaml:"memory_mb"`
}

// LoadBalancer is HAProxy and keepalived holding the API virtual IPs.
type LoadBalancer struct {
	Meta
	Placement Placement `yaml:"placement"`
	// TLS is the certificate of the public endpoint. Left out, Fundament
	// generates a CA and a certificate for the public virtual IP (secrets
	// tls-ca-key, tls-ca-cert, tls-public-key, tls-public-cert), as a lab
	// needs and no production cloud should use.
	TLS *TLS `yaml:"tls"`
}

// TLS names a certificate kept in the repository and its private key kept
// as a secret.
type TLS struct {
	Meta
	// Certificate is a PEM file of the repository: the server certificate,
	// then its chain.
	Certificate string `yaml:"certificate,required"`
	// KeySecret names the secret holding the certificate's private key (PEM).
	KeySecret string `yaml:"key_secret,required"`
	// CA is a PEM file of the repository with the CA clients trust
	// (clouds.yaml cacert); left out, clients use their system's CAs.
	CA string `yaml:"ca"`
}

// OpenStack configures the OpenStack services.
type OpenStack struct {
	Meta
	Keystone  Keystone       `yaml:"keystone"`
	Glance    Glance         `yaml:"glance"`
	Placement OpenStackBasic `yaml:"placement"`
	Nova      Nova           `yaml:"nova"`
	Neutron   Neutron        `yaml:"neutron"`
	Cinder    Cinder         `yaml:"cinder"`
}

// OpenStackBasic is a service with nothing to set but whether it runs and
// where.
type OpenStackBasic struct {
	Meta
	// Enabled deploys the service. Default true.
	Enabled *bool `yaml:"enabled"`
	// Placement of the API service. Default: control hosts.
	Hosts Placement `yaml:"hosts"`
}

// Keystone is the identity service.
type Keystone struct {
	Meta
	Enabled *bool     `yaml:"enabled"`
	Hosts   Placement `yaml:"hosts"`
	// TokenExpiration in seconds. Default 3600.
	TokenExpiration int `yaml:"token_expiration"`
}

// Glance is the image service.
type Glance struct {
	Meta
	Enabled *bool     `yaml:"enabled"`
	Hosts   Placement `yaml:"hosts"`
	// Backend stores images: rbd (Ceph pool images) or file (a
	// directory of each Glance host). Default rbd while Ceph is enabled,
	// else file.
	Backend StorageBackend `yaml:"backend"`
	// FileStoreShared says that the file store's directory
	// (/var/lib/glance/images) is storage every Glance host shares (NFS,
	// CephFS), mounted by the operator: a file store on more than one
	// host needs it, or each host keeps the images uploaded to it alone.
	FileStoreShared bool `yaml:"file_store_shared"`
}

// Nova is the compute service.
type Nova struct {
	Meta
	Enabled *bool     `yaml:"enabled"`
	Hosts   Placement `yaml:"hosts"`
	// ComputeHosts run nova-compute. Default: compute hosts.
	ComputeHosts Placement `yaml:"compute_hosts"`
	// VirtType is libvirt's virt_type: kvm, or qemu where there is no KVM
	// (the lab). Default kvm (qemu in the lab profile).
	VirtType VirtType `yaml:"virt_type"`
	// CPUAllocationRatio overcommits vCPUs. Default 4.0; SCS "V" flavors
	// allow at most 5.
	CPUAllocationRatio float64 `yaml:"cpu_allocation_ratio"`
	// RAMAllocationRatio overcommits memory. Default 1.0.
	RAMAllocationRatio float64 `yaml:"ram_allocation_ratio"`
}

// Neutron is the network service, with OVN as its ML2 driver.
type Neutron struct {
	Meta
	Enabled *bool     `yaml:"enabled"`
	Hosts   Placement `yaml:"hosts"`
	// TenantMTU is the MTU of tenant (Geneve) networks. Default 1500. The
	// tunnel network's MTU must leave room for the encapsulation.
	TenantMTU int `yaml:"tenant_mtu"`
}

// Cinder is the block storage service.
type Cinder struct {
	Meta
	Enabled *bool     `yaml:"enabled"`
	Hosts   Placement `yaml:"hosts"`
	// Backend stores volumes: rbd (Ceph) or lvm. Default rbd.
	Backend StorageBackend `yaml:"backend"`
}

// OVN is the software-defined network.
type OVN struct {
	Meta
	// Central runs the NB and SB RAFT clusters and ovn-northd. Default:
	// control hosts.
	Central Placement `yaml:"central"`
	// Gateways are the gateway chassis. Default: network hosts.
	Gateways Placement `yaml:"gateways"`
	// DatapathType is Open vSwitch's datapath: system (kernel) or netdev
	// (userspace). Default system (netdev in the lab profile).
	DatapathType DatapathType `yaml:"datapath_type"`
	// EncapType of tunnels. Default geneve.
	EncapType EncapType `yaml:"encap_type"`
}

// Ceph is the storage cluster.
type Ceph struct {
	Meta
	// Enabled deploys Ceph. Default true.
	Enabled  *bool       `yaml:"enabled"`
	Monitors Placement   `yaml:"monitors"`
	Managers Placement   `yaml:"managers"`
	OSDs     CephOSDs    `yaml:"osds"`
	Pools    []*CephPool `yaml:"pools"`
	// Config adds options to every Ceph host's ceph.conf, by section
	// (global, mon, mgr, osd, client, or a daemon's own: osd.3): what a
	// daemon reads only at start. A change restarts every Ceph daemon,
	// one host at a time (rule ceph-config).
	Config map[string]map[string]string `yaml:"config"`
}

// CephOSDs lays out the OSDs.
type CephOSDs struct {
	Meta
	// Hosts that run OSDs. Default: storage hosts.
	Hosts Placement `yaml:"hosts"`
	// Devices every OSD host uses, unless PerHost says otherwise. Without
	// either, a host's OSDs are its disks marked osd (Cloud.OSDDevices).
	Devices []string `yaml:"devices"`
	// PerHost overrides Devices for single hosts.
	PerHost map[string][]string `yaml:"per_host"`
}

// CephPool is a Ceph pool.
type CephPool struct {
	Meta
	Name string `yaml:"name,required"`
	// Application: rbd, rgw or cephfs. Default rbd.
	Application string `yaml:"application"`
	// Size is the replica count. Default 3.
	Size int `yaml:"size"`
	// MinSize is the replicas needed for I/O. Default size-1.
	MinSize int `yaml:"min_size"`
	// PGNum; 0 leaves it to the autoscaler.
	PGNum int `yaml:"pg_num"`
	// AllowSizeOne acknowledges a pool of size 1: one copy of its data,
	// lost with any disk (rule ceph-pool-size-one). Default false.
	AllowSizeOne bool `yaml:"allow_size_one"`
}

// Kubernetes is the Kubernetes runtime cluster Gardener runs on.
type Kubernetes struct {
	Meta
	// Enabled deploys the cluster and Gardener. Default false.
	Enabled *bool `yaml:"enabled"`
	// ControlPlane hosts. Default: control hosts.
	ControlPlane Placement `yaml:"control_plane"`
	// PodCIDR default 10.244.0.0/16, ServiceCIDR default 10.96.0.0/12;
	// neither may overlap a network of the cloud.
	PodCIDR     netip.Prefix `yaml:"pod_cidr"`
	ServiceCIDR netip.Prefix `yaml:"service_cidr"`
	Gardener    Gardener     `yaml:"gardener"`
}

// Gardener offers Kubernetes clusters as a service on the cloud.
type Gardener struct {
	Meta
	// Enabled deploys Gardener on the cluster. Default true when
	// kubernetes is enabled.
	Enabled *bool `yaml:"enabled"`
	// Domain under which shoot clusters get DNS names. Default
	// k8s.<cloud domain>.
	Domain string `yaml:"domain"`
}

// StorageBackend is where Glance and Cinder keep data.
type StorageBackend string

func (StorageBackend) Values() []string { return []string{"rbd", "file", "lvm"} }

// VirtType is libvirt's virtualization type.
type VirtType string

func (VirtType) Values() []string { return []string{"kvm", "qemu"} }

// DatapathType is an Open vSwitch datapath.
type DatapathType string

func (DatapathType) Values() []string { return []string{"system", "netdev"} }

// EncapType is an OVN tunnel encapsulation.
type EncapType string

func (EncapType) Values() []string { return []string{"geneve", "vxlan"} }

// Enabled reads an optional switch with its default.
func Enabled(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}
