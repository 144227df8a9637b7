package model

import "net/netip"

// CloudSpec is cloud.yaml: what the cloud is called, where it stands and
// which release stream it runs.
type CloudSpec struct {
	Meta
	// Name identifies the cloud; it names the age identity file and
	// appears in every report.
	Name string `yaml:"name,required"`
	// Profile selects the strictness of validation: production enforces
	// quorum sizes and rack spread, lab allows a single-machine layout.
	Profile Profile `yaml:"profile"`
	// Release names a release stream of the manifest inside the binary.
	Release string `yaml:"release"`
	// Domain is the DNS domain of hosts and API endpoints.
	Domain  string   `yaml:"domain,required"`
	Regions []Region `yaml:"regions,required"`
	// NTPServers are host names or addresses, used by hosts and switches.
	NTPServers []string     `yaml:"ntp_servers"`
	DNSServers []netip.Addr `yaml:"dns_servers"`
	// SyslogServers receive the switches' and hosts' logs.
	SyslogServers []netip.Addr `yaml:"syslog_servers"`
	// SSHKnownHosts is a known_hosts file of the repository (plain host
	// keys, @cert-authority and @revoked lines) that vouches for the keys
	// of hosts and switches without a pinned ssh.host_key.
	SSHKnownHosts string `yaml:"ssh_known_hosts"`
}

// Region is an OpenStack region.
type Region struct {
	Meta
	Name              string `yaml:"name,required"`
	AvailabilityZones []Zone `yaml:"availability_zones,required"`
}

// Zone is an availability zone: a failure domain made of racks.
type Zone struct {
	Meta
	Name  string   `yaml:"name,required"`
	Racks []string `yaml:"racks"`
}

// Profile is the deployment profile.
type Profile string

const (
	ProfileProduction Profile = "production"
	ProfileLab        Profile = "lab"
)

func (Profile) Values() []string { return []string{string(ProfileProduction), string(ProfileLab)} }
