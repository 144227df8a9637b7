package scs

import (
	"reflect"
	"strings"
	"testing"
)

// TestRoundTrip: every valid example generates a canonical name that
// parses back to the same flavor, in v3 and in v1 syntax.
func TestRoundTrip(t *testing.T) {
	for _, tc := range validNames {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFlavorName(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			assertRoundTrip(t, f)
		})
	}
}

func assertRoundTrip(t *testing.T, f FlavorName) {
	t.Helper()
	name, err := Generate(f)
	if err != nil {
		t.Fatalf("Generate(%s): %v", dump(f), err)
	}
	if name != f.Name() {
		t.Errorf("Generate = %s, Name = %s", name, f.Name())
	}
	want := f
	want.Syntax = SyntaxV3
	back, err := ParseSyntax(name, SyntaxV3)
	if err != nil || !reflect.DeepEqual(back, want) {
		t.Fatalf("%s parses back as %s, %v; want %s", name, dump(back), err, dump(want))
	}
	if f.Hypervisor == "chy" {
		return // v1 has no Cloud Hypervisor
	}
	want.Syntax = SyntaxV1
	back, err = ParseSyntax(f.NameV1(), SyntaxV1)
	if err != nil || !reflect.DeepEqual(back, want) {
		t.Fatalf("%s parses back as %s, %v; want %s", f.NameV1(), dump(back), err, dump(want))
	}
}

func TestCanonicalName(t *testing.T) {
	tests := []struct{ name, canonical, v1 string }{
		{"SCS-2V-4-20s", "SCS-2V-4-20s", "SCS-2V:4:20s"},
		{"SCS-02V-04.0-01x020s", "SCS-2V-4-20s", "SCS-2V:4:20s"},
		{"SCS-1V-.5", "SCS-1V-0.5", "SCS-1V:0.5"},
		{"SCS-2V-4-x", "SCS-2V-4-", "SCS-2V:4:"},
		{"SCS-2V-4_i0h", "SCS-2V-4_ih", "SCS-2V:4-ih"},
		{"SCS-2V-4_GNa-064-08", "SCS-2V-4_GNa-64-8", "SCS-2V:4-GNa:64:8"},
		{"SCS-16T:64:3x10s-GNa:64-ib", "SCS-16T-64-3x10s_GNa-64_ib", "SCS-16T:64:3x10s-GNa:64-ib"},
		{"SCS-2C-3.50-10n", "SCS-2C-3.5-10n", "SCS-2C:3.5:10n"},
	}
	for _, tc := range tests {
		f, err := ParseFlavorName(tc.name)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := f.Name(); got != tc.canonical {
			t.Errorf("%s: canonical %s, want %s", tc.name, got, tc.canonical)
		}
		if got := f.NameV1(); got != tc.v1 {
			t.Errorf("%s: v1 %s, want %s", tc.name, got, tc.v1)
		}
	}
}

