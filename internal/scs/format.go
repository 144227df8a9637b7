package scs

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Name is the canonical v3 spelling of f, as the reference outputter
// writes it: whole RAM without decimals, "Mx" only when M is not 1, the
// CPU generation only when not 0. It does not validate f; Generate does.
func (f FlavorName) Name() string {
	var b strings.Builder
	b.WriteString("SCS-")
	b.WriteString(itoa(f.CPUs))
	b.WriteString(f.CPUType)
	if f.Insecure {
		b.WriteString("i")
	}
	b.WriteString("-")
	if f.RAM == math.Trunc(f.RAM) {
		b.WriteString(strconv.FormatFloat(f.RAM, 'f', 0, 64))
	} else {
		b.WriteString(strconv.FormatFloat(f.RAM, 'f', 1, 64))
	}
	if f.RAMNoECC {
		b.WriteString("u")
	}
	if f.RAMOversubscribed {
		b.WriteString("o")
	}
	if d := f.Disk; d != nil {
		b.WriteString("-")
		if d.Count != 1 {
			b.WriteString(itoa(d.Count) + "x")
		}
		if d.SizeGB != 0 {
			b.WriteString(itoa(d.SizeGB))
		}
		b.WriteString(d.Type)
	}
	if f.Hypervisor != "" {
		b.WriteString("_" + f.Hypervisor)
	}
	if f.HWVirt {
		b.WriteString("_hwv")
	}
	if a := f.CPU; a != nil {
		b.WriteString("_" + a.Vendor)
		if a.Gen != 0 {
			b.WriteString(itoa(a.Gen))
		}
		b.WriteString(hs(a.Freq))
	}
	if g := f.GPU; g != nil {
		b.WriteString("_")
		if g.PassThrough {
			b.WriteString("G")
		} else {
			b.WriteString("g")
		}
		b.WriteString(g.Vendor + g.Gen)
		if g.CU != 0 {
			b.WriteString("-" + itoa(g.CU))
		}
		b.WriteString(hs(g.CUPerf))
		if g.VRAM != 0 {
			b.WriteString("-" + itoa(g.VRAM))
		}
		b.WriteString(hs(g.VRAMPerf))
	}
	if f.IB {
		b.WriteString("_ib")
	}
	return b.String()
}

// NameV1 is the canonical name in the deprecated v1 syntax, translated as
// the standard says: "-" becomes ":", then "_" becomes "-".
func (f FlavorName) NameV1() string {
	return V3ToV1(f.Name())
}

// V3ToV1 translates a v2/v3 name to v1 syntax.
func V3ToV1(name string) string {
	s := strings.ReplaceAll(name, "-", ":")
	s = strings.ReplaceAll(s, "_", "-")
	return strings.ReplaceAll(s, "SCS:", "SCS-")
}

// V1ToV3 translates a v1 name to v2/v3 syntax.
func V1ToV3(name string) string {
	s := strings.ReplaceAll(name, "-", "_")
	s = strings.ReplaceAll(s, ":", "-")
	return strings.ReplaceAll(s, "SCS_", "SCS-")
}

// Short is the short form the standard expects every provider to offer,
// as the reference shorten() computes it: CPU/RAM, disk, GPU without its
// "h" suffixes and "_ib" stay; hypervisor, "_hwv" and the x86 vendors go;
// ARM and RISC-V keep their bare letter, which names the architecture.
func (f FlavorName) Short() FlavorName {
	s := f
	s.Hypervisor, s.HWVirt = "", false
	if a := f.CPU; a != nil {
		s.CPU = nil
		if a.Vendor == "a" || a.Vendor == "r" {
			s.CPU = &CPUArch{Vendor: a.Vendor}
		}
	}
	if g := f.GPU; g != nil {
		short := *g
		short.CUPerf, short.VRAMPerf = 0, 0
		s.GPU = &short
	}
	return s
}

