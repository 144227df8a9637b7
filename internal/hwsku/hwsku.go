// Package hwsku knows the front-panel port maps of real SONiC hardware SKUs
// (HWSKUs). Fundament uses it to validate fabric cabling ("does Ethernet48
// exist on this switch?") and to render the PORT table of config_db.json.
//
// The data is the upstream sonic-buildimage port_config.ini of each SKU,
// embedded verbatim (see data/README.md for provenance), so lane numbers are
// the vendor's and never hand-written.
package hwsku

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Port is one row of a SONiC port_config.ini.
type Port struct {
	Name  string // SONiC interface name, e.g. "Ethernet48"
	Lanes []int  // ASIC SerDes lanes, in file order
	Alias string // vendor front-panel name; SONiC defaults it to Name
	Index int    // front-panel port number; ports broken out share it
	Speed int    // default speed in Mb/s; 0 if the file has no speed column
}

// SKU is a SONiC hardware SKU and its default (un-broken-out) port map.
type SKU struct {
	Name     string // HWSKU name, e.g. "Accton-AS7326-56X"
	Platform string // SONiC platform string, e.g. "x86_64-accton_as7326_56x-r0"
	Ports    []Port // in port_config.ini order
}

// Errors returned (wrapped) by Breakout and PortsWithBreakouts, so callers
// that validate user input can tell the cases apart with errors.Is.
var (
	ErrUnknownPort         = errors.New("unknown port")
	ErrInvalidMode         = errors.New("invalid breakout mode")
	ErrUnsupportedBreakout = errors.New("unsupported breakout")
)

//go:embed data/*/port_config.ini
var dataFS embed.FS

// platforms maps every embedded HWSKU (the directory name under data/) to its
// SONiC platform. port_config.ini does not name its platform, so it lives here.
var platforms = map[string]string{
	"Accton-AS7326-56X": "x86_64-accton_as7326_56x-r0",
	"Accton-AS7726-32X": "x86_64-accton_as7726_32x-r0",
}

var registry map[string]*SKU

func init() {
	r, err := loadEmbedded()
	if err != nil {
		// Only reachable if the embedded files are corrupt, which
		// TestEmbeddedDataLoads catches before any release.
		panic("hwsku: embedded data: " + err.Error())
	}
	registry = r
}

// loadEmbedded parses every embedded port_config.ini. It is separate from
// init so a test can report a parse error instead of crashing.
func loadEmbedded() (map[string]*SKU, error) {
	dirs, err := fs.ReadDir(dataFS, "data")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*SKU, len(dirs))
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		name := d.Name()
		platform, ok := platforms[name]
		if !ok {
			return nil, fmt.Errorf("%s: no platform registered for this HWSKU", name)
		}
		b, err := dataFS.ReadFile(path.Join("data", name, "port_config.ini"))
		if err != nil {
			return nil, err
		}
		ports, err := parsePortConfig(b)
		if err != nil {
			return nil, fmt.Errorf("%s/port_config.ini: %w", name, err)
		}
		out[name] = &SKU{Name: name, Platform: platform, Ports: ports}
	}
	for name := range platforms {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("%s: platform registered but no port_config.ini embedded", name)
		}
	}
	return out, nil
}

// Lookup returns the SKU with the exact HWSKU name (case-sensitive, as in
// SONiC's DEVICE_METADATA). The result is a copy the caller may modify.
func Lookup(name string) (*SKU, bool) {
	s, ok := registry[name]
	if !ok {
		return nil, false
	}
	return s.clone(), true
}

// Names returns the names of all known SKUs, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Port returns the port with the given SONiC name (e.g. "Ethernet48") in the
// SKU's default port map. Aliases are not matched: cabling plans and
// config_db use SONiC names.
func (s *SKU) Port(name string) (Port, bool) {
	for _, p := range s.Ports {
		if p.Name == name {
			return p.clone(), true
		}
	}
	return Port{}, false
}

func (s *SKU) clone() *SKU {
	c := *s
	c.Ports = make([]Port, len(s.Ports))
	for i, p := range s.Ports {
		c.Ports[i] = p.clone()
	}
	return &c
}

func (p Port) clone() Port {
	p.Lanes = slices.Clone(p.Lanes)
	return p
}

// splitName splits "Ethernet48" into ("Ethernet", 48). SONiC names breakout
// sub-ports by adding the lane offset to that number.
func splitName(name string) (prefix string, num int, ok bool) {
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	digits := name[i:]
	if digits == "" || len(digits) > 9 {
		return "", 0, false
	}
	n, ok := atoi(digits)
	return name[:i], n, ok
}

// atoi parses a non-negative decimal of at most 9 digits. Stricter than
// strconv.Atoi (no sign, no overflow) so speed*lanes arithmetic stays safe.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// describeLanes formats lanes like port_config.ini does ("1,2,3,4").
func describeLanes(lanes []int) string {
	var b strings.Builder
	for i, l := range lanes {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, l)
	}
	return b.String()
}
