package scs

import (
	"fmt"
	"strings"
)

// Describe is a one-line human-readable decoding of f.
func (f FlavorName) Describe() string {
	var parts []string
	cpu := fmt.Sprintf("%d %s", f.CPUs, cpuTypes.long(f.CPUType))
	if f.CPUs != 1 {
		cpu += "s"
	}
	if f.Insecure {
		cpu += " (insecure)"
	}
	parts = append(parts, cpu)
	if a := f.CPU; a != nil {
		vendor, _ := cpuVendors.desc(a.Vendor)
		s := vendor
		if gens := cpuGens[a.Vendor]; a.Gen > 0 && a.Gen < len(gens) {
			s += " " + gens[a.Gen]
		}
		if a.Freq > 0 && a.Freq < len(cpuFreqDesc) {
			s += " " + cpuFreqDesc[a.Freq]
		}
		parts = append(parts, s)
	} else {
		parts = append(parts, "generic x86-64")
	}
	ram := fmt.Sprintf("%s GiB RAM", trimFloat(f.RAM))
	var mods []string
	if f.RAMNoECC {
		mods = append(mods, "no ECC")
	}
	if f.RAMOversubscribed {
		mods = append(mods, "oversubscribed")
	}
	if len(mods) > 0 {
		ram += " (" + strings.Join(mods, ", ") + ")"
	}
	parts = append(parts, ram)
	parts = append(parts, describeDisk(f.Disk))
	if f.Hypervisor != "" {
		h, _ := hypervisors.desc(f.Hypervisor)
		parts = append(parts, h)
	}
	if f.HWVirt {
		parts = append(parts, "hardware virtualization in the guest")
	}
	if g := f.GPU; g != nil {
		parts = append(parts, describeGPU(g))
	}
	if f.IB {
		parts = append(parts, "InfiniBand")
	}
	return strings.Join(parts, ", ")
}

func describeDisk(d *Disk) string {
	if d == nil {
		return "no root disk (boot from volume)"
	}
	noun := "disk"
	if d.Count != 1 {
		noun = fmt.Sprintf("%d disks", d.Count)
	}
	if t := diskTypes.long(d.Type); t != "" {
		noun = strings.Replace(noun, "disk", t+" disk", 1)
	} else {
		noun += " of unspecified type"
	}
	switch {
	case d.SizeGB == 0:
		return noun + ", size picked by the cloud"
	case d.Count != 1:
		return fmt.Sprintf("%s, %d GB each", noun, d.SizeGB)
	}
	return fmt.Sprintf("%s, %d GB", noun, d.SizeGB)
}

func describeGPU(g *GPU) string {
	vendor, _ := gpuVendors.desc(g.Vendor)
	s := "virtual GPU"
	if g.PassThrough {
		s = "pass-through GPU"
	}
	s += " " + vendor
	if gen, ok := gpuGens[g.Vendor].desc(g.Gen); ok {
		s += " " + gen
	}
	var with []string
	if g.CU > 0 {
		with = append(with, fmt.Sprintf("%d %s%s", g.CU, gpuUnits[g.Vendor], perfDesc(g.CUPerf, "high frequency")))
	}
	if g.VRAM > 0 {
		with = append(with, fmt.Sprintf("%d GiB VRAM%s", g.VRAM, perfDesc(g.VRAMPerf, "high bandwidth")))
	}
	if len(with) > 0 {
		s += " with " + strings.Join(with, " and ")
	}
	return s
}

func perfDesc(n int, what string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " (" + what + ")"
	default:
		return " (very " + what + ")"
	}
}

// trimFloat prints a RAM size as the names do: 4, 0.5, 3.5.
func trimFloat(v float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
}
