package validate

import (
	"maps"
	"net/netip"
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
)

func TestEffectiveASNs(t *testing.T) {
	sw := func(name string, role model.SwitchRole, loopback string, asn uint32) *model.Switch {
		s := &model.Switch{Name: name, Role: role, ASN: asn}
		if loopback != "" {
			s.Loopback = netip.MustParseAddr(loopback)
		}
		return s
	}
	cable := func(a, b string) *model.Cable {
		return &model.Cable{A: model.Endpoint{Device: a, Port: "Ethernet0"}, B: model.Endpoint{Device: b, Port: "Ethernet4"}}
	}
	tests := []struct {
		name     string
		scheme   model.ASNScheme
		switches []*model.Switch
		cables   []*model.Cable
		want     map[string]uint32
	}{
		{
			name:     "osism derives from the third and fourth octet",
			scheme:   model.ASNSchemeOSISM,
			switches: []*model.Switch{sw("leaf-1", model.SwitchLeaf, "10.10.45.123", 0), sw("leaf-2", model.SwitchLeaf, "10.0.0.1", 0)},
			want:     map[string]uint32{"leaf-1": 4200045123, "leaf-2": 4200000001},
		},
		{
			name:     "empty scheme is osism",
			switches: []*model.Switch{sw("leaf-1", model.SwitchLeaf, "192.168.255.255", 0)},
			want:     map[string]uint32{"leaf-1": 4200255255},
		},
		{
			name:     "explicit asn wins over the scheme",
			scheme:   model.ASNSchemeOSISM,
			switches: []*model.Switch{sw("leaf-1", model.SwitchLeaf, "10.0.1.1", 65001)},
			want:     map[string]uint32{"leaf-1": 65001},
		},
		{
			name:   "spines cabled to each other share the lowest ASN",
			scheme: model.ASNSchemeOSISM,
			switches: []*model.Switch{
				sw("spine-1", model.SwitchSpine, "10.0.0.2", 0),
				sw("spine-2", model.SwitchSpine, "10.0.0.1", 0),
				sw("spine-3", model.SwitchSpine, "10.0.0.3", 0),
				sw("leaf-1", model.SwitchLeaf, "10.0.1.1", 0),
			},
			cables: []*model.Cable{cable("spine-1", "spine-2"), cable("spine-1", "leaf-1"), cable("spine-3", "leaf-1")},
			want:   map[string]uint32{"spine-1": 4200000001, "spine-2": 4200000001, "spine-3": 4200000003, "leaf-1": 4200001001},
		},
		{
			name:   "spine groups are transitive",
			scheme: model.ASNSchemeOSISM,
			switches: []*model.Switch{
				sw("spine-a", model.SwitchSpine, "10.0.0.9", 0),
				sw("spine-b", model.SwitchSpine, "10.0.0.8", 0),
				sw("spine-c", model.SwitchSpine, "10.0.0.7", 0),
				sw("spine-d", model.SwitchSpine, "10.0.0.6", 0),
				sw("spine-e", model.SwitchSpine, "10.0.0.5", 0),
			},
			cables: []*model.Cable{cable("spine-a", "spine-b"), cable("spine-c", "spine-b"), cable("spine-d", "spine-e")},
			want: map[string]uint32{"spine-a": 4200000007, "spine-b": 4200000007, "spine-c": 4200000007,
				"spine-d": 4200000005, "spine-e": 4200000005},
		},
		{
			name:   "an explicit spine asn is kept and counts for its group",
			scheme: model.ASNSchemeOSISM,
			switches: []*model.Switch{
				sw("spine-1", model.SwitchSpine, "10.0.0.1", 65000),
				sw("spine-2", model.SwitchSpine, "10.0.0.2", 0),
				sw("spine-3", model.SwitchSpine, "10.0.0.3", 4294967000),
			},
			cables: []*model.Cable{cable("spine-1", "spine-2"), cable("spine-2", "spine-3")},
			want:   map[string]uint32{"spine-1": 65000, "spine-2": 65000, "spine-3": 4294967000},
		},
		{
			name:   "a spine with an IPv6 loopback takes its group's ASN",
			scheme: model.ASNSchemeOSISM,
			switches: []*model.Switch{
				sw("spine-1", model.SwitchSpine, "2001:db8::1", 0),
				sw("spine-2", model.SwitchSpine, "10.0.0.2", 0),
				sw("leaf-1", model.SwitchLeaf, "2001:db8::11", 0),
			},
			cables: []*model.Cable{cable("spine-1", "spine-2")},
			want:   map[string]uint32{"spine-1": 4200000002, "spine-2": 4200000002},
		},
		{
			name:   "border and leaf switches never group",
			scheme: model.ASNSchemeOSISM,
			switches: []*model.Switch{
				sw("border-1", model.SwitchBorder, "10.0.2.1", 0),
				sw("border-2", model.SwitchBorder, "10.0.2.2", 0),
				sw("leaf-1", model.SwitchLeaf, "10.0.1.1", 0),
				sw("leaf-2", model.SwitchLeaf, "10.0.1.2", 0),
			},
			cables: []*model.Cable{cable("border-1", "border-2"), cable("leaf-1", "leaf-2")},
			want:   map[string]uint32{"border-1": 4200002001, "border-2": 4200002002, "leaf-1": 4200001001, "leaf-2": 4200001002},
		},
		{
			name:   "explicit scheme derives nothing and groups nothing",
			scheme: model.ASNSchemeExplicit,
			switches: []*model.Switch{
				sw("spine-1", model.SwitchSpine, "10.0.0.1", 65000),
				sw("spine-2", model.SwitchSpine, "10.0.0.2", 65001),
				sw("leaf-1", model.SwitchLeaf, "10.0.1.1", 0),
			},
			cables: []*model.Cable{cable("spine-1", "spine-2")},
			want:   map[string]uint32{"spine-1": 65000, "spine-2": 65001},
		},
		{
			name:   "the first of duplicate names wins",
			scheme: model.ASNSchemeOSISM,
			switches: []*model.Switch{
				sw("leaf-1", model.SwitchLeaf, "10.0.1.1", 0),
				sw("leaf-1", model.SwitchLeaf, "10.0.1.2", 0),
			},
			want: map[string]uint32{"leaf-1": 4200001001},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &model.Cloud{Network: model.NetworkSpec{
				Fabric:   model.Fabric{ASNScheme: tt.scheme},
				Switches: tt.switches,
				Cables:   tt.cables,
			}}
			if got := EffectiveASNs(c); !maps.Equal(got, tt.want) {
				t.Errorf("EffectiveASNs = %v, want %v", got, tt.want)
			}
		})
	}
}