// TestShortName follows the reference shorten().
func TestShortName(t *testing.T) {
	tests := []struct{ name, short string }{
		{"SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib", "SCS-16T-64-3x10s_GNa-64_ib"}, // the reference's own example
		{"SCS-2C-4-10n_bms_z3hh", "SCS-2C-4-10n"},
		{"SCS-4C-16-2x200p_a1h", "SCS-4C-16-2x200p_a"},
		{"SCS-2V-4_kvm_hwv_r", "SCS-2V-4_r"},
		{"SCS-16V-128_GNa-108h-80h", "SCS-16V-128_GNa-108-80"},
		{"SCS-2Li-4uo-", "SCS-2Li-4uo-"},
		{"SCS-4V-16_GNah_ib", "SCS-4V-16_GNa_ib"}, // does not parse: CheckFlavorName warns
	}
	for _, tc := range tests {
		f, err := ParseFlavorName(tc.name)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := f.Short().Name(); got != tc.short {
			t.Errorf("%s: short %s, want %s", tc.name, got, tc.short)
		}
	}
	// The reference main block: the v1 short name and the v2 one agree.
	v1, _ := ParseSyntax("SCS-16T:64:3x10s-GNa:64-ib", SyntaxV1)
	long, _ := ParseSyntax("SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib", SyntaxV3)
	if v1.Name() != long.Short().Name() {
		t.Errorf("v1 %s != short %s", v1.Name(), long.Short().Name())
	}
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		props FlavorName
		want  string
	}{
		{FlavorName{CPUs: 2, CPUType: "V", RAM: 4, Disk: &Disk{Count: 1, SizeGB: 20, Type: "s"}}, "SCS-2V-4-20s"},
		{FlavorName{CPUs: 1, CPUType: "L", RAM: 1}, "SCS-1L-1"},
		{FlavorName{CPUs: 1, CPUType: "V", RAM: 0.5}, "SCS-1V-0.5"},
		{FlavorName{CPUs: 8, CPUType: "T", Insecure: true, RAM: 32, Disk: &Disk{Count: 1, SizeGB: 50, Type: "p"}, CPU: &CPUArch{Vendor: "i", Gen: 1}},
			"SCS-8Ti-32-50p_i1"},
		{FlavorName{CPUs: 16, CPUType: "T", RAM: 64, Disk: &Disk{Count: 3, SizeGB: 10, Type: "s"}, Hypervisor: "bms", HWVirt: true,
			CPU: &CPUArch{Vendor: "i", Gen: 3, Freq: 1}, GPU: &GPU{PassThrough: true, Vendor: "N", Gen: "a", CU: 64}, IB: true},
			"SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib"},
		{FlavorName{CPUs: 2, CPUType: "C", RAM: 4, Disk: &Disk{Count: 3}}, "SCS-2C-4-3x"},
		{FlavorName{CPUs: 2, CPUType: "C", RAM: 4, Disk: &Disk{Count: 1}}, "SCS-2C-4-"},
		{FlavorName{CPUs: 4, CPUType: "V", RAM: 16, GPU: &GPU{Vendor: "A", Gen: "3", CU: 304, VRAM: 192, VRAMPerf: 1}}, "SCS-4V-16_gA3-304-192h"},
		{FlavorName{CPUs: 2, CPUType: "V", RAM: 4, Hypervisor: "chy"}, "SCS-2V-4_chy"},
	}
	for _, tc := range tests {
		got, err := Generate(tc.props)
		if err != nil || got != tc.want {
			t.Errorf("Generate(%s) = %q, %v; want %s", dump(tc.props), got, err, tc.want)
		}
	}
}

func TestGenerateRejects(t *testing.T) {
	base := func(mod func(*FlavorName)) FlavorName {
		f := FlavorName{CPUs: 2, CPUType: "V", RAM: 4}
		mod(&f)
		return f
	}
	tests := []struct {
		name  string
		props FlavorName
		want  string
	}{
		{"no CPUs", base(func(f *FlavorName) { f.CPUs = 0 }), "vCPUs"},
		{"bad CPU type", base(func(f *FlavorName) { f.CPUType = "X" }), "CPU type"},
		{"quarter GiB", base(func(f *FlavorName) { f.RAM = 4.25 }), "RAM"},
		{"no RAM", base(func(f *FlavorName) { f.RAM = 0 }), "RAM"},
		{"zero disks", base(func(f *FlavorName) { f.Disk = &Disk{} }), "disk"},
		{"bad disk type", base(func(f *FlavorName) { f.Disk = &Disk{Count: 1, Type: "x"} }), "disk"},
		{"bad hypervisor", base(func(f *FlavorName) { f.Hypervisor = "qemu" }), "hypervisor"},
		{"bad CPU vendor", base(func(f *FlavorName) { f.CPU = &CPUArch{Vendor: "x"} }), "CPU architecture"},
		{"Intel gen 7", base(func(f *FlavorName) { f.CPU = &CPUArch{Vendor: "i", Gen: 7} }), "CPU architecture"},
		{"hhhh", base(func(f *FlavorName) { f.CPU = &CPUArch{Vendor: "z", Freq: 4} }), "CPU architecture"},
		{"bad GPU vendor", base(func(f *FlavorName) { f.GPU = &GPU{Vendor: "X"} }), "GPU vendor"},
		{"bad GPU gen", base(func(f *FlavorName) { f.GPU = &GPU{Vendor: "N", Gen: "z"} }), "GPU generation"},
		{"VRAM without CU", base(func(f *FlavorName) { f.GPU = &GPU{Vendor: "N", VRAM: 16} }), "needs a compute unit count"},
		{"bare GPU before ib", base(func(f *FlavorName) { f.GPU = &GPU{Vendor: "N", Gen: "a"}; f.IB = true }), "_ib"},
		{"VRAM h without VRAM", base(func(f *FlavorName) { f.GPU = &GPU{Vendor: "N", CU: 8, VRAMPerf: 1} }), "read back"},
	}
	for _, tc := range tests {
		got, err := Generate(tc.props)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Generate = %q, %v; want an error with %q", tc.name, got, err, tc.want)
		}
	}
}

