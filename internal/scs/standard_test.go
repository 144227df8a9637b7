package scs

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestStandardFlavorsParse: the SCS-0103 list has 15 mandatory and 16
// recommended flavors, each a canonical v3 name whose figures are those
// of the table.
func TestStandardFlavorsParse(t *testing.T) {
	count := map[string]int{}
	for _, s := range StandardFlavors() {
		count[s.Status]++
		f, err := ParseSyntax(s.Name, SyntaxV3)
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		if f.Name() != s.Name {
			t.Errorf("%s is not canonical (%s)", s.Name, f.Name())
		}
		disk := 0
		if f.Disk != nil {
			disk = f.Disk.SizeGB
		}
		if f.CPUs != s.VCPUs || f.RAM != float64(s.RAMGiB) || s.RAMMiB != 1024*s.RAMGiB || disk != s.DiskGB {
			t.Errorf("%s: table says %d vCPUs, %d GiB (%d MiB), %d GB", s.Name, s.VCPUs, s.RAMGiB, s.RAMMiB, s.DiskGB)
		}
		if want := "scs-0103-flavor-" + strings.ToLower(s.Name[4:]); s.Testcase() != want {
			t.Errorf("testcase %s, want %s", s.Testcase(), want)
		}
	}
	if count[Mandatory] != 15 || count[Recommended] != 16 {
		t.Errorf("%d mandatory, %d recommended; want 15 and 16", count[Mandatory], count[Recommended])
	}
}

// TestStandardFlavorSpecs checks the extra specs against the rules of
// SCS-0103 §"Guarantees and properties" and the generated list
// (Tests/iaas/SCS-Spec.MandatoryFlavors.verbose.yaml).
func TestStandardFlavorSpecs(t *testing.T) {
	for _, s := range StandardFlavors() {
		want := map[string]string{
			SpecNameV1:  "SCS-" + strings.ReplaceAll(s.Name[4:], "-", ":"), // every dash after the first
			SpecNameV2:  s.Name,
			SpecCPUType: "shared-core",
		}
		if strings.HasPrefix(s.Name, "SCS-1L-") {
			want[SpecCPUType] = "crowded-core"
		}
		switch {
		case strings.HasSuffix(s.Name, "s"):
			want["scs:disk0-type"] = "ssd" // exactly ssd, even when served by NVMe
		case s.DiskGB > 0:
			want["scs:disk0-type"] = "network" // the standard says "any"; the test wants network
		}
		if !reflect.DeepEqual(s.ExtraSpecs, want) {
			t.Errorf("%s:\n got %v\nwant %v", s.Name, s.ExtraSpecs, want)
		}
	}
	// Three entries verbatim from the generated list.
	byName := map[string]StandardFlavor{}
	for _, s := range StandardFlavors() {
		byName[s.Name] = s
	}
	verbatim := []StandardFlavor{
		{Name: "SCS-4V-16-100s", Status: Mandatory, VCPUs: 4, RAMGiB: 16, RAMMiB: 16384, DiskGB: 100, ExtraSpecs: map[string]string{
			"scs:cpu-type": "shared-core", "scs:disk0-type": "ssd", "scs:name-v1": "SCS-4V:16:100s", "scs:name-v2": "SCS-4V-16-100s"}},
		{Name: "SCS-1L-1-5", Status: Recommended, VCPUs: 1, RAMGiB: 1, RAMMiB: 1024, DiskGB: 5, ExtraSpecs: map[string]string{
			"scs:cpu-type": "crowded-core", "scs:disk0-type": "network", "scs:name-v1": "SCS-1L:1:5", "scs:name-v2": "SCS-1L-1-5"}},
		{Name: "SCS-16V-128", Status: Recommended, VCPUs: 16, RAMGiB: 128, RAMMiB: 131072, ExtraSpecs: map[string]string{
			"scs:cpu-type": "shared-core", "scs:name-v1": "SCS-16V:128", "scs:name-v2": "SCS-16V-128"}},
	}
	for _, want := range verbatim {
		if got := byName[want.Name]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", want.Name, got, want)
		}
	}
}

