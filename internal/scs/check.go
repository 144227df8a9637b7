package scs

import (
	"fmt"
	"slices"
)

// NameCheck is the verdict on one flavor name: valid or not with the
// reason, the decoded parts, and warnings that do not make it invalid.
type NameCheck struct {
	Name     string
	Flavor   FlavorName // zero when Err is set
	Err      error
	Warnings []string
}

// Valid reports whether the conformance test accepts the name.
func (c NameCheck) Valid() bool { return c.Err == nil }

// recommendedDiskGB are the disk sizes the conformance test does not remark
// on (the prose recommends 5 to 1000; the test goes on to 100000).
var recommendedDiskGB = []int{5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000}

// CheckFlavorName parses name like the SCS-0100 syntax check and adds the
// warnings of the standards' prose and of the tests' informational output.
func CheckFlavorName(name string) NameCheck {
	c := NameCheck{Name: name}
	f, err := ParseFlavorName(name)
	if err != nil {
		c.Err = err
		return c
	}
	c.Flavor = f
	warn := func(format string, args ...any) { c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...)) }
	canonical := f.Name()
	switch {
	case f.Syntax == SyntaxV1:
		warn("the v1 syntax is merely tolerated (deprecated); the v3 name is %s", canonical)
	case name != canonical:
		warn("not in canonical form; the reference generator writes %s (standard flavors are matched by exact name)", canonical)
	}
	if f.RAM >= 10 && f.RAM != float64(int64(f.RAM)) {
		warn("half-GiB RAM sizes should not be used at 10 GiB and above")
	}
	if d := f.Disk; d != nil && d.SizeGB != 0 && !slices.Contains(recommendedDiskGB, d.SizeGB) {
		warn("disk size %d GB is not one of the recommended sizes 5, 10, 20, 50, 100, 200, 500, 1000, ...", d.SizeGB)
	}
	if f.HWVirt && f.Hypervisor == "" {
		warn("_hwv without a hypervisor is allowed but not recommended")
	}
	short := f.Short()
	if _, err := ParseSyntax(short.Name(), SyntaxV3); err != nil {
		warn("the short name %s does not parse (%s); offer a short name with a compute unit count", short.Name(), err)
	}
	return c
}