func TestExtraSpecs(t *testing.T) {
	tests := []struct {
		name string
		want map[string]string
	}{
		{"SCS-2V-4-20s", map[string]string{SpecCPUType: "shared-core", "scs:disk0-type": "ssd",
			SpecNameV1: "SCS-2V:4:20s", SpecNameV2: "SCS-2V-4-20s"}},
		{"SCS-1L-1", map[string]string{SpecCPUType: "crowded-core", SpecNameV1: "SCS-1L:1", SpecNameV2: "SCS-1L-1"}},
		// An untyped disk is network, not "any" (a trap of SCS-0103).
		{"SCS-1V-4-10", map[string]string{SpecCPUType: "shared-core", "scs:disk0-type": "network",
			SpecNameV1: "SCS-1V:4:10", SpecNameV2: "SCS-1V-4-10"}},
		// A long name: long v1, long v2, short v1, short v2.
		{"SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib", map[string]string{SpecCPUType: "dedicated-thread",
			"scs:disk0-type": "ssd", "scs:disk1-type": "ssd", "scs:disk2-type": "ssd",
			"scs:name-v1": "SCS-16T:64:3x10s-bms-hwv-i3h-GNa:64-ib", "scs:name-v2": "SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib",
			"scs:name-v3": "SCS-16T:64:3x10s-GNa:64-ib", "scs:name-v4": "SCS-16T-64-3x10s_GNa-64_ib"}},
		// v1 has no chy: no v1 spelling of the long name.
		{"SCS-2V-4_chy", map[string]string{SpecCPUType: "shared-core",
			"scs:name-v1": "SCS-2V-4_chy", "scs:name-v2": "SCS-2V:4", "scs:name-v3": "SCS-2V-4"}},
		// The short name SCS-4V-16_GNa_ib does not parse: left out.
		{"SCS-4V-16_GNah_ib", map[string]string{SpecCPUType: "shared-core",
			"scs:name-v1": "SCS-4V:16-GNah-ib", "scs:name-v2": "SCS-4V-16_GNah_ib"}},
	}
	for _, tc := range tests {
		f, err := ParseFlavorName(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.ExtraSpecs(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

func TestCheckFlavorNameWarnings(t *testing.T) {
	tests := []struct {
		name string
		want []string // substrings, one per warning, in order
	}{
		{"SCS-2V-4-20s", nil},
		{"SCS-2V:4:20s", []string{"v1 syntax is merely tolerated (deprecated); the v3 name is SCS-2V-4-20s"}},
		{"SCS-02V-4", []string{"canonical form; the reference generator writes SCS-2V-4"}},
		{"SCS-16V-10.5", []string{"half-GiB RAM sizes should not be used at 10 GiB and above"}},
		{"SCS-2V-4-30", []string{"disk size 30 GB is not one of the recommended sizes"}},
		{"SCS-2C-4-10_hwv", []string{"_hwv without a hypervisor is allowed but not recommended"}},
		{"SCS-4V-16_GNah_ib", []string{"the short name SCS-4V-16_GNa_ib does not parse"}},
	}
	for _, tc := range tests {
		c := CheckFlavorName(tc.name)
		if !c.Valid() || len(c.Warnings) != len(tc.want) {
			t.Errorf("%s: valid %v, warnings %q", tc.name, c.Valid(), c.Warnings)
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(c.Warnings[i], w) {
				t.Errorf("%s: warning %q, want %q", tc.name, c.Warnings[i], w)
			}
		}
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct{ name, want string }{
		{"SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib", "16 dedicated SMT threads, Intel x86-64 Ice Lake >2.75 GHz all-core, 64 GiB RAM, " +
			"3 local SSD disks, 10 GB each, bare metal, hardware virtualization in the guest, pass-through GPU nVidia Ampere with 64 SMs, InfiniBand"},
		{"SCS-1L-1u-5", "1 heavily oversubscribed vCPU, generic x86-64, 1 GiB RAM (no ECC), disk of unspecified type, 5 GB"},
		{"SCS-2Ci-3.5o-n", "2 dedicated cores (insecure), generic x86-64, 3.5 GiB RAM (oversubscribed), network disk, size picked by the cloud"},
		{"SCS-1V-0.5_gA3-304hh-192hh", "1 shared vCPU, generic x86-64, 0.5 GiB RAM, no root disk (boot from volume), " +
			"virtual GPU AMD CDNA3 with 304 CUs (very high frequency) and 192 GiB VRAM (very high bandwidth)"},
	}
	for _, tc := range tests {
		f, err := ParseFlavorName(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Describe(); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
