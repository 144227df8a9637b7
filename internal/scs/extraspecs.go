package scs

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
)

// Extra spec keys of SCS-0103.
const (
	SpecCPUType = "scs:cpu-type"
	SpecNameV1  = "scs:name-v1"
	SpecNameV2  = "scs:name-v2"
)

var (
	specNameKey = regexp.MustCompile(`^scs:name-v[0-9]+$`)
	specDiskKey = regexp.MustCompile(`^scs:disk[0-9]+-type$`)
)

// SpecDiskType is the key of disk N's type.
func SpecDiskType(n int) string { return fmt.Sprintf("scs:disk%d-type", n) }

// ExtraSpecs are the scs:* extra specs the reference generator
// (flavorname_to_dict) gives a flavor of this name: the CPU type, a type
// for each disk (network when the name leaves it open), and the name
// variants. The variants are the long and short names in v1 and v3
// syntax, without duplicates, longest first and v1 before v3 on a tie,
// numbered scs:name-v1, -v2, ...; for a standard flavor that is its v1
// and its v3 name. Unlike the reference, variants that do not parse are
// left out, since SCS-0103 says every scs:name-vN must be a valid name:
// a name with chy has no v1 spelling (v1 knows no Cloud Hypervisor), and
// the short name of SCS-4V-16_GNah_ib, SCS-4V-16_GNa_ib, is invalid.
func (f FlavorName) ExtraSpecs() map[string]string {
	specs := map[string]string{SpecCPUType: CPUTypeSpec(f.CPUType)}
	if d := f.Disk; d != nil {
		for i := range d.Count {
			specs[SpecDiskType(i)] = DiskTypeSpec(d.Type)
		}
	}
	type variant struct {
		name   string
		syntax Syntax // SyntaxV1 sorts before SyntaxV3
	}
	var names []variant
	for _, n := range []string{f.Name(), f.Short().Name()} {
		for _, v := range []variant{{V3ToV1(n), SyntaxV1}, {n, SyntaxV3}} {
			if _, err := ParseSyntax(v.name, v.syntax); err == nil && !slices.Contains(names, v) {
				names = append(names, v)
			}
		}
	}
	slices.SortFunc(names, func(a, b variant) int {
		return cmp.Or(cmp.Compare(len(b.name), len(a.name)), cmp.Compare(a.syntax, b.syntax), cmp.Compare(a.name, b.name))
	})
	for i, v := range names {
		specs[fmt.Sprintf("scs:name-v%d", i+1)] = v.name
	}
	return specs
}
