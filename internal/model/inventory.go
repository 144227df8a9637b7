package model

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// InventoryFile is one file under inventory/.
type InventoryFile struct {
	Meta
	// Defaults apply to every host of this file that does not set them.
	Defaults HostDefaults `yaml:"defaults"`
	Hosts    []*Host      `yaml:"hosts"`
}

// HostDefaults are the fields an inventory file may set for all its hosts.
type HostDefaults struct {
	Meta
	SSH    SSH               `yaml:"ssh"`
	Rack   string            `yaml:"rack"`
	Labels map[string]string `yaml:"labels"`
	// BMC fills type and credentials_secret into the bmc of hosts that
	// have one and leave them out; the address stays per host.
	BMC *BMCDefaults `yaml:"bmc"`
}

// BMCDefaults are the BMC fields an inventory file may set for all its
// hosts.
type BMCDefaults struct {
	Meta
	Type              BMCType `yaml:"type"`
	CredentialsSecret string  `yaml:"credentials_secret"`
}

// Host is a server of the cloud.
type Host struct {
	Meta
	Name  string `yaml:"name,required"`
	Roles []Role `yaml:"roles,required"`
	// Rack places the host in a rack of an availability zone (cloud.yaml).
	Rack string `yaml:"rack"`
	SSH  SSH    `yaml:"ssh"`
	BMC  *BMC   `yaml:"bmc"`
	// Interfaces are the host's NICs and bonds.
	Interfaces []*Interface `yaml:"interfaces"`
	// Networks attaches the host to logical networks of network.yaml,
	// keyed by network name. The address on the management network is the
	// host's management address: the one Fundament reaches it on.
	Networks map[string]*Attachment `yaml:"networks"`
	// Disks are the host's block devices; those marked osd hold Ceph OSDs
	// unless services/ceph.yaml lists the OSD devices (see OSDDevices).
	Disks  []*Disk           `yaml:"disks"`
	Labels map[string]string `yaml:"labels"`

	// File is the inventory file the host was read from.
	File string `yaml:"-"`
}

// HasRole reports whether the host has role r.
func (h *Host) HasRole(r Role) bool {
	for _, x := range h.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Interface returns the host interface called name.
func (h *Host) Interface(name string) *Interface {
	for _, i := range h.Interfaces {
		if i.Name == name {
			return i
		}
	}
	return nil
}

// SSH is how Fundament reaches a host.
type SSH struct {
	Meta
	// User logs in; a user other than root uses sudo. Default root.
	User string `yaml:"user"`
	// Port of sshd. Default 22.
	Port int `yaml:"port"`
	// Address overrides the management address for SSH (a jump address,
	// a NAT). Default: the host's address on the management network.
	Address netip.Addr `yaml:"address"`
	// HostKey pins the public key the host's sshd presents (authorized_keys
	// format, "ssh-ed25519 AAAA..."): only it is accepted. Per host or
	// switch only, never in defaults.
	HostKey string `yaml:"host_key"`
}

// BMC is the host's baseboard management controller.
type BMC struct {
	Meta
	Address netip.Addr `yaml:"address,required"`
	// Type is the management protocol. Default redfish.
	Type BMCType `yaml:"type"`
	// CredentialsSecret names the secret holding "user:password".
	CredentialsSecret string `yaml:"credentials_secret"`
}

// Interface is a NIC or a bond.
type Interface struct {
	Meta
	Name string `yaml:"name,required"`
	MAC  MAC    `yaml:"mac"`
	// MTU of the interface; 0 means the largest MTU of the networks on it.
	MTU  int   `yaml:"mtu"`
	Bond *Bond `yaml:"bond"`
}

// Bond makes the interface a Linux bond of other interfaces of the host.
type Bond struct {
	Meta
	Members []string `yaml:"members,required"`
	// Mode is the bonding mode. Default 802.3ad (LACP).
	Mode BondMode `yaml:"mode"`
}

// Attachment puts a host on a logical network.
type Attachment struct {
	Meta
	// Interface carries the network: a NIC or a bond; when the network has
	// a VLAN, a VLAN sub-interface is created on it.
	Interface string     `yaml:"interface,required"`
	Address   netip.Addr `yaml:"address,required"`
}

// Disk is a block device on a host.
type Disk struct {
	Meta
	// Device is the path, preferably stable (/dev/disk/by-id/...).
	Device string `yaml:"device,required"`
	// Size is informational, e.g. "3.84T".
	Size string `yaml:"size"`
	// OSD marks a disk that holds a Ceph OSD. It counts only when
	// services/ceph.yaml lists no OSD devices for the host (OSDDevices).
	OSD bool `yaml:"osd"`
}

// Role is what a host is for; roles decide which services it runs and
// which networks it needs.
type Role string

const (
	RoleControl Role = "control"
	RoleNetwork Role = "network"
	RoleCompute Role = "compute"
	RoleStorage Role = "storage"
	RoleManager Role = "manager"
)

// AllRoles lists the roles in their documented order.
var AllRoles = []Role{RoleControl, RoleNetwork, RoleCompute, RoleStorage, RoleManager}

func (Role) Values() []string { return strs(AllRoles) }

// BMCType is the BMC protocol.
type BMCType string

func (BMCType) Values() []string { return []string{"redfish", "ipmi"} }

// BondMode is a Linux bonding mode.
type BondMode string

func (BondMode) Values() []string {
	return []string{"802.3ad", "active-backup", "balance-xor", "balance-tlb", "balance-alb"}
}

// MAC is a 48-bit MAC address, kept in canonical lower-case form.
type MAC string

func (m *MAC) UnmarshalText(b []byte) error {
	hw, err := net.ParseMAC(string(b))
	if err != nil || len(hw) != 6 {
		return fmt.Errorf("not a 48-bit MAC address")
	}
	*m = MAC(hw.String())
	return nil
}

func (*MAC) Describe() string { return "a MAC address (such as 52:54:00:12:34:56)" }

func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// joinRoles renders roles for messages.
func joinRoles(rs []Role) string { return strings.Join(strs(rs), ", ") }
