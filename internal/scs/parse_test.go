package scs

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// validNames are the valid examples of scs-0100 v1, v2 and v3 (in their
// order in the text), the w1 GPU pieces, and the reference parser's
// leniencies (Tests/iaas/scs_0100_flavor_naming/flavor_names.py).
var validNames = []struct {
	name   string
	syntax Syntax
	source string
}{
	// v2/v3 §CPU suffixes, §Memory, §Disk sizes and types
	{"SCS-2C-4-10n", SyntaxV3, "v3 CPU"},
	{"SCS-2T-4-10n", SyntaxV3, "v3 CPU"},
	{"SCS-2V-4-10n", SyntaxV3, "v3 CPU"},
	{"SCS-2L-4-10n", SyntaxV3, "v3 CPU"},
	{"SCS-2Li-4-10n", SyntaxV3, "v3 CPU"},
	{"SCS-2C-3.5-10n", SyntaxV3, "v3 memory"},
	{"SCS-2C-4u-10n", SyntaxV3, "v3 memory"},
	{"SCS-2C-4o-10n", SyntaxV3, "v3 memory"},
	{"SCS-2C-4uo-10n", SyntaxV3, "v3 memory"},
	{"SCS-2C-4-10s", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-10s_bms_z3", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-3x10s", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-3x10s_bms_z3", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-10", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-10_bms_z3", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-n", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-_bms_z3", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-_bms_z3h_GNa-64_ib", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-_ib", SyntaxV3, "v3 disk"},
	{"SCS-2C-4", SyntaxV3, "v3 disk"},
	{"SCS-2C-4_bms_z3", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-3x10", SyntaxV3, "v3 disk"},
	{"SCS-2C-4-3xs", SyntaxV3, "v2 disk (FIXME example)"},
	// §Hypervisor, §Hardware virtualization, §CPU architecture, §GPU
	{"SCS-2C-4-10n_bms", SyntaxV3, "v3 hypervisor"},
	{"SCS-2C-4-10n_bms_z3h", SyntaxV3, "v3 hypervisor"},
	{"SCS-2C-4-10_kvm_hwv", SyntaxV3, "v3 hwv"},
	{"SCS-2C-4-10_hwv", SyntaxV3, "v3 hwv"},
	{"SCS-2C-4-10_bms_hwv", SyntaxV3, "v3 hwv"},
	{"SCS-2C-4-10n_z", SyntaxV3, "v3 arch"},
	{"SCS-2C-4-10n_z3", SyntaxV3, "v3 arch"},
	{"SCS-2C-4-10n_z3h", SyntaxV3, "v3 arch"},
	{"SCS-2C-4-10n_z3hh", SyntaxV3, "v3 arch"},
	{"SCS-2C-4-10n_bms_z", SyntaxV3, "v3 arch"},
	{"SCS-2C-4-10n_bms_z3", SyntaxV3, "v3 arch"},
	{"SCS-2C-4-10n_bms_z3hh", SyntaxV3, "v3 arch"},
	{"SCS-16V-64-500s_GNa-14h", SyntaxV3, "v3 GPU"},
	{"SCS-16V-64-500s_GNa-14-6h", SyntaxV3, "v3.3 GPU VRAM"},
	// §Naming policy, §Naming options advice, §Proposal examples
	{"SCS-1V-1-5", SyntaxV3, "v3 policy"},
	{"SCS-1T-1-5n", SyntaxV3, "v3 policy"},
	{"SCS-1C-1.5-8s", SyntaxV3, "v3 policy"},
	{"SCS-2V-4-20s", SyntaxV3, "v3 policy"},
	{"SCS-2V-4-20p", SyntaxV3, "v3 policy"},
	{"SCS-8V-32-100", SyntaxV3, "v3 policy"},
	{"SCS-8T-16-50", SyntaxV3, "v3 advice"},
	{"SCS-8T-16-50n", SyntaxV3, "v3 advice"},
	{"SCS-8T-16-50n_i2", SyntaxV3, "v3 advice"},
	{"SCS-8T-16-50n_z2", SyntaxV3, "v3 advice"},
	{"SCS-8T-16-50n_a2", SyntaxV3, "v2 advice"},
	{"SCS-8C-16-50", SyntaxV3, "v3 advice"},
	{"SCS-8Ti-32-50p_i1", SyntaxV3, "v3 proposal"},
	{"SCS-1L-1u-5", SyntaxV3, "v3 proposal"},
	{"SCS-16T-64-200s_GNa-64_ib", SyntaxV3, "v3 proposal"},
	{"SCS-4C-16-2x200p_a1", SyntaxV3, "v3 proposal"},
	{"SCS-1V-0.5", SyntaxV3, "v3 proposal"},
	{"SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib", SyntaxV3, "reference main"},
	// w1 GPU tables and the v3.3 tables
	{"SCS-16V-128_GNa-108h-80h", SyntaxV3, "w1 A100"},
	{"SCS-16V-128_GNg-132-80h", SyntaxV3, "w1 H100"},
	{"SCS-16V-128_GA3-304-192h", SyntaxV3, "w1 MI300X"},
	{"SCS-2V-4_chy", SyntaxV3, "v2+ Cloud Hypervisor"},
	{"SCS-2V-4_i6_GNu-160", SyntaxV3, "v3.3 Granite Rapids, Blackwell Ultra"},
	{"SCS-2V-4_z6", SyntaxV3, "v3.3 Zen-6"},
	{"SCS-2V-4_a5", SyntaxV3, "v3.3 Neoverse V3"},
	{"SCS-2V-4_r", SyntaxV3, "RISC-V"},
	{"SCS-2V-4_r0", SyntaxV3, "RISC-V generation 0"},
	{"SCS-2V-4_gA3.5-16", SyntaxV3, "RDNA3.5"},
	{"SCS-2V-4_GI0.95", SyntaxV3, "Intel Gen9.5"},
	// reference leniencies
	{"SCS-02V-4", SyntaxV3, "leading zeros"},
	{"SCS-1V-.5", SyntaxV3, "RAM .5"},
	{"SCS-1V-4.", SyntaxV3, "RAM 4."},
	{"SCS-2V-4-x10", SyntaxV3, "empty count"},
	{"SCS-2V-4-10x", SyntaxV3, "ten disks of a size the cloud picks"},
	{"SCS-2V-4_GN-64", SyntaxV3, "GPU without generation"},
	{"SCS-4V-16_GNah_ib", SyntaxV3, "GPU h before _ib"},
	{"SCS-2V-4_i0", SyntaxV3, "explicit generation 0"},
	// v1 (tolerated)
	{"SCS-2C:4:10n", SyntaxV1, "v1 CPU"},
	{"SCS-2Li:4:10n", SyntaxV1, "v1 CPU"},
	{"SCS-2C:3.5:10n", SyntaxV1, "v1 memory"},
	{"SCS-2C:4uo:10n", SyntaxV1, "v1 memory"},
	{"SCS-2C:4:10s-bms-z3", SyntaxV1, "v1 disk"},
	{"SCS-2C:4:3x10s", SyntaxV1, "v1 disk"},
	{"SCS-2C:4:n", SyntaxV1, "v1 disk"},
	{"SCS-2C:4:", SyntaxV1, "v1 disk"},
	{"SCS-2C:4:-bms-z3h-GNa:64-ib", SyntaxV1, "v1 disk"},
	{"SCS-2C:4:-ib", SyntaxV1, "v1 disk"},
	{"SCS-2C:4", SyntaxV1, "v1 disk"},
	{"SCS-2C:4-bms-z3", SyntaxV1, "v1 disk"},
	{"SCS-2C:4:3x", SyntaxV1, "v1 disk (FIXME example)"},
	{"SCS-2C:4:3xs", SyntaxV1, "v1 disk (FIXME example)"},
	{"SCS-2C:4:3x10", SyntaxV1, "v1 disk"},
	{"SCS-2C:4:10-kvm-hwv", SyntaxV1, "v1 hwv"},
	{"SCS-2C:4:10n-bms-z3hh", SyntaxV1, "v1 arch"},
	{"SCS-8Ti:32:50p-i1", SyntaxV1, "v1 proposal"},
	{"SCS-1L:1u:5", SyntaxV1, "v1 proposal"},
	{"SCS-16T:64:200s-GNa:64-ib", SyntaxV1, "v1 proposal"},
	{"SCS-4C:16:2x200p-a1", SyntaxV1, "v1 proposal"},
	{"SCS-1V:0.5", SyntaxV1, "v1 proposal"},
	{"SCS-16T:64:3x10s-GNa:64-ib", SyntaxV1, "reference main"},
}

// invalidNames are the struck-out examples of the texts, the typos in
// their prose, and the traps of shared/reference/scs.md; part is the part
// the error must name.
var invalidNames = []struct {
	name, part, reason string
}{
	{"SCS-2-4-10n", PartCPUType, "CPU suffix missing (v3)"},
	{"SCS-2iT-4-10n", PartCPUType, "i before the type (v3)"},
	{"SCS-2C-4ou-10n", PartRAM, "o before u (v3)"},
	{"SCS-2C-4-1.5n", PartDisk, "fractional disk size (v3)"},
	{"SCS-2C-4-10_hwv_xen", PartExtensions, "wrong order (v3)"},
	{"SCS-2C-4-n_bms_3", PartCPUArch, "generation without vendor (v3 example)"},
	{"SCS-2C-4-3x-", PartDisk, "v2 FIXME example"},
	{"SCS-1D-1.5-8s", PartCPUType, "v2 prose typo (D)"},
	{"SCS-2:4:10n", PartCPUType, "CPU suffix missing (v1)"},
	{"SCS-2iT:4:10n", PartCPUType, "i before the type (v1)"},
	{"SCS-2C:4ou:10n", PartRAM, "o before u (v1)"},
	{"SCS-2C:4:1.5n", PartRAM, "fractional disk size (v1)"},
	{"SCS-2C:4:10-hwv-xen", PartRAM, "wrong order (v1)"},
	{"SCS-2C:4:n-bms-3", PartRAM, "generation without vendor (v1)"},
	{"SCS-1Vl:1:5", PartRAM, "v1 prose typo (l)"},
	{"SCS-1D:1.5:8s", PartCPUType, "v1 prose typo (D)"},
	{"SCS-4V-16_GNa_ib", PartGPU, "GPU generation takes in _ib"},
	{"SCS-2V:4-chy", PartRAM, "no chy in v1"},
	{"scs-2V-4", PartPrefix, "lowercase prefix"},
	{"SCS-2v-4", PartCPUType, "lowercase CPU type"},
	{"SCS2V-4", PartPrefix, "no dash after SCS"},
	{"foo", PartPrefix, "not SCS"},
	{"", PartPrefix, "empty"},
	{"SCS-", PartCPUs, "nothing after the prefix"},
	{"SCS-V-4", PartCPUs, "vCPU count missing"},
	{"SCS-0V-4", PartCPUs, "zero vCPUs"},
	{"SCS-99999999999999999999V-4", PartCPUs, "vCPU overflow"},
	{"SCS-2V4", PartRAM, "no separator"},
	{"SCS-2V-", PartRAM, "RAM missing"},
	{"SCS-2V-0", PartRAM, "zero RAM"},
	{"SCS-2V-4.25", PartRAM, "RAM not a multiple of 0.5"},
	{"SCS-2V-1.2.3", PartRAM, "RAM not a number"},
	{"SCS-2V-.", PartRAM, "RAM a lone dot"},
	{"SCS-2V-4-0", PartDisk, "zero disk size"},
	{"SCS-2V-4-0x10", PartDisk, "zero disk count"},
	{"SCS-2V-4-10-20", PartDisk, "two disk parts"},
	{"SCS-2V-4_i7", PartCPUArch, "Intel generation 7"},
	{"SCS-2V-4_z7", PartCPUArch, "AMD generation 7"},
	{"SCS-2V-4_a6", PartCPUArch, "ARM generation 6"},
	{"SCS-2V-4_r1", PartCPUArch, "RISC-V generation 1"},
	{"SCS-2V-4_z3hhhh", PartCPUArch, "hhhh"},
	{"SCS-2V-4_z3x", PartCPUArch, "CPU part not followed by _"},
	{"SCS-2V-4_GNa-64hhh", PartGPU, "GPU hhh"},
	{"SCS-2V-4_GNa-64-8hhh", PartGPU, "VRAM hhh"},
	{"SCS-2V-4_GNx", PartGPU, "unknown nVidia generation"},
	{"SCS-8V-32_gAa.1", PartGPU, "unknown AMD generation"},
	{"SCS-2V-4_GA6", PartGPU, "unknown AMD generation 6"},
	{"SCS-2V-4_GX", PartGPU, "unknown GPU vendor"},
	{"SCS-2V-4_G", PartGPU, "GPU vendor missing"},
	{"SCS-2V-4_GNa-0", PartGPU, "zero compute units"},
	{"SCS-2V-4_GNa-8-0", PartGPU, "zero VRAM"},
	{"SCS-2V-4_GNa-", PartGPU, "dangling dash after the GPU"},
	{"SCS-2V-4_kvm_kvm", PartExtensions, "hypervisor twice"},
	{"SCS-2V-4_ib_ib", PartExtensions, "ib twice"},
	{"SCS-2V-4_ib_kvm", PartExtensions, "hypervisor after ib"},
	{"SCS-2V-4_GNa-64_z3", PartExtensions, "CPU after GPU"},
	{"SCS-2V-4_ib_GNa", PartExtensions, "GPU after ib"},
	{"SCS-2V-4_foo", PartExtensions, "unknown extension"},
	{"SCS-2V-4_kvmx", PartExtensions, "hypervisor followed by junk"},
	{"SCS-2V-4 ", PartExtensions, "trailing space"},
}

func TestParseValid(t *testing.T) {
	for _, tc := range validNames {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFlavorName(tc.name)
			if err != nil {
				t.Fatalf("%s: %v", tc.source, err)
			}
			if f.Syntax != tc.syntax {
				t.Errorf("syntax %s, want %s", f.Syntax, tc.syntax)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidNames {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFlavorName(tc.name)
			if err == nil {
				t.Fatalf("%s: accepted as %+v", tc.reason, f)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if pe.Part != tc.part {
				t.Errorf("%s: part %q, want %q (%v)", tc.reason, pe.Part, tc.part, err)
			}
			if pe.Name != tc.name || pe.Pos < 0 || pe.Pos > len(tc.name) || pe.Reason == "" {
				t.Errorf("error fields %+v", pe)
			}
		})
	}
}

// TestParseDecodes checks every decoded field on names that use each part.
func TestParseDecodes(t *testing.T) {
	tests := []struct {
		name string
		want FlavorName
	}{
		{"SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib", FlavorName{Syntax: SyntaxV3, CPUs: 16, CPUType: "T", RAM: 64,
			Disk: &Disk{Count: 3, SizeGB: 10, Type: "s"}, Hypervisor: "bms", HWVirt: true, CPU: &CPUArch{Vendor: "i", Gen: 3, Freq: 1},
			GPU: &GPU{PassThrough: true, Vendor: "N", Gen: "a", CU: 64}, IB: true}},
		{"SCS-2Li-0.5uo", FlavorName{Syntax: SyntaxV3, CPUs: 2, CPUType: "L", Insecure: true, RAM: 0.5, RAMNoECC: true, RAMOversubscribed: true}},
		{"SCS-2C-4-", FlavorName{Syntax: SyntaxV3, CPUs: 2, CPUType: "C", RAM: 4, Disk: &Disk{Count: 1}}},
		{"SCS-2C-4-3xs", FlavorName{Syntax: SyntaxV3, CPUs: 2, CPUType: "C", RAM: 4, Disk: &Disk{Count: 3, Type: "s"}}},
		{"SCS-2V-4-x10", FlavorName{Syntax: SyntaxV3, CPUs: 2, CPUType: "V", RAM: 4, Disk: &Disk{Count: 1, SizeGB: 10}}},
		{"SCS-16V-128_gA3.5-304hh-192h", FlavorName{Syntax: SyntaxV3, CPUs: 16, CPUType: "V", RAM: 128,
			GPU: &GPU{Vendor: "A", Gen: "3.5", CU: 304, CUPerf: 2, VRAM: 192, VRAMPerf: 1}}},
		{"SCS-4V-16_GNah_ib", FlavorName{Syntax: SyntaxV3, CPUs: 4, CPUType: "V", RAM: 16,
			GPU: &GPU{PassThrough: true, Vendor: "N", Gen: "a", CUPerf: 1}, IB: true}},
		{"SCS-2V-4_chy_a", FlavorName{Syntax: SyntaxV3, CPUs: 2, CPUType: "V", RAM: 4, Hypervisor: "chy", CPU: &CPUArch{Vendor: "a"}}},
		{"SCS-2V-4_i_ib", FlavorName{Syntax: SyntaxV3, CPUs: 2, CPUType: "V", RAM: 4, CPU: &CPUArch{Vendor: "i"}, IB: true}},
		{"SCS-16T:64:3x10s-GNa:64-ib", FlavorName{Syntax: SyntaxV1, CPUs: 16, CPUType: "T", RAM: 64,
			Disk: &Disk{Count: 3, SizeGB: 10, Type: "s"}, GPU: &GPU{PassThrough: true, Vendor: "N", Gen: "a", CU: 64}, IB: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFlavorName(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %s\nwant %s", dump(got), dump(tc.want))
			}
		})
	}
}

func dump(f FlavorName) string {
	s := fmt.Sprintf("%+v", f)
	if f.Disk != nil {
		s += fmt.Sprintf(" disk=%+v", *f.Disk)
	}
	if f.CPU != nil {
		s += fmt.Sprintf(" cpu=%+v", *f.CPU)
	}
	if f.GPU != nil {
		s += fmt.Sprintf(" gpu=%+v", *f.GPU)
	}
	return s
}

// TestErrorMessages pins the wording of the errors that name a rule.
func TestErrorMessages(t *testing.T) {
	tests := []struct{ name, want string }{
		{"SCS-2iT-4-10n", `CPU type: the insecure flag i follows the CPU type (2Ti, not 2iT)`},
		{"SCS-2C-4ou-10n", `RAM: the RAM suffixes go in the order u, o (4uo, not 4ou)`},
		{"SCS-2C-4-1.5n", `disk: the disk size must be a whole number of GB`},
		{"SCS-2C-4-10_hwv_xen", `extensions: "_xen" cannot follow the hwv part: extensions go in the order hypervisor, hwv, CPU, GPU, ib`},
		{"SCS-2C-4-n_bms_3", `CPU architecture: "_3": a CPU generation needs a vendor letter (i, z, a or r) before it`},
		{"SCS-4V-16_GNa_ib", `GPU: generation "a_ib" is not defined for nVidia; a GPU part without a "-" count takes in what follows, so "_ib" cannot come after it`},
		{"SCS-2V-4_i7", `CPU architecture: generation 7 is not defined for Intel x86-64 (0 to 6)`},
		{"SCS-2V-4.25", `RAM: RAM "4.25" GiB: must be a positive multiple of 0.5`},
		{"scs-2V-4", `prefix: names are case-sensitive: the prefix is "SCS-"`},
		{"SCS-2V:4-chy", `RAM: expected '-' before the RAM size, found ":4-chy" (read as a v1 name: hypervisor: chy (Cloud Hypervisor) does not exist in the v1 syntax)`},
	}
	for _, tc := range tests {
		_, err := ParseFlavorName(tc.name)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.name, err, tc.want)
		}
	}
}

// TestV1V3Translation: the standard's sed translations map the examples
// of one syntax onto the other.
func TestV1V3Translation(t *testing.T) {
	for _, tc := range validNames {
		if tc.syntax != SyntaxV1 {
			continue
		}
		v3 := V1ToV3(tc.name)
		f1, err1 := ParseSyntax(tc.name, SyntaxV1)
		f3, err3 := ParseSyntax(v3, SyntaxV3)
		if err1 != nil || err3 != nil {
			t.Errorf("%s -> %s: %v, %v", tc.name, v3, err1, err3)
			continue
		}
		f1.Syntax = SyntaxV3
		if !reflect.DeepEqual(f1, f3) {
			t.Errorf("%s and %s decode differently", tc.name, v3)
		}
		if back := V3ToV1(v3); back != tc.name {
			t.Errorf("%s -> %s -> %s", tc.name, v3, back)
		}
	}
}
