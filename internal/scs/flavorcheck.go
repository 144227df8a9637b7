package scs

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// CheckFlavor applies SCS-0100 to an existing flavor whose name starts
// with "SCS-": the name must parse (scs-0100-syntax-check), and the
// flavor must deliver at least what the name promises: vCPUs, RAM (in
// GiB rounded to 0.1, as the test computes it) and disk
// (scs-0100-semantics-check). It also checks the values of the scs:*
// extra specs present, which SCS-0103 says must hold on any flavor.
func CheckFlavor(f Flavor) []Finding {
	var out []Finding
	add := func(testcase string, level Level, field, format string, args ...any) {
		out = append(out, Finding{Subject: f.Name, Testcase: testcase, Level: level, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.HasPrefix(f.Name, "SCS-") {
		c := CheckFlavorName(f.Name)
		if !c.Valid() {
			add("scs-0100-syntax-check", Error, "name", "%s", c.Err)
		} else {
			n := c.Flavor
			if f.VCPUs < n.CPUs {
				add("scs-0100-semantics-check", Error, "vcpus", "%d vCPUs, the name promises %d", f.VCPUs, n.CPUs)
			}
			if ram := math.Floor((float64(f.RAMMiB)+51)/102.4) / 10; ram < n.RAM {
				add("scs-0100-semantics-check", Error, "ram", "%.1f GiB RAM, the name promises %s", ram, trimFloat(n.RAM))
			}
			size := 0 // a disk part without a size promises no size
			if n.Disk != nil {
				size = n.Disk.SizeGB
			}
			if f.DiskGB < size {
				add("scs-0100-semantics-check", Error, "disk", "%d GB disk, the name promises %d", f.DiskGB, size)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(f.ExtraSpecs)) {
		v := f.ExtraSpecs[k]
		switch {
		case k == SpecCPUType:
			if !slices.ContainsFunc(cpuTypes, func(c code) bool { return c.desc == v }) {
				add("", Error, k, "%q is not a CPU type (crowded-core, shared-core, dedicated-thread, dedicated-core)", v)
			}
		case specDiskKey.MatchString(k):
			if !slices.ContainsFunc(diskTypes, func(c code) bool { return c.desc == v }) {
				add("", Error, k, "%q is not a disk type (network, hdd, ssd, nvme)", v)
			}
		case specNameKey.MatchString(k):
			if _, err := ParseFlavorName(v); err != nil {
				add("", Error, k, "%q is not a valid SCS flavor name: %s", v, err)
			}
		}
	}
	return out
}