// Generate is the inverse of the parser: the canonical v3 name for a set
// of properties. It fails when a property is out of range or when the name
// would not parse back to the same properties (a VRAM size without a
// compute unit count, or a bare GPU part followed by "_ib").
func Generate(f FlavorName) (string, error) {
	if err := f.validate(); err != nil {
		return "", err
	}
	name := f.Name()
	back, err := ParseSyntax(name, SyntaxV3)
	if err != nil {
		return "", fmt.Errorf("%s does not parse back: %w", name, err)
	}
	want := f
	want.Syntax = SyntaxV3
	if !reflect.DeepEqual(back, want) {
		return "", fmt.Errorf("%s would not read back as the same flavor", name)
	}
	return name, nil
}

// validate checks the ranges the parser enforces, for properties that did
// not come from a name.
func (f FlavorName) validate() error {
	if f.CPUs <= 0 {
		return fmt.Errorf("%s: %d: must be a positive integer", PartCPUs, f.CPUs)
	}
	if _, ok := cpuTypes.desc(f.CPUType); !ok {
		return fmt.Errorf("%s %q: must be one of %s", PartCPUType, f.CPUType, cpuTypes.list())
	}
	if f.RAM <= 0 || math.Trunc(2*f.RAM) != 2*f.RAM || math.IsInf(f.RAM, 0) {
		return fmt.Errorf("%s %v GiB: must be a positive multiple of 0.5", PartRAM, f.RAM)
	}
	if d := f.Disk; d != nil {
		if _, ok := diskTypes.desc(d.Type); d.Count <= 0 || d.SizeGB < 0 || (!ok && d.Type != "") {
			return fmt.Errorf("%s: count %d, size %d, type %q: need count > 0, size >= 0 (0: unspecified), type n, h, s, p or empty",
				PartDisk, d.Count, d.SizeGB, d.Type)
		}
	}
	if _, ok := hypervisors.desc(f.Hypervisor); !ok && f.Hypervisor != "" {
		return fmt.Errorf("%s %q: must be one of %s", PartHypervisor, f.Hypervisor, hypervisors.list())
	}
	if a := f.CPU; a != nil {
		gens, ok := cpuGens[a.Vendor]
		if !ok || a.Gen < 0 || a.Gen >= len(gens) || a.Freq < 0 || a.Freq > 3 {
			return fmt.Errorf("%s: vendor %q, generation %d, frequency %q: need vendor %s, a generation of that vendor and up to hhh",
				PartCPUArch, a.Vendor, a.Gen, hs(max(a.Freq, 0)), cpuVendors.list())
		}
	}
	if g := f.GPU; g != nil {
		if _, ok := gpuVendors.desc(g.Vendor); !ok {
			return fmt.Errorf("%s vendor %q: must be one of %s", PartGPU, g.Vendor, gpuVendors.list())
		}
		if _, ok := gpuGens[g.Vendor].desc(g.Gen); !ok && g.Gen != "" {
			return fmt.Errorf("%s generation %q is not defined for vendor %s (%s)", PartGPU, g.Gen, g.Vendor, gpuGens[g.Vendor].list())
		}
		if g.CU < 0 || g.VRAM < 0 || g.CUPerf < 0 || g.CUPerf > 2 || g.VRAMPerf < 0 || g.VRAMPerf > 2 {
			return fmt.Errorf("%s: compute units and VRAM must be >= 0 (0: left out), their h suffixes 0 to 2", PartGPU)
		}
		if g.VRAM != 0 && g.CU == 0 && g.CUPerf == 0 {
			return fmt.Errorf("%s: a VRAM size needs a compute unit count before it, or it is read as the compute units", PartGPU)
		}
		if f.IB && g.CU == 0 && g.CUPerf == 0 && g.VRAM == 0 && g.VRAMPerf == 0 {
			return fmt.Errorf("%s: a GPU part without compute units cannot be followed by _ib: the generation would take it in", PartGPU)
		}
	}
	return nil
}
