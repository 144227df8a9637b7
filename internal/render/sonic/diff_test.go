package sonic

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	desired := ConfigDB{
		"PORT":            {"Ethernet0": {"admin_status": "up", "mtu": "9100"}},
		"BGP_NEIGHBOR":    {"default|Ethernet48": {"peer_type": "external"}},
		"BGP_NEIGHBOR_AF": {"default|Ethernet48|ipv4_unicast": {"route_map_in": []string{"FABRIC_ALLOW"}}},
		"VERSIONS":        {"DATABASE": {"VERSION": DatabaseVersion}},
	}
	tests := []struct {
		name      string
		current   string
		want      string // changes, one "op table key [field op...]" per line
		unmanaged string
	}{
		{"identical", `{"PORT": {"Ethernet0": {"admin_status": "up", "mtu": "9100"}},
			"BGP_NEIGHBOR": {"default|Ethernet48": {"peer_type": "external"}},
			"BGP_NEIGHBOR_AF": {"default|Ethernet48|ipv4_unicast": {"route_map_in": ["FABRIC_ALLOW"]}},
			"VERSIONS": {"DATABASE": {"VERSION": "version_202511_01"}}}`, "", ""},
		{"empty switch", `{}`, strings.Join([]string{
			"add BGP_NEIGHBOR default|Ethernet48 [peer_type add]",
			"add BGP_NEIGHBOR_AF default|Ethernet48|ipv4_unicast [route_map_in add]",
			"add PORT Ethernet0 [admin_status add mtu add]"}, "\n"), ""},
		{"platform fields of PORT stay, owned rows lose extra fields", `{
			"PORT": {"Ethernet0": {"admin_status": "down", "mtu": "9100", "fec": "rs"}, "Ethernet1": {"mtu": "9100"}},
			"BGP_NEIGHBOR": {"default|Ethernet48": {"peer_type": "external", "v6only": "true"}, "default|Ethernet52": {}},
			"BGP_NEIGHBOR_AF": {"default|Ethernet48|ipv4_unicast": {"route_map_in": ["OTHER"]}},
			"FEATURE": {"bgp": {"state": "enabled"}}, "CRM": {"Config": {}}}`, strings.Join([]string{
			"change BGP_NEIGHBOR default|Ethernet48 [v6only remove]",
			"remove BGP_NEIGHBOR default|Ethernet52",
			"change BGP_NEIGHBOR_AF default|Ethernet48|ipv4_unicast [route_map_in change]",
			"change PORT Ethernet0 [admin_status change]",
			"remove PORT Ethernet1"}, "\n"), "CRM FEATURE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, err := ParseConfigDB([]byte(tt.current))
			if err != nil {
				t.Fatal(err)
			}
			changes, unmanaged := Diff(cur, desired)
			var lines []string
			for _, c := range changes {
				l := c.Op + " " + c.Table + " " + c.Key
				if len(c.Fields) > 0 {
					var fs []string
					for _, f := range c.Fields {
						fs = append(fs, f.Field+" "+f.Op)
					}
					l += " [" + strings.Join(fs, " ") + "]"
				}
				lines = append(lines, l)
			}
			if got := strings.Join(lines, "\n"); got != tt.want {
				t.Errorf("changes:\n%s\nwant:\n%s", got, tt.want)
			}
			if got := strings.Join(unmanaged, " "); got != tt.unmanaged {
				t.Errorf("unmanaged %q, want %q", got, tt.unmanaged)
			}
		})
	}
}

func TestWriteDiff(t *testing.T) {
	cur, _ := ParseConfigDB([]byte(`{"PORT": {"Ethernet0": {"admin_status": "down", "fec": "rs"}},
		"VLAN": {"Vlan99": {"vlanid": "99"}}, "VLAN_MEMBER": {"Vlan20|Ethernet0": {"tagging_mode": "untagged"}},
		"FEATURE": {"bgp": {}}}`))
	want := ConfigDB{
		"PORT":        {"Ethernet0": {"admin_status": "up", "description": "ctl-1:eth1"}},
		"VLAN_MEMBER": {"Vlan20|Ethernet0": {"tagging_mode": "tagged"}, "Vlan30|Ethernet0": {"tagging_mode": "tagged"}},
	}
	changes, unmanaged := Diff(cur, want)
	var b bytes.Buffer
	WriteDiff(&b, "leaf-1", changes, unmanaged)
	const golden = `leaf-1: 1 to add, 2 to change, 1 to remove
  ~ PORT Ethernet0
      admin_status: "down" -> "up"
      + description: "ctl-1:eth1"
  - VLAN Vlan99
  ~ VLAN_MEMBER Vlan20|Ethernet0
      tagging_mode: "untagged" -> "tagged"
  + VLAN_MEMBER Vlan30|Ethernet0
      tagging_mode: "tagged"
  (1 table Fundament does not manage is left as it is: FEATURE)
`
	if b.String() != golden {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), golden)
	}
	b.Reset()
	WriteDiff(&b, "leaf-2", nil, nil)
	if b.String() != "leaf-2: no changes\n" {
		t.Errorf("no changes: %q", b.String())
	}
}

// TestGoldenDiffsClean: a switch whose current config is the rendered one
// has no changes, also after a JSON round trip through ParseConfigDB.
func TestGoldenDiffsClean(t *testing.T) {
	f := mustFabric(t, loadExample(t, "production"))
	for _, sw := range f.Names() {
		want := mustSwitch(t, f, sw)
		data, _ := want.Marshal()
		cur, err := ParseConfigDB(data)
		if err != nil {
			t.Fatal(err)
		}
		if changes, unmanaged := Diff(cur, want); len(changes)+len(unmanaged) > 0 {
			t.Errorf("%s: %v %v", sw, changes, unmanaged)
		}
	}
}

// TestEveryRenderedTableIsManaged keeps the diff's ownership list in step
// with the renderer: a table written but not managed would never show up
// in a diff.
func TestEveryRenderedTableIsManaged(t *testing.T) {
	fabrics := labVariants(t)
	for _, ex := range examples {
		fabrics[ex] = mustFabric(t, loadExample(t, ex))
	}
	for name, f := range fabrics {
		for _, sw := range f.Names() {
			for table := range mustSwitch(t, f, sw) {
				if _, ok := managed[table]; !ok && table != "VERSIONS" {
					t.Errorf("%s/%s writes %s, which diff.go's managed does not list", name, sw, table)
				}
			}
		}
	}
}

func TestChangeJSON(t *testing.T) {
	b, _ := json.Marshal(Change{Table: "PORT", Key: "Ethernet0", Op: "change",
		Fields: []FieldChange{{Field: "mtu", Op: "change", Old: "1500", New: "9100"}}})
	const want = `{"table":"PORT","key":"Ethernet0","op":"change","fields":[{"field":"mtu","op":"change","old":"1500","new":"9100"}]}`
	if string(b) != want {
		t.Errorf("got %s", b)
	}
}
