package cli

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/fundament-cloud/fundament/internal/scs"
)

func newSCSCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scs",
		Short: "Check flavor names, flavors and images against the Sovereign Cloud Stack standards",
		Long: `The SCS IaaS standards that need no running cloud: flavor names (SCS-0100),
the standard flavors (SCS-0103) and image metadata and standard images
(SCS-0102, SCS-0104), as the conformance tests of the SCS-compatible IaaS
certificate check them. See docs/scs.md.`,
		Example: examples(
			"fundament scs flavor-name SCS-2V-4-20s SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib",
			"fundament scs flavors --recommended -o yaml",
			"fundament scs image-check images.yaml --complete"),
	}
	cmd.AddCommand(newSCSFlavorNameCmd(g), newSCSFlavorsCmd(g), newSCSImageCheckCmd(g))
	return cmd
}

// flavorNameJSON is one element of "scs flavor-name -o json". Parts a
// name leaves out are zero: size_gb 0 (the cloud picks), cpu_vendor ""
// (generic x86-64), gpu null, compute_units and vram_gib 0.
type flavorNameJSON struct {
	Name              string            `json:"name"`
	Valid             bool              `json:"valid"`
	Error             string            `json:"error"`
	ErrorPart         string            `json:"error_part,omitempty"`
	Warnings          []string          `json:"warnings"`
	Syntax            scs.Syntax        `json:"syntax"`
	CanonicalName     string            `json:"canonical_name"`
	CPUs              int               `json:"cpus"`
	CPUType           string            `json:"cpu_type"`
	Insecure          bool              `json:"insecure"`
	RAMGiB            float64           `json:"ram_gib"`
	RAMNoECC          bool              `json:"ram_no_ecc"`
	RAMOversubscribed bool              `json:"ram_oversubscribed"`
	Disks             []diskJSON        `json:"disks"`
	Hypervisor        string            `json:"hypervisor"`
	HWVirt            bool              `json:"hw_virt"`
	CPUVendor         string            `json:"cpu_vendor"`
	CPUGeneration     int               `json:"cpu_generation"`
	CPUFrequency      string            `json:"cpu_frequency"`
	GPU               *gpuJSON          `json:"gpu"`
	Infiniband        bool              `json:"infiniband"`
	ShortName         string            `json:"short_name"`
	Description       string            `json:"description"`
	ExtraSpecs        map[string]string `json:"extra_specs"`
}

type diskJSON struct {
	Count  int    `json:"count"`
	SizeGB int    `json:"size_gb"`
	Type   string `json:"type"`
}

type gpuJSON struct {
	PassThrough      bool   `json:"pass_through"`
	Vendor           string `json:"vendor"`
	Generation       string `json:"generation"`
	ComputeUnits     int    `json:"compute_units"`
	ComputeUnitsPerf string `json:"compute_units_perf"` // "", h, hh: high frequency
	VRAMGiB          int    `json:"vram_gib"`
	VRAMPerf         string `json:"vram_perf"` // "", h, hh: high bandwidth
}

func flavorNameView(c scs.NameCheck) flavorNameJSON {
	v := flavorNameJSON{Name: c.Name, Valid: c.Valid(), Warnings: c.Warnings, Disks: []diskJSON{}, ExtraSpecs: map[string]string{}}
	if v.Warnings == nil {
		v.Warnings = []string{}
	}
	if !c.Valid() {
		v.Error = c.Err.Error()
		var pe *scs.ParseError
		if errors.As(c.Err, &pe) {
			v.ErrorPart = pe.Part
		}
		return v
	}
	f := c.Flavor
	v.Syntax, v.CanonicalName, v.ShortName, v.Description, v.ExtraSpecs = f.Syntax, f.Name(), f.Short().Name(), f.Describe(), f.ExtraSpecs()
	v.CPUs, v.CPUType, v.Insecure = f.CPUs, f.CPUType, f.Insecure
	v.RAMGiB, v.RAMNoECC, v.RAMOversubscribed = f.RAM, f.RAMNoECC, f.RAMOversubscribed
	if d := f.Disk; d != nil {
		v.Disks = []diskJSON{{Count: d.Count, SizeGB: d.SizeGB, Type: d.Type}}
	}
	v.Hypervisor, v.HWVirt, v.Infiniband = f.Hypervisor, f.HWVirt, f.IB
	if a := f.CPU; a != nil {
		v.CPUVendor, v.CPUGeneration, v.CPUFrequency = a.Vendor, a.Gen, strings.Repeat("h", a.Freq)
	}
	if gp := f.GPU; gp != nil {
		v.GPU = &gpuJSON{PassThrough: gp.PassThrough, Vendor: gp.Vendor, Generation: gp.Gen, ComputeUnits: gp.CU,
			ComputeUnitsPerf: strings.Repeat("h", gp.CUPerf), VRAMGiB: gp.VRAM, VRAMPerf: strings.Repeat("h", gp.VRAMPerf)}
	}
	return v
}

