package model

import (
	"fmt"
	"net/netip"
	"strings"
)

// NetworkSpec is network.yaml: the physical fabric, the logical networks
// and the virtual IPs of the API endpoints.
type NetworkSpec struct {
	Meta
	Fabric     Fabric            `yaml:"fabric"`
	Switches   []*Switch         `yaml:"switches"`
	Cables     []*Cable          `yaml:"cables"`
	Networks   []*LogicalNetwork `yaml:"networks,required"`
	VirtualIPs []*VirtualIP      `yaml:"virtual_ips"`
}

// Fabric holds fabric-wide settings of the leaf-spine BGP design.
type Fabric struct {
	Meta
	// ASNScheme derives switch ASNs. osism: 4200 followed by the third and
	// fourth octet of the loopback, three digits each (10.10.45.123 ->
	// 4200045123), spines sharing the lowest ASN of their group; explicit:
	// every switch sets asn. Default osism.
	ASNScheme ASNScheme `yaml:"asn_scheme"`
	// SSH is how Fundament logs in to every switch, on its management
	// address. Default user: admin (SONiC's) in production, root in the
	// lab (whose switches are lab hosts running FRR); port 22.
	SSH SSH `yaml:"ssh"`
}

// Switch is a SONiC switch of the fabric.
type Switch struct {
	Meta
	Name string     `yaml:"name,required"`
	Role SwitchRole `yaml:"role,required"`
	// HWSKU names the hardware; it defines the ports that exist.
	HWSKU string `yaml:"hwsku,required"`
	Rack  string `yaml:"rack"`
	// Loopback is the router id and the address BGP advertises.
	Loopback netip.Addr `yaml:"loopback,required"`
	// ASN overrides the scheme; required with asn_scheme explicit.
	ASN uint32 `yaml:"asn"`
	// ManagementAddress is eth0's address on the management network.
	ManagementAddress netip.Addr `yaml:"management_address"`
	MAC               MAC        `yaml:"mac"`
	// Breakouts splits ports, e.g. Ethernet0: 4x25G.
	Breakouts map[string]string `yaml:"breakouts"`
	// MCLAGPeer names the other switch of an MC-LAG pair (a leaf or border
	// switch); both switches of a pair name each other. An 802.3ad bond
	// of a host may span the two switches of a pair.
	MCLAGPeer string `yaml:"mclag_peer"`
	// SSH overrides fabric.ssh for this switch: user, port, address (else
	// its management_address), and its pinned host_key.
	SSH SSH `yaml:"ssh"`
}

// Cable connects two ports: switch to switch, or switch to host interface.
type Cable struct {
	Meta
	A Endpoint `yaml:"a,required"`
	B Endpoint `yaml:"b,required"`
}

// Endpoint is one end of a cable, written DEVICE:PORT.
type Endpoint struct {
	Device string
	Port   string
}

func (e *Endpoint) UnmarshalText(b []byte) error {
	dev, port, ok := strings.Cut(string(b), ":")
	if !ok || dev == "" || port == "" || strings.Contains(port, ":") {
		return fmt.Errorf("write it as DEVICE:PORT, e.g. leaf-1:Ethernet0 or ctl-1:eno1")
	}
	e.Device, e.Port = dev, port
	return nil
}

func (*Endpoint) Describe() string { return "a cable endpoint DEVICE:PORT" }

func (e Endpoint) String() string { return e.Device + ":" + e.Port }

// LogicalNetwork is an IP network of the cloud.
type LogicalNetwork struct {
	Meta
	Name string      `yaml:"name,required"`
	Role NetworkRole `yaml:"role,required"`
	// Prefix is the network's address range.
	Prefix netip.Prefix `yaml:"prefix,required"`
	// VLAN tags the network on host interfaces and switch ports; 0 means
	// untagged.
	VLAN int `yaml:"vlan"`
	// MTU of the network. Default 1500.
	MTU     int        `yaml:"mtu"`
	Gateway netip.Addr `yaml:"gateway"`
	// Pools are address ranges handed out dynamically (floating IPs on
	// external networks, DHCP); host addresses must not fall in them.
	Pools []*AddressPool `yaml:"pools"`
	// PhysicalNetwork is the Neutron physnet name of an external network.
	// Default: the network's name.
	PhysicalNetwork string `yaml:"physical_network"`
}

// AddressPool is an inclusive address range.
type AddressPool struct {
	Meta
	Start netip.Addr `yaml:"start,required"`
	End   netip.Addr `yaml:"end,required"`
}

// Contains reports whether a lies in the pool.
func (p *AddressPool) Contains(a netip.Addr) bool {
	return p.Start.Compare(a) <= 0 && a.Compare(p.End) <= 0
}

// VirtualIP is an address that moves between hosts (API endpoints).
type VirtualIP struct {
	Meta
	// Name: internal for the internal API endpoint, public for the public one.
	Name    string     `yaml:"name,required"`
	Network string     `yaml:"network,required"`
	Address netip.Addr `yaml:"address,required"`
	// FQDN is the name clients use; default <name>.api.<domain>.
	FQDN string `yaml:"fqdn"`
}

// SwitchRole is a switch's place in the fabric.
type SwitchRole string

const (
	SwitchSpine  SwitchRole = "spine"
	SwitchLeaf   SwitchRole = "leaf"
	SwitchBorder SwitchRole = "border"
)

func (SwitchRole) Values() []string { return []string{"spine", "leaf", "border"} }

// ASNScheme is how switch ASNs are assigned.
type ASNScheme string

const (
	ASNSchemeOSISM    ASNScheme = "osism"
	ASNSchemeExplicit ASNScheme = "explicit"
)

func (ASNScheme) Values() []string {
	return []string{string(ASNSchemeOSISM), string(ASNSchemeExplicit)}
}

// NetworkRole is what a logical network carries.
type NetworkRole string

const (
	NetManagement     NetworkRole = "management"
	NetInternalAPI    NetworkRole = "internal_api"
	NetStoragePublic  NetworkRole = "storage_public"
	NetStorageCluster NetworkRole = "storage_cluster"
	NetTunnel         NetworkRole = "tunnel"
	NetExternal       NetworkRole = "external"
)

// AllNetworkRoles lists network roles in documented order.
var AllNetworkRoles = []NetworkRole{NetManagement, NetInternalAPI, NetStoragePublic, NetStorageCluster, NetTunnel, NetExternal}

func (NetworkRole) Values() []string { return strs(AllNetworkRoles) }
