package scs

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Status of a standard flavor or image.
const (
	Mandatory   = "mandatory"
	Recommended = "recommended"
)

// StandardFlavor is a flavor of SCS-0103 v1 with the figures and extra
// specs the conformance test requires exactly.
type StandardFlavor struct {
	Name       string            `json:"name" yaml:"name"`
	Status     string            `json:"status" yaml:"status"`
	VCPUs      int               `json:"vcpus" yaml:"vcpus"`
	RAMGiB     int               `json:"ram_gib" yaml:"ram_gib"`
	RAMMiB     int               `json:"ram_mib" yaml:"ram_mib"`
	DiskGB     int               `json:"disk_gb" yaml:"disk_gb"` // 0: no root disk
	ExtraSpecs map[string]string `json:"extra_specs" yaml:"extra_specs"`
}

// Testcase is the id of the flavor's testcase, e.g. scs-0103-flavor-2v-4-20s.
func (s StandardFlavor) Testcase() string {
	return "scs-0103-flavor-" + strings.ToLower(strings.TrimPrefix(s.Name, "SCS-"))
}

// standardFlavors is SCS-0103 v1 §"Standard SCS flavors" (v1.2): 15
// mandatory, then 13 recommended with a disk of any type and 3 without a
// disk. All are shared-core (V) but SCS-1L-1*, crowded-core (L).
var standardFlavors = []struct {
	name           string
	status         string
	vcpus, ram, gb int
}{
	{"SCS-1V-4", Mandatory, 1, 4, 0},
	{"SCS-2V-8", Mandatory, 2, 8, 0},
	{"SCS-4V-16", Mandatory, 4, 16, 0},
	{"SCS-8V-32", Mandatory, 8, 32, 0},
	{"SCS-1V-2", Mandatory, 1, 2, 0},
	{"SCS-2V-4", Mandatory, 2, 4, 0},
	{"SCS-4V-8", Mandatory, 4, 8, 0},
	{"SCS-8V-16", Mandatory, 8, 16, 0},
	{"SCS-16V-32", Mandatory, 16, 32, 0},
	{"SCS-1V-8", Mandatory, 1, 8, 0},
	{"SCS-2V-16", Mandatory, 2, 16, 0},
	{"SCS-4V-32", Mandatory, 4, 32, 0},
	{"SCS-1L-1", Mandatory, 1, 1, 0},
	{"SCS-2V-4-20s", Mandatory, 2, 4, 20},
	{"SCS-4V-16-100s", Mandatory, 4, 16, 100},
	{"SCS-1V-4-10", Recommended, 1, 4, 10},
	{"SCS-2V-8-20", Recommended, 2, 8, 20},
	{"SCS-4V-16-50", Recommended, 4, 16, 50},
	{"SCS-8V-32-100", Recommended, 8, 32, 100},
	{"SCS-1V-2-5", Recommended, 1, 2, 5},
	{"SCS-2V-4-10", Recommended, 2, 4, 10},
	{"SCS-4V-8-20", Recommended, 4, 8, 20},
	{"SCS-8V-16-50", Recommended, 8, 16, 50},
	{"SCS-16V-32-100", Recommended, 16, 32, 100},
	{"SCS-1V-8-20", Recommended, 1, 8, 20},
	{"SCS-2V-16-50", Recommended, 2, 16, 50},
	{"SCS-4V-32-100", Recommended, 4, 32, 100},
	{"SCS-1L-1-5", Recommended, 1, 1, 5},
	{"SCS-16V-64", Recommended, 16, 64, 0},
	{"SCS-8V-64", Recommended, 8, 64, 0},
	{"SCS-16V-128", Recommended, 16, 128, 0},
}

// StandardFlavors returns the SCS-0103 flavors in the standard's order,
// mandatory first. The extra specs are those the reference generator
// computes from the name; a disk the name leaves untyped is "network".
func StandardFlavors() []StandardFlavor {
	out := make([]StandardFlavor, 0, len(standardFlavors))
	for _, s := range standardFlavors {
		// The names are constants; TestStandardFlavorsParse keeps them valid.
		f, _ := ParseSyntax(s.name, SyntaxV3)
		out = append(out, StandardFlavor{
			Name: s.name, Status: s.status, VCPUs: s.vcpus, RAMGiB: s.ram, RAMMiB: 1024 * s.ram, DiskGB: s.gb,
			ExtraSpecs: f.ExtraSpecs(),
		})
	}
	return out
}

// Flavor is an existing flavor as Nova lists it.
type Flavor struct {
	Name       string
	VCPUs      int
	RAMMiB     int
	DiskGB     int
	ExtraSpecs map[string]string
}

// FindFlavor finds the flavor that stands for a standard flavor as the
// test does: by extra spec scs:name-v2, else by flavor name.
func FindFlavor(flavors []Flavor, name string) (Flavor, bool) {
	for i := len(flavors) - 1; i >= 0; i-- { // the test's dict keeps the last
		if v, ok := flavors[i].ExtraSpecs[SpecNameV2]; ok && v == name {
			return flavors[i], true
		}
	}
	for _, f := range flavors {
		if f.Name == name && strings.HasPrefix(f.Name, "SCS-") {
			return f, true
		}
	}
	return Flavor{}, false
}

// CheckStandardFlavor compares a flavor with a standard flavor the way
// the test does: vCPUs, RAM in MiB and disk must be equal, and so must
// every scs:* extra spec of the standard flavor. Each difference is one
// error finding.
func CheckStandardFlavor(spec StandardFlavor, f Flavor) []Finding {
	var out []Finding
	add := func(field, got, want string) {
		out = append(out, Finding{Subject: f.Name, Testcase: spec.Testcase(), Level: Error, Field: field,
			Message: fmt.Sprintf("%s is %s, should be %s", field, got, want)})
	}
	for _, c := range []struct {
		field     string
		got, want int
	}{{"vcpus", f.VCPUs, spec.VCPUs}, {"ram", f.RAMMiB, spec.RAMMiB}, {"disk", f.DiskGB, spec.DiskGB}} {
		if c.got != c.want {
			add(c.field, itoa(c.got), itoa(c.want))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(spec.ExtraSpecs)) {
		want := spec.ExtraSpecs[k]
		if got, ok := f.ExtraSpecs[k]; !ok {
			add(k, "not set", fmt.Sprintf("%q", want))
		} else if got != want {
			add(k, fmt.Sprintf("%q", got), fmt.Sprintf("%q", want))
		}
	}
	return out
}

// CheckStandardFlavors checks a cloud's flavors against every standard
// flavor: a missing mandatory flavor is an error, a missing recommended
// one a warning, and every difference of a present one an error.
func CheckStandardFlavors(flavors []Flavor) []Finding {
	var out []Finding
	for _, spec := range StandardFlavors() {
		f, ok := FindFlavor(flavors, spec.Name)
		if !ok {
			level := Error
			if spec.Status == Recommended {
				level = Warning
			}
			out = append(out, Finding{Subject: spec.Name, Testcase: spec.Testcase(), Level: level,
				Message: fmt.Sprintf("%s standard flavor missing", spec.Status)})
			continue
		}
		out = append(out, CheckStandardFlavor(spec, f)...)
	}
	return out
}
