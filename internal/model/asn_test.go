package model

import (
	"maps"
	"net/netip"
	"testing"
)

func TestEffectiveASNs(t *testing.T) {
	sw := func(name string, role SwitchRole, loopback string, asn uint32) *Switch {
		s := &Switch{Name: name, Role: role, ASN: asn}
		if loopback != "" {
			s.Loopback = netip.MustParseAddr(loopback)
		}
		return s
	}
	cable := func(a, b string) *Cable {
		return &Cable{A: Endpoint{Device: a, Port: "Ethernet0"}, B: Endpoint{Device: b, Port: "Ethernet4"}}
	}
	tests := []struct {
		name     string
		scheme   ASNScheme
		switches []*Switch
		cables   []*Cable
		want     map[string]uint32
	}{
		{
			name:     "osism derives from the third and fourth octet",
			scheme:   ASNSchemeOSISM,
			switches: []*Switch{sw("leaf-1", SwitchLeaf, "10.10.45.123", 0), sw("leaf-2", SwitchLeaf, "10.0.0.1", 0)},
			want:     map[string]uint32{"leaf-1": 4200045123, "leaf-2": 4200000001},
		},
		{
			name:     "empty scheme is osism",
			switches: []*Switch{sw("leaf-1", SwitchLeaf, "192.168.255.255", 0)},
			want:     map[string]uint32{"leaf-1": 4200255255},
		},
		{
			name:     "explicit asn wins over the scheme",
			scheme:   ASNSchemeOSISM,
			switches: []*Switch{sw("leaf-1", SwitchLeaf, "10.0.1.1", 65001)},
			want:     map[string]uint32{"leaf-1": 65001},
		},
		{
			name:   "spines cabled to each other share the lowest ASN",
			scheme: ASNSchemeOSISM,
			switches: []*Switch{
				sw("spine-1", SwitchSpine, "10.0.0.2", 0),
				sw("spine-2", SwitchSpine, "10.0.0.1", 0),
				sw("spine-3", SwitchSpine, "10.0.0.3", 0),
				sw("leaf-1", SwitchLeaf, "10.0.1.1", 0),
			},
			cables: []*Cable{cable("spine-1", "spine-2"), cable("spine-1", "leaf-1"), cable("spine-3", "leaf-1")},
			want:   map[string]uint32{"spine-1": 4200000001, "spine-2": 4200000001, "spine-3": 4200000003, "leaf-1": 4200001001},
		},
		{
			name:   "spine groups are transitive",
			scheme: ASNSchemeOSISM,
			switches: []*Switch{
				sw("spine-a", SwitchSpine, "10.0.0.9", 0),
				sw("spine-b", SwitchSpine, "10.0.0.8", 0),
				sw("spine-c", SwitchSpine, "10.0.0.7", 0),
				sw("spine-d", SwitchSpine, "10.0.0.6", 0),
				sw("spine-e", SwitchSpine, "10.0.0.5", 0),
			},
			cables: []*Cable{cable("spine-a", "spine-b"), cable("spine-c", "spine-b"), cable("spine-d", "spine-e")},
			want: map[string]uint32{"spine-a": 4200000007, "spine-b": 4200000007, "spine-c": 4200000007,
				"spine-d": 4200000005, "spine-e": 4200000005},
		},
		{
			name:   "an explicit spine asn is kept and counts for its group",
			scheme: ASNSchemeOSISM,
			switches: []*Switch{
				sw("spine-1", SwitchSpine, "10.0.0.1", 65000),
				sw("spine-2", SwitchSpine, "10.0.0.2", 0),
				sw("spine-3", SwitchSpine, "10.0.0.3", 4294967000),
			},
			cables: []*Cable{cable("spine-1", "spine-2"), cable("spine-2", "spine-3")},
			want:   map[string]uint32{"spine-1": 65000, "spine-2": 65000, "spine-3": 4294967000},
		},
		{
			name:   "a spine with an IPv6 loopback takes its group's ASN",
			scheme: ASNSchemeOSISM,
			switches: []*Switch{
				sw("spine-1", SwitchSpine, "2001:db8::1", 0),
				sw("spine-2", SwitchSpine, "10.0.0.2", 0),
				sw("leaf-1", SwitchLeaf, "2001:db8::11", 0),
			},
			cables: []*Cable{cable("spine-1", "spine-2")},
			want:   map[string]uint32{"spine-1": 4200000002, "spine-2": 4200000002},
		},
		{
			name:   "border and leaf switches never group",
			scheme: ASNSchemeOSISM,
			switches: []*Switch{
				sw("border-1", SwitchBorder, "10.0.2.1", 0),
				sw("border-2", SwitchBorder, "10.0.2.2", 0),
				sw("leaf-1", SwitchLeaf, "10.0.1.1", 0),
				sw("leaf-2", SwitchLeaf, "10.0.1.2", 0),
			},
			cables: []*Cable{cable("border-1", "border-2"), cable("leaf-1", "leaf-2")},
			want:   map[string]uint32{"border-1": 4200002001, "border-2": 4200002002, "leaf-1": 4200001001, "leaf-2": 4200001002},
		},
		{
			name:   "explicit scheme derives nothing and groups nothing",
			scheme: ASNSchemeExplicit,
			switches: []*Switch{
				sw("spine-1", SwitchSpine, "10.0.0.1", 65000),
				sw("spine-2", SwitchSpine, "10.0.0.2", 65001),
				sw("leaf-1", SwitchLeaf, "10.0.1.1", 0),
			},
			cables: []*Cable{cable("spine-1", "spine-2")},
			want:   map[string]uint32{"spine-1": 65000, "spine-2": 65001},
		},
		{
			name:   "the first of duplicate names wins",
			scheme: ASNSchemeOSISM,
			switches: []*Switch{
				sw("leaf-1", SwitchLeaf, "10.0.1.1", 0),
				sw("leaf-1", SwitchLeaf, "10.0.1.2", 0),
			},
			want: map[string]uint32{"leaf-1": 4200001001},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Cloud{Network: NetworkSpec{
				Fabric:   Fabric{ASNScheme: tt.scheme},
				Switches: tt.switches,
				Cables:   tt.cables,
			}}
			if got := c.EffectiveASNs(); !maps.Equal(got, tt.want) {
				t.Errorf("EffectiveASNs = %v, want %v", got, tt.want)
			}
		})
	}
}
