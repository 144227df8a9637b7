package scs

import (
	"cmp"
	"strconv"
	"strings"
)

// Syntax is the spelling of a flavor name. SCS-0100 v2 and v3 share one
// syntax; v1 used ":" where v2 uses "-" and "-" where v2 uses "_".
type Syntax string

const (
	SyntaxV3 Syntax = "v3" // also v2: SCS-2V-4-20s_kvm
	SyntaxV1 Syntax = "v1" // deprecated: SCS-2V:4:20s-kvm
)

// FlavorName is a decoded SCS-0100 flavor name. The zero value of an
// optional part means the name leaves it out.
type FlavorName struct {
	Syntax            Syntax // the syntax the name was written in
	CPUs              int
	CPUType           string // L, V, T or C
	Insecure          bool   // "i": mitigations not deployed in time, or SMT on L1TF-affected CPUs
	RAM               float64
	RAMNoECC          bool   // "u"
	RAMOversubscribed bool   // "o"
	Disk              *Disk  // nil: no root disk (boot from volume)
	Hypervisor        string // "" (KVM assumed) or a code of hypervisors
	HWVirt            bool   // "_hwv": VMX/SVM visible in the guest
	CPU               *CPUArch
	GPU               *GPU
	IB                bool // "_ib": InfiniBand
}

// Disk is the root disk part: Count disks of SizeGB each. SizeGB 0 means
// the cloud picks the size (at least the image's min_disk); Type "" means
// the type is unspecified.
type Disk struct {
	Count  int
	SizeGB int
	Type   string // "", n, h, s or p
}

// CPUArch is the CPU vendor extension. Gen 0 means old or unspecified and
// is left out of canonical names; Freq is the number of "h" (0-3).
type CPUArch struct {
	Vendor string // i, z, a or r
	Gen    int
	Freq   int
}

// GPU is the GPU extension. CU and VRAM are 0 when left out; CUPerf and
// VRAMPerf count the "h" after them (0-2).
type GPU struct {
	PassThrough bool   // "G"; false is a virtual GPU, "g"
	Vendor      string // N, A or I
	Gen         string // "" or a generation of the vendor
	CU          int    // SMs (N), CUs (A) or EUs (I)
	CUPerf      int    // h: high frequency
	VRAM        int    // GiB, rounded down
	VRAMPerf    int    // h: high bandwidth (HBM class)
}

// code is one allowed value of a field with its meaning (for CPU and
// disk types the extra spec value) and, where it differs, its description.
type code struct{ code, desc, long string }

type codes []code

func (cs codes) desc(c string) (string, bool) {
	for _, x := range cs {
		if x.code == c {
			return x.desc, true
		}
	}
	return "", false
}

// long is the description of c for humans.
func (cs codes) long(c string) string {
	for _, x := range cs {
		if x.code == c {
			return cmp.Or(x.long, x.desc)
		}
	}
	return ""
}

func (cs codes) list() string {
	s := make([]string, len(cs))
	for i, x := range cs {
		s[i] = x.code
	}
	return strings.Join(s, ", ")
}

// cpuTypes are the CPU suffixes with their scs:cpu-type values (SCS-0103).
var cpuTypes = codes{
	{"L", "crowded-core", "heavily oversubscribed vCPU"},
	{"V", "shared-core", "shared vCPU"},
	{"T", "dedicated-thread", "dedicated SMT thread"},
	{"C", "dedicated-core", "dedicated core"},
}

// diskTypes are the disk type letters with their scs:diskN-type values.
var diskTypes = codes{
	{"n", "network", ""},
	{"h", "hdd", "local HDD"},
	{"s", "ssd", "local SSD"},
	{"p", "nvme", "local NVMe"},
}

// hypervisors: chy exists from v2 on only (the v1 parser skips it).
var hypervisors = codes{
	{"kvm", "KVM", ""},
	{"chy", "Cloud Hypervisor", ""},
	{"xen", "Xen", ""},
	{"vmw", "VMware", ""},
	{"hyv", "Hyper-V", ""},
	{"bms", "bare metal", ""},
}

var cpuVendors = codes{
	{"i", "Intel x86-64", ""},
	{"z", "AMD x86-64", ""},
	{"a", "ARM", ""},
	{"r", "RISC-V", ""},
}

var cpuGens = map[string][]string{
	"i": {"pre-Skylake", "Skylake", "Cascade Lake", "Ice Lake", "Sapphire Rapids", "Sierra Forest", "Granite Rapids"},
	"z": {"pre-Zen", "Zen-1 (Naples)", "Zen-2 (Rome)", "Zen-3 (Milan)", "Zen-4 (Genoa)", "Zen-5 (Turin)", "Zen-6 (Venice)"},
	"a": {"pre-A76", "A76/Neoverse N1", "A78/X1/Neoverse V1", "Neoverse N2/V2", "AmpereOne", "Neoverse N3/V3"},
	"r": {"unspecified"},
}

var cpuFreqDesc = []string{"", ">2.75 GHz all-core", ">3.25 GHz all-core", ">3.75 GHz all-core"}

var gpuVendors = codes{
	{"N", "nVidia", ""},
	{"A", "AMD", ""},
	{"I", "Intel", ""},
}

var gpuUnits = map[string]string{"N": "SMs", "A": "CUs", "I": "EUs"}

var gpuGens = map[string]codes{
	"N": {{"f", "Fermi", ""}, {"k", "Kepler", ""}, {"m", "Maxwell", ""}, {"p", "Pascal", ""}, {"v", "Volta", ""}, {"t", "Turing", ""},
		{"a", "Ampere", ""}, {"l", "Ada Lovelace", ""}, {"g", "Grace Hopper", ""}, {"b", "Blackwell", ""}, {"u", "Blackwell Ultra", ""}},
	"A": {{"0.4", "GCN4/Polaris", ""}, {"0.5", "GCN5/Vega", ""}, {"1", "CDNA1", ""}, {"1.1", "RDNA1", ""}, {"2", "CDNA2", ""},
		{"2.1", "RDNA2", ""}, {"3", "CDNA3", ""}, {"3.1", "RDNA3", ""}, {"3.5", "RDNA3.5", ""}, {"4", "CDNA4", ""}, {"4.1", "RDNA4", ""},
		{"5.1", "RDNA5", ""}},
	"I": {{"0.9", "Gen9/Skylake", ""}, {"0.95", "Gen9.5/Kaby Lake", ""}, {"1", "Xe1/Gen12.1/DG1", ""}, {"2", "Xe2/Gen12.2", ""},
		{"3", "Arc/Gen12.7/DG2", ""}, {"4", "Battlemage/Gen20", ""}},
}

// CPUTypeSpec is the scs:cpu-type value of a CPU suffix (L, V, T, C).
func CPUTypeSpec(t string) string {
	s, _ := cpuTypes.desc(t)
	return s
}

// DiskTypeSpec is the scs:diskN-type value of a disk type letter; a disk
// of unspecified type counts as network, as in the reference generator.
func DiskTypeSpec(t string) string {
	if t == "" {
		t = "n"
	}
	s, _ := diskTypes.desc(t)
	return s
}

func hs(n int) string { return strings.Repeat("h", n) }

func itoa(n int) string { return strconv.Itoa(n) }