// flavorOf builds the flavor a standard flavor wants.
func flavorOf(s StandardFlavor) Flavor {
	specs := map[string]string{}
	for k, v := range s.ExtraSpecs {
		specs[k] = v
	}
	return Flavor{Name: s.Name, VCPUs: s.VCPUs, RAMMiB: s.RAMMiB, DiskGB: s.DiskGB, ExtraSpecs: specs}
}

func standard(name string) StandardFlavor {
	for _, s := range StandardFlavors() {
		if s.Name == name {
			return s
		}
	}
	panic("no standard flavor " + name)
}

// TestCheckStandardFlavorWrong uses the negative fixtures of
// Tests/testing/scs-0103-v1-flavors-wrong.yaml, one wrong value each,
// and the traps of the reference summary.
func TestCheckStandardFlavorWrong(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Flavor)
		want []string
	}{
		{"SCS-1V-4", func(f *Flavor) { f.ExtraSpecs[SpecCPUType] = "crowded-core" },
			[]string{`scs:cpu-type is "crowded-core", should be "shared-core"`}},
		{"SCS-2V-8", func(f *Flavor) { f.ExtraSpecs[SpecNameV1] = "SCS-2V-8" },
			[]string{`scs:name-v1 is "SCS-2V-8", should be "SCS-2V:8"`}},
		{"SCS-4V-16", func(f *Flavor) { f.RAMMiB = 12 * 1024 }, []string{"ram is 12288, should be 16384"}},
		{"SCS-8V-32", func(f *Flavor) { f.DiskGB = 128 }, []string{"disk is 128, should be 0"}},
		{"SCS-1V-2", func(f *Flavor) { f.VCPUs = 2 }, []string{"vcpus is 2, should be 1"}},
		{"SCS-2V-4-20s", func(f *Flavor) { delete(f.ExtraSpecs, "scs:disk0-type") },
			[]string{`scs:disk0-type is not set, should be "ssd"`}},
		{"SCS-4V-16-100s", func(f *Flavor) { f.DiskGB = 10 }, []string{"disk is 10, should be 100"}},
		// Traps: NVMe served as SSD must still say ssd; "any" disk means network.
		{"SCS-2V-4-20s", func(f *Flavor) { f.ExtraSpecs["scs:disk0-type"] = "nvme" },
			[]string{`scs:disk0-type is "nvme", should be "ssd"`}},
		{"SCS-2V-8-20", func(f *Flavor) { f.ExtraSpecs["scs:disk0-type"] = "hdd" },
			[]string{`scs:disk0-type is "hdd", should be "network"`}},
		{"SCS-2V-4", func(f *Flavor) { f.RAMMiB = 4000; f.VCPUs = 4; delete(f.ExtraSpecs, SpecNameV2) },
			[]string{"vcpus is 4, should be 2", "ram is 4000, should be 4096", `scs:name-v2 is not set, should be "SCS-2V-4"`}},
		{"SCS-2V-4", func(*Flavor) {}, nil},
	}
	for _, tc := range tests {
		spec := standard(tc.name)
		f := flavorOf(spec)
		tc.mod(&f)
		var got []string
		for _, d := range CheckStandardFlavor(spec, f) {
			if d.Level != Error || d.Testcase != spec.Testcase() || d.Subject != tc.name {
				t.Errorf("%s: finding %+v", tc.name, d)
			}
			got = append(got, d.Message)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestCheckStandardFlavors(t *testing.T) {
	var all []Flavor
	for _, s := range StandardFlavors() {
		all = append(all, flavorOf(s))
	}
	if fs := CheckStandardFlavors(all); len(fs) != 0 {
		t.Errorf("complete set: %v", fs)
	}
	// Found by scs:name-v2 under another name; found by name without specs.
	renamed := flavorOf(standard("SCS-2V-4"))
	renamed.Name = "m1.small"
	bare := flavorOf(standard("SCS-1V-2"))
	bare.ExtraSpecs = nil
	fs := CheckStandardFlavors([]Flavor{renamed, bare})
	var lines []string
	for _, f := range fs {
		lines = append(lines, fmt.Sprintf("%s %s %s: %s", f.Level, f.Testcase, f.Subject, f.Message))
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"error scs-0103-flavor-1v-4 SCS-1V-4: mandatory standard flavor missing",
		"warning scs-0103-flavor-1l-1-5 SCS-1L-1-5: recommended standard flavor missing",
		`error scs-0103-flavor-1v-2 SCS-1V-2: scs:cpu-type is not set, should be "shared-core"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in\n%s", want, text)
		}
	}
	if strings.Contains(text, "scs-0103-flavor-2v-4:") || strings.Contains(text, "SCS-2V-4: mandatory") {
		t.Errorf("SCS-2V-4 was not found by its scs:name-v2:\n%s", text)
	}
	if len(fs) != 29+3 { // 29 flavors missing, SCS-1V-2 lacks 3 extra specs
		t.Errorf("%d findings:\n%s", len(fs), text)
	}
}

// TestCheckFlavor is scs-0100: the name is a lower bound.
func TestCheckFlavor(t *testing.T) {
	tests := []struct {
		f    Flavor
		want []string
	}{
		{Flavor{Name: "SCS-2V-4-20s", VCPUs: 2, RAMMiB: 4096, DiskGB: 20}, nil},
		{Flavor{Name: "SCS-2V-4-20s", VCPUs: 4, RAMMiB: 8192, DiskGB: 40}, nil}, // over-delivery is fine
		{Flavor{Name: "SCS-2V-4", VCPUs: 1, RAMMiB: 4096}, []string{"vcpus: 1 vCPUs, the name promises 2"}},
		{Flavor{Name: "SCS-2V-4", VCPUs: 2, RAMMiB: 4000}, []string{"ram: 3.9 GiB RAM, the name promises 4"}},
		{Flavor{Name: "SCS-2V-4", VCPUs: 2, RAMMiB: 4045}, nil}, // rounds to 4.0 GiB
		{Flavor{Name: "SCS-1V-0.5", VCPUs: 1, RAMMiB: 512}, nil},
		{Flavor{Name: "SCS-2V-4-20s", VCPUs: 2, RAMMiB: 4096, DiskGB: 10}, []string{"disk: 10 GB disk, the name promises 20"}},
		{Flavor{Name: "SCS-2V-4-n", VCPUs: 2, RAMMiB: 4096}, nil}, // no size promised
		{Flavor{Name: "SCS-2iT-4", VCPUs: 2, RAMMiB: 4096}, []string{"name: CPU type: the insecure flag i follows the CPU type (2Ti, not 2iT)"}},
		{Flavor{Name: "m1.small", VCPUs: 1, ExtraSpecs: map[string]string{"scs:cpu-type": "shared", "scs:disk0-type": "local",
			"scs:name-v3": "SCS-2V-4", "scs:name-v7": "SCS-2V4", "other": "x"}},
			[]string{`scs:cpu-type: "shared" is not a CPU type (crowded-core, shared-core, dedicated-thread, dedicated-core)`,
				`scs:disk0-type: "local" is not a disk type (network, hdd, ssd, nvme)`,
				`scs:name-v7: "SCS-2V4" is not a valid SCS flavor name: RAM: expected '-' before the RAM size, found "4"`}},
	}
	for _, tc := range tests {
		var got []string
		for _, f := range CheckFlavor(tc.f) {
			got = append(got, f.Field+": "+f.Message)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.f.Name, got, tc.want)
		}
	}
}