func newSCSFlavorNameCmd(g *globals) *cobra.Command {
	return offers(&cobra.Command{
		Use:   "flavor-name NAME...",
		Short: "Decode and validate SCS flavor names (SCS-0100)",
		Long: `Flavor-name parses each NAME with the SCS-0100 v3 grammar, as the conformance
test does, and shows its parts: vCPUs and CPU type, RAM, disks, extensions,
the short name and the scs:* extra specs the flavor should carry. A name in
the deprecated v1 syntax (SCS-2V:4) is valid with a warning. An invalid name
gets the part that failed and why.

Exit status: 0 when every name is valid (warnings allowed), 1 otherwise.`,
		Example: examples(
			"fundament scs flavor-name SCS-2V-4-20s",
			"fundament scs flavor-name SCS-16T-64-3x10s_bms_hwv_i3h_GNa-64_ib -o json | jq -r '.[0].short_name'",
			"openstack flavor list -f value -c Name | grep ^SCS- | xargs fundament scs flavor-name"),
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, names []string) error {
			checks := make([]scs.NameCheck, len(names))
			allValid := true
			for i, n := range names {
				checks[i] = scs.CheckFlavorName(n)
				allValid = allValid && checks[i].Valid()
			}
			if g.json() {
				views := make([]flavorNameJSON, len(checks))
				for i, c := range checks {
					views[i] = flavorNameView(c)
				}
				if err := printJSON(g.stdout, views); err != nil {
					return err
				}
			} else {
				for _, c := range checks {
					printFlavorName(g.stdout, c)
				}
			}
			if !allValid {
				return notOK()
			}
			return nil
		},
	}, "json")
}

func printFlavorName(w io.Writer, c scs.NameCheck) {
	if !c.Valid() {
		fmt.Fprintf(w, "%s: invalid: %s\n", c.Name, c.Err)
		var pe *scs.ParseError
		if errors.As(c.Err, &pe) && c.Name != "" {
			fmt.Fprintf(w, "  %s\n  %s^\n", c.Name, strings.Repeat(" ", pe.Pos))
		}
		return
	}
	f := c.Flavor
	verdict := "valid"
	if f.Syntax == scs.SyntaxV1 {
		verdict = "valid (v1 syntax, tolerated)"
	}
	fmt.Fprintf(w, "%s: %s\n  %s\n", c.Name, verdict, f.Describe())
	fmt.Fprintf(w, "  short name: %s\n", f.Short().Name())
	specs := f.ExtraSpecs()
	for _, k := range slices.Sorted(maps.Keys(specs)) {
		fmt.Fprintf(w, "  %s=%s\n", k, specs[k])
	}
	for _, warn := range c.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
}

func newSCSFlavorsCmd(g *globals) *cobra.Command {
	var recommended bool
	cmd := &cobra.Command{
		Use:   "flavors",
		Short: "List the SCS-0103 standard flavors with their extra specs",
		Long: `Flavors lists the flavors SCS-0103 v1 requires (and with --recommended also
those it recommends) with the exact vCPUs, RAM and root disk and the scs:*
extra specs the conformance test compares: a flavor that does not match
them exactly fails its testcase.

Output: a table, or with -o json or -o yaml a list for flavor management tools.`,
		Example: examples(
			"fundament scs flavors",
			"fundament scs flavors --recommended -o yaml > flavors.yaml",
			"fundament scs flavors -o json | jq -r '.[] | [.name, .vcpus, .ram_mib, .disk_gb] | @tsv'"),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var list []scs.StandardFlavor
			for _, f := range scs.StandardFlavors() {
				if f.Status == scs.Mandatory || recommended {
					list = append(list, f)
				}
			}
			switch g.output {
			case "json":
				return printJSON(g.stdout, list)
			case "yaml":
				enc := yaml.NewEncoder(g.stdout)
				enc.SetIndent(2)
				if err := enc.Encode(list); err != nil {
					return err
				}
				return enc.Close()
			}
			t := newTable(g.stdout, "NAME", "STATUS", "VCPUS", "RAM", "DISK", "SCS:CPU-TYPE", "SCS:DISK0-TYPE", "SCS:NAME-V1", "SCS:NAME-V2")
			for _, f := range list {
				disk := "-"
				if f.DiskGB > 0 {
					disk = fmt.Sprintf("%d GB", f.DiskGB)
				}
				s := f.ExtraSpecs
				t.row(f.Name, f.Status, f.VCPUs, fmt.Sprintf("%d GiB (%d MiB)", f.RAMGiB, f.RAMMiB), disk,
					s[scs.SpecCPUType], dash(s[scs.SpecDiskType(0)]), s[scs.SpecNameV1], s[scs.SpecNameV2])
			}
			t.flush()
			return nil
		},
	}
	cmd.Flags().BoolVar(&recommended, "recommended", false, "also list the recommended flavors")
	return offers(cmd, "json", "yaml")
}

