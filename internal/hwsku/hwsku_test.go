package hwsku

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestEmbeddedDataLoads is the guard for the panic in init: it reports a
// corrupt embedded file as a test failure with the parse error.
func TestEmbeddedDataLoads(t *testing.T) {
	r, err := loadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != len(platforms) {
		t.Fatalf("loaded %d SKUs, want %d", len(r), len(platforms))
	}
}

func TestNames(t *testing.T) {
	got := Names()
	want := []string{"Accton-AS7326-56X", "Accton-AS7726-32X"}
	if !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
}

func TestSKUs(t *testing.T) {
	tests := []struct {
		sku      string
		platform string
		ports    int
		speeds   map[int]int // speed -> number of ports
	}{
		{"Accton-AS7326-56X", "x86_64-accton_as7326_56x-r0", 56, map[int]int{25000: 48, 100000: 8}},
		{"Accton-AS7726-32X", "x86_64-accton_as7726_32x-r0", 34, map[int]int{100000: 32, 10000: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.sku, func(t *testing.T) {
			s, ok := Lookup(tt.sku)
			if !ok {
				t.Fatalf("Lookup(%q) not found", tt.sku)
			}
			if s.Name != tt.sku || s.Platform != tt.platform {
				t.Errorf("got %s/%s, want %s/%s", s.Name, s.Platform, tt.sku, tt.platform)
			}
			if len(s.Ports) != tt.ports {
				t.Errorf("%d ports, want %d", len(s.Ports), tt.ports)
			}
			speeds := map[int]int{}
			for _, p := range s.Ports {
				speeds[p.Speed]++
			}
			if fmt.Sprint(speeds) != fmt.Sprint(tt.speeds) {
				t.Errorf("speeds %v, want %v", speeds, tt.speeds)
			}
		})
	}
	if _, ok := Lookup("accton-as7326-56x"); ok {
		t.Error("Lookup should be case-sensitive like SONiC")
	}
}

func TestLookupReturnsCopy(t *testing.T) {
	a, _ := Lookup("Accton-AS7726-32X")
	a.Ports[0].Lanes[0] = 999
	a.Ports = a.Ports[:1]
	b, _ := Lookup("Accton-AS7726-32X")
	if len(b.Ports) != 34 || b.Ports[0].Lanes[0] != 1 {
		t.Fatal("mutating a Lookup result changed the registry")
	}
}

// TestPorts pins rows to the upstream files, so a bad re-copy shows up.
func TestPorts(t *testing.T) {
	tests := []struct {
		sku  string
		want Port
	}{
		{"Accton-AS7326-56X", Port{"Ethernet0", []int{3}, "Eth6/3(Port1)", 1, 25000}},
		{"Accton-AS7326-56X", Port{"Ethernet47", []int{70}, "Eth44/2(Port48)", 48, 25000}},
		{"Accton-AS7326-56X", Port{"Ethernet48", []int{77, 78, 79, 80}, "Eth49(Port49)", 49, 100000}},
		{"Accton-AS7326-56X", Port{"Ethernet76", []int{125, 126, 127, 128}, "Eth56(Port56)", 56, 100000}},
		{"Accton-AS7726-32X", Port{"Ethernet0", []int{1, 2, 3, 4}, "Eth1(Port1)", 1, 100000}},
		{"Accton-AS7726-32X", Port{"Ethernet124", []int{125, 126, 127, 128}, "Eth32(Port32)", 32, 100000}},
		{"Accton-AS7726-32X", Port{"Ethernet129", []int{128}, "Eth34(Port34)", 34, 10000}},
	}
	for _, tt := range tests {
		t.Run(tt.sku+"/"+tt.want.Name, func(t *testing.T) {
			s, _ := Lookup(tt.sku)
			got, ok := s.Port(tt.want.Name)
			if !ok {
				t.Fatalf("port %s missing", tt.want.Name)
			}
			if !portsEqual([]Port{got}, []Port{tt.want}) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}

	s, _ := Lookup("Accton-AS7326-56X")
	for _, name := range []string{"Ethernet49", "Ethernet80", "Eth49(Port49)", ""} {
		if _, ok := s.Port(name); ok {
			t.Errorf("Port(%q) found, want missing", name)
		}
	}
}

func TestBreakout(t *testing.T) {
	tests := []struct {
		sku, port, mode string
		want            []Port
	}{
		{"Accton-AS7326-56X", "Ethernet48", "4x25G", []Port{
			{"Ethernet48", []int{77}, "Ethernet48", 49, 25000},
			{"Ethernet49", []int{78}, "Ethernet49", 49, 25000},
			{"Ethernet50", []int{79}, "Ethernet50", 49, 25000},
			{"Ethernet51", []int{80}, "Ethernet51", 49, 25000},
		}},
		{"Accton-AS7726-32X", "Ethernet0", "4x25G[10G]", []Port{
			{"Ethernet0", []int{1}, "Ethernet0", 1, 25000},
			{"Ethernet1", []int{2}, "Ethernet1", 1, 25000},
			{"Ethernet2", []int{3}, "Ethernet2", 1, 25000},
			{"Ethernet3", []int{4}, "Ethernet3", 1, 25000},
		}},
		{"Accton-AS7726-32X", "Ethernet124", "4x10G", []Port{
			{"Ethernet124", []int{125}, "Ethernet124", 32, 10000},
			{"Ethernet125", []int{126}, "Ethernet125", 32, 10000},
			{"Ethernet126", []int{127}, "Ethernet126", 32, 10000},
			{"Ethernet127", []int{128}, "Ethernet127", 32, 10000},
		}},
		{"Accton-AS7726-32X", "Ethernet8", "2x50G", []Port{
			{"Ethernet8", []int{9, 10}, "Ethernet8", 3, 50000},
			{"Ethernet10", []int{11, 12}, "Ethernet10", 3, 50000},
		}},
		{"Accton-AS7726-32X", "Ethernet8", "1x100G[40G]", []Port{
			{"Ethernet8", []int{9, 10, 11, 12}, "Eth3(Port3)", 3, 100000},
		}},
		{"Accton-AS7726-32X", "Ethernet8", "1x40G", []Port{
			{"Ethernet8", []int{9, 10, 11, 12}, "Eth3(Port3)", 3, 40000},
		}},
		{"Accton-AS7726-32X", "Ethernet8", "1x50G(2)+2x25G(2)", []Port{
			{"Ethernet8", []int{9, 10}, "Ethernet8", 3, 50000},
			{"Ethernet10", []int{11}, "Ethernet10", 3, 25000},
			{"Ethernet11", []int{12}, "Ethernet11", 3, 25000},
		}},
		{"Accton-AS7726-32X", "Ethernet128", "1x10G[1G]", []Port{
			{"Ethernet128", []int{129}, "Eth33(Port33)", 33, 10000},
		}},
		{"Accton-AS7326-56X", "Ethernet0", "1x10G", []Port{
			{"Ethernet0", []int{3}, "Eth6/3(Port1)", 1, 10000},
		}},
		{"Accton-AS7326-56X", "Ethernet48", "4x25000", []Port{ // bare Mb/s, as portconfig.py allows
			{"Ethernet48", []int{77}, "Ethernet48", 49, 25000},
			{"Ethernet49", []int{78}, "Ethernet49", 49, 25000},
			{"Ethernet50", []int{79}, "Ethernet50", 49, 25000},
			{"Ethernet51", []int{80}, "Ethernet51", 49, 25000},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.port+"/"+tt.mode, func(t *testing.T) {
			s, _ := Lookup(tt.sku)
			got, err := s.Breakout(tt.port, tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			if !portsEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestBreakoutErrors(t *testing.T) {
	tests := []struct {
		sku, port, mode string
		want            error
	}{
		{"Accton-AS7326-56X", "Ethernet99", "4x25G", ErrUnknownPort},
		{"Accton-AS7326-56X", "Ethernet0", "4x25G", ErrUnsupportedBreakout},  // 1 lane into 4
		{"Accton-AS7326-56X", "Ethernet0", "1x100G", ErrUnsupportedBreakout}, // faster than the lane
		{"Accton-AS7326-56X", "Ethernet48", "3x25G", ErrUnsupportedBreakout}, // 4 lanes into 3
		{"Accton-AS7326-56X", "Ethernet48", "8x10G", ErrUnsupportedBreakout}, // more ports than lanes
		{"Accton-AS7326-56X", "Ethernet48", "4x50G", ErrUnsupportedBreakout}, // 200G on a 100G port
		{"Accton-AS7326-56X", "Ethernet48", "2x50G(4)+1x25G(1)", ErrUnsupportedBreakout},
		{"Accton-AS7326-56X", "Ethernet48", "", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "4x", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "x25G", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "4X25G", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "4x25g", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "4x25G ", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "4x25G[]", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "4x25G[10G", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "4x25Gfoo", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "0x25G", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "4x0G", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "2x25G(0)", ErrInvalidMode},
		{"Accton-AS7326-56X", "Ethernet48", "2x50G+2x25G", ErrInvalidMode}, // mixed needs (n)
		{"Accton-AS7326-56X", "Ethernet48", "4x25G+", ErrInvalidMode},
	}
	for _, tt := range tests {
		t.Run(tt.port+"/"+tt.mode, func(t *testing.T) {
			s, _ := Lookup(tt.sku)
			got, err := s.Breakout(tt.port, tt.mode)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (ports %v), want %v", err, got, tt.want)
			}
		})
	}
}

// portsEqual reports whether two port lists are identical.
func portsEqual(a, b []Port) bool {
	return slices.EqualFunc(a, b, func(x, y Port) bool {
		return x.Name == y.Name && x.Alias == y.Alias && x.Index == y.Index &&
			x.Speed == y.Speed && slices.Equal(x.Lanes, y.Lanes)
	})
}

// testSKU builds a synthetic SKU for cases the real data cannot produce.
func testSKU(t *testing.T, ini string) *SKU {
	t.Helper()
	ports, err := parsePortConfig([]byte(ini))
	if err != nil {
		t.Fatal(err)
	}
	return &SKU{Name: "test", Ports: ports}
}

func TestBreakoutCollisions(t *testing.T) {
	s := testSKU(t, `# name lanes alias index speed
Ethernet0 1,2,3,4 p1 1 100000
Ethernet2 5 p2 2 25000
mgmt 9,10,11,12 p3 3 100000
`)
	if _, err := s.Breakout("Ethernet0", "4x25G"); !errors.Is(err, ErrUnsupportedBreakout) {
		t.Errorf("Ethernet0 4x25G over Ethernet2: err = %v", err)
	}
	if _, err := s.Breakout("Ethernet0", "2x50G"); !errors.Is(err, ErrUnsupportedBreakout) {
		t.Errorf("Ethernet0 2x50G over Ethernet2: err = %v", err)
	}
	if _, err := s.Breakout("mgmt", "2x50G"); !errors.Is(err, ErrUnsupportedBreakout) {
		t.Errorf("mgmt has no number, err = %v", err)
	}
	if got, err := s.Breakout("mgmt", "1x40G"); err != nil || got[0].Name != "mgmt" {
		t.Errorf("mgmt 1x40G = %v, %v", got, err)
	}
}

func TestPortsWithBreakouts(t *testing.T) {
	s, _ := Lookup("Accton-AS7326-56X")
	got, err := s.PortsWithBreakouts(map[string]string{
		"Ethernet48": "4x25G",
		"Ethernet76": "2x50G",
		"Ethernet52": "1x40G",
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := 56 - 2 + 4 + 2; len(got) != want {
		t.Fatalf("%d ports, want %d", len(got), want)
	}
	var names []string
	for _, p := range got[47:] {
		names = append(names, p.Name)
	}
	wantNames := "Ethernet47 Ethernet48 Ethernet49 Ethernet50 Ethernet51 Ethernet52 Ethernet56 Ethernet60 Ethernet64 Ethernet68 Ethernet72 Ethernet76 Ethernet78"
	if strings.Join(names, " ") != wantNames {
		t.Errorf("names %v", names)
	}
	if p := got[len(got)-1]; !slices.Equal(p.Lanes, []int{127, 128}) || p.Speed != 50000 {
		t.Errorf("Ethernet78 = %+v", p)
	}
	if p := got[52]; p.Name != "Ethernet52" || p.Speed != 40000 {
		t.Errorf("Ethernet52 = %+v", p)
	}

	// No modes: the default map, as a copy.
	def, err := s.PortsWithBreakouts(nil)
	if err != nil || !portsEqual(def, s.Ports) {
		t.Errorf("no modes: %v", err)
	}
	def[0].Lanes[0] = 999
	if s.Ports[0].Lanes[0] == 999 {
		t.Error("PortsWithBreakouts result aliases the SKU's lanes")
	}

	for _, modes := range []map[string]string{
		{"Ethernet48": "4x25G", "Ethernet99": "4x25G"},
		{"Ethernet0": "4x25G"},
		{"Ethernet48": "bogus"},
	} {
		if _, err := s.PortsWithBreakouts(modes); err == nil {
			t.Errorf("%v: want error", modes)
		}
	}
}

func TestParsePortConfig(t *testing.T) {
	tests := []struct {
		name, ini string
		want      []Port // nil: want an error
	}{
		{"no header uses SONiC default columns", "Ethernet0 1,2 eth0 7\n",
			[]Port{{"Ethernet0", []int{1, 2}, "eth0", 7, 0}}},
		{"alias defaults to name, CRLF, comments, blank lines",
			"# just a comment\r\n# name lanes\r\n\r\nEthernet0   5\r\n",
			[]Port{{"Ethernet0", []int{5}, "Ethernet0", 0, 0}}},
		{"extra columns ignored, short rows allowed",
			"#name lanes alias index speed fec\nEthernet0 1 a 1 25000 rs\nEthernet1 2 b 2\n",
			[]Port{{"Ethernet0", []int{1}, "a", 1, 25000}, {"Ethernet1", []int{2}, "b", 2, 0}}},
		{"column order from header", "# lanes speed name\n3,4 50000 Ethernet2\n",
			[]Port{{"Ethernet2", []int{3, 4}, "Ethernet2", 0, 50000}}},
		{"shared lane, distinct sets (as AS7726-32X)", "Ethernet0 1,2\nEthernet9 2\n",
			[]Port{{"Ethernet0", []int{1, 2}, "Ethernet0", 0, 0}, {"Ethernet9", []int{2}, "Ethernet9", 0, 0}}},
		{"empty", "", nil},
		{"only header", "# name lanes alias\n", nil},
		{"single field", "Ethernet0\n", nil},
		{"too many fields", "# name lanes\nEthernet0 1 x\n", nil},
		{"bad lane", "Ethernet0 1,,2\n", nil},
		{"negative lane", "Ethernet0 -1\n", nil},
		{"lane twice in a port", "Ethernet0 1,1\n", nil},
		{"same lane set", "Ethernet0 1,2\nEthernet4 2,1\n", nil},
		{"duplicate name", "Ethernet0 1\nEthernet0 2\n", nil},
		{"duplicate alias", "Ethernet0 1 a\nEthernet1 2 a\n", nil},
		{"bad index", "Ethernet0 1 a x\n", nil},
		{"zero speed", "# name lanes speed\nEthernet0 1 0\n", nil},
		{"huge speed", "# name lanes speed\nEthernet0 1 1000000000000\n", nil},
		{"header without lanes", "# name alias\nEthernet0 a\n", nil},
		{"header repeats column", "# name lanes lanes\nEthernet0 1 2\n", nil},
		{"row without name column", "# index lanes name\n1 2\n", nil},
		{"name starting with #", "# lanes name\n1 #x\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePortConfig([]byte(tt.ini))
			if tt.want == nil {
				if err == nil {
					t.Fatalf("want error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !portsEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// formatPortConfig writes ports back as a port_config.ini for the fuzz round
// trip. Speed 0 means "no speed" and is left off, as in old upstream files.
func formatPortConfig(ports []Port) string {
	var b strings.Builder
	b.WriteString("# name lanes alias index speed\n")
	for _, p := range ports {
		fmt.Fprintf(&b, "%s %s %s %d", p.Name, describeLanes(p.Lanes), p.Alias, p.Index)
		if p.Speed > 0 {
			fmt.Fprintf(&b, " %d", p.Speed)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func FuzzParsePortConfig(f *testing.F) {
	for _, name := range Names() {
		b, err := os.ReadFile("data/" + name + "/port_config.ini")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Ethernet0 1,2,3,4 Eth1 1\n"))
	f.Add([]byte("# name lanes alias index speed fec\r\nEthernet0 1 a 0 25000 rs\r\n"))
	f.Add([]byte("# lanes name\n1,2 Ethernet8\n# name lanes\nEthernet9 3\n"))
	f.Add([]byte("Ethernet0 1,1\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		ports, err := parsePortConfig(data)
		if err != nil {
			return
		}
		names := map[string]bool{}
		for _, p := range ports {
			if p.Name == "" || len(p.Lanes) == 0 || p.Alias == "" || names[p.Name] {
				t.Fatalf("bad port %+v", p)
			}
			names[p.Name] = true
		}
		again, err := parsePortConfig([]byte(formatPortConfig(ports)))
		if err != nil {
			t.Fatalf("re-parse of formatted output: %v\n%s", err, formatPortConfig(ports))
		}
		if !portsEqual(ports, again) {
			t.Fatalf("round trip changed ports:\n%+v\n%+v", ports, again)
		}
		// Breakout must never panic, whatever the port shape.
		s := &SKU{Name: "fuzz", Ports: ports}
		for _, mode := range []string{"4x25G", "2x50G", "1x100G[40G]", "1x50G(2)+2x25G(2)"} {
			_, _ = s.Breakout(ports[0].Name, mode)
		}
	})
}