// imageCheckJSON is the output of "scs image-check -o json".
type imageCheckJSON struct {
	File     string        `json:"file"`
	Scope    string        `json:"scope"`
	Images   int           `json:"images"`
	Valid    bool          `json:"valid"`
	Errors   int           `json:"errors"`
	Warnings int           `json:"warnings"`
	Findings []scs.Finding `json:"findings"`
}

func newSCSImageCheckCmd(g *globals) *cobra.Command {
	var scopeName, now string
	var complete bool
	var scope scs.Scope
	var at time.Time
	cmd := &cobra.Command{
		Use:   "image-check FILE",
		Short: "Check image properties against SCS-0102 (metadata) and SCS-0104 (standard images)",
		Long: `Image-check reads images from FILE ("-" for standard input), in YAML or JSON:
one image, a list of images, or a list under "images". Properties may be flat,
as the Glance API returns them, or under "properties", as
"openstack image show -f json" prints them.

Each image is checked as the scope's conformance tests check it: the
mandatory and recommended properties and their values, date formats, the
replacement of outdated images, one generic image per distribution version,
and the sources of standard images. Failures of a main testcase are errors,
those of a recommended testcase warnings; rules of the standards' text that
the tests do not enforce are warnings too. With --complete the file is taken
to hold every public image, and the standard images must be among them.

Exit status: 0 when there is no error, 1 otherwise.`,
		Example: examples(
			"fundament scs image-check image.yaml",
			"openstack image show -f json 'Ubuntu 24.04' | fundament scs image-check -",
			"for i in $(openstack image list --public -f value -c ID); do openstack image show -f json $i; done | jq -s . > images.json\n  fundament scs image-check images.json --complete",
			"fundament scs image-check images.yaml --scope next -o json | jq '.findings[] | select(.level==\"error\")'"),
		Args: cobra.ExactArgs(1),
		PreRunE: func(*cobra.Command, []string) error {
			var err error
			if scope, err = scs.LookupScope(scopeName); err != nil {
				return err
			}
			if now == "" {
				at = time.Now().UTC()
				return nil
			}
			if at, err = time.Parse(time.RFC3339, now); err == nil {
				return nil
			}
			if at, err = time.Parse(time.DateOnly, now); err != nil {
				return fmt.Errorf("invalid value %q for --now: use YYYY-MM-DD or RFC 3339", now)
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			data, err := readInput(args[0])
			if err != nil {
				return err
			}
			images, _, err := scs.ParseImages(data)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			findings := scs.CheckImages(images, scs.ImageOptions{Scope: scope, Now: at, Complete: complete})
			errs, warns := scs.Count(findings)
			if g.json() {
				if findings == nil {
					findings = []scs.Finding{}
				}
				err = printJSON(g.stdout, imageCheckJSON{File: args[0], Scope: scope.Name, Images: len(images), Valid: errs == 0,
					Errors: errs, Warnings: warns, Findings: findings})
				if err != nil {
					return err
				}
			} else {
				for _, f := range findings {
					fmt.Fprintf(g.stdout, "%s: %s: %s%s%s\n", f.Subject, f.Level, fieldPrefix(f.Field), f.Message, testcaseSuffix(f.Testcase))
				}
				fmt.Fprintf(g.stderr, "%s checked against scope %s: %s, %s\n", plural(len(images), "image"), scope.Name,
					plural(errs, "error"), plural(warns, "warning"))
			}
			if errs > 0 {
				return notOK()
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&scopeName, "scope", "v5.1", "SCS-compatible IaaS `VERSION` whose rules apply: v5.1 (SCS-0102 v1), next (SCS-0102 v2) or v4 (older image list)")
	cmd.Flags().BoolVar(&complete, "complete", false, "the file holds every public image of the cloud: also require the standard images")
	cmd.Flags().StringVar(&now, "now", "", "the reference `TIME` for recency and future dates, YYYY-MM-DD or RFC 3339 (default: the current time)")
	return offers(cmd, "json")
}

func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}

func fieldPrefix(field string) string {
	if field == "" {
		return ""
	}
	return field + ": "
}

func testcaseSuffix(tc string) string {
	if tc == "" {
		return ""
	}
	return " [" + tc + "]"
}
