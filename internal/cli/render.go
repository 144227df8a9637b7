package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/render/sonic"
)

// newRenderCmd is the parent of the renderers; each configuration format
// is a subcommand of its own.
func newRenderCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Write the configuration files the model implies (SONiC switches, ...)",
		Long: `Render turns the configuration repository into the files a device reads, without
touching any device: one subcommand per format. The repository must be valid.`,
		Example: examples(
			"fundament render sonic --repo examples/lab --out /tmp/sonic",
			"fundament render sonic leaf-1 --diff --current leaf-1.json"),
		// Runnable, so that an unknown format is a usage error.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newRenderSonicCmd(g))
	return cmd
}

type renderSonicFlags struct {
	out     string
	diff    bool
	current string
}

func newRenderSonicCmd(g *globals) *cobra.Command {
	var f renderSonicFlags
	cmd := &cobra.Command{
		Use:   "sonic [SWITCH...]",
		Short: "Write each SONiC switch's config_db.json, or diff it against the switch's",
		Long: `Render sonic writes the config_db.json of every switch of network.yaml (or of the
switches named) for community SONiC: ports from the HWSKU, eBGP unnumbered between
switches, EVPN-VXLAN for the host VLANs, PortChannels and MC-LAG for 802.3ad bonds,
management, NTP, syslog and DNS. docs/sonic.md describes every table.

  --out DIR      writes DIR/<switch>/config_db.json; without it a single named
                 switch's file goes to stdout.
  --diff         compares with the switch's current config_db.json (--current: a
                 file, or a directory laid out like --out) and shows, table by
                 table, the rows to add (+), change (~) and remove (-). Only the
                 tables Fundament manages are compared.

Exit status: 0 success; with --diff 0 no differences, 3 differences (as plan
--detailed-exitcode); 1 error (an invalid repository, an unknown switch, an
unreadable current file); 2 a usage error.`,
		Example: examples(
			"fundament render sonic --repo examples/lab --out /tmp/sonic",
			"fundament render sonic leaf-1 > config_db.json",
			"fundament render sonic leaf-1 --diff --current leaf-1-config_db.json",
			"fundament render sonic --diff --current /backup/sonic -o json"),
		RunE: func(_ *cobra.Command, args []string) error {
			return runRenderSonic(g, f, args)
		},
	}
	cmd.Flags().StringVar(&f.out, "out", "", "write DIR/<switch>/config_db.json")
	cmd.Flags().BoolVar(&f.diff, "diff", false, "show what would change against the current config (needs --current)")
	cmd.Flags().StringVar(&f.current, "current", "", "the current config_db.json `FILE`, or a DIR of <switch>/config_db.json")
	return offers(cmd, "json")
}

func runRenderSonic(g *globals, f renderSonicFlags, args []string) error {
	switch {
	case f.diff && f.current == "":
		return &exitError{code: ExitUsage, err: errors.New("--diff needs --current FILE or DIR, the switch's current config_db.json")}
	case !f.diff && f.current != "":
		return &exitError{code: ExitUsage, err: errors.New("--current goes with --diff")}
	case f.diff && f.out != "":
		return &exitError{code: ExitUsage, err: errors.New("--diff shows differences and writes nothing; leave out --out")}
	}
	c, err := loadValid(g)
	if err != nil {
		return err
	}
	fab, err := sonic.New(c)
	if err != nil {
		return err
	}
	if f.diff {
		return diffSonic(g, fab, f.current, args)
	}
	names, err := fab.Lookup(args)
	if err != nil {
		return err
	}
	if f.out == "" && len(names) != 1 {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%d switches to render: name one switch to print its config_db.json, or give --out DIR", len(names))}
	}
	files, err := fab.Render(names...)
	if err != nil {
		return err
	}
	if f.out == "" {
		_, err := g.rawOut.Write(files[names[0]]) // the file, as it is
		return err
	}
	report := []renderedSwitch{}
	for _, n := range names {
		p := filepath.Join(f.out, n, "config_db.json")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			return err
		}
		report = append(report, renderedSwitch{n, p})
	}
	if g.json() {
		return printJSON(g.stdout, renderSonicJSON{Switches: report})
	}
	for _, w := range report {
		fmt.Fprintf(g.stdout, "wrote %s\n", w.Path)
	}
	return nil
}

// switchDiff is one switch's part of `render sonic --diff -o json`.
type switchDiff struct {
	Switch    string         `json:"switch"`
	Current   string         `json:"current"`
	Changes   []sonic.Change `json:"changes"`
	Unmanaged []string       `json:"unmanaged_tables"`
}

func diffSonic(g *globals, fab *sonic.Fabric, current string, args []string) error {
	targets, err := currentFiles(fab, current, args)
	if err != nil {
		return err
	}
	out := []switchDiff{}
	total := 0
	for _, t := range targets {
		data, err := os.ReadFile(t.path)
		if err != nil {
			return fmt.Errorf("switch %s: reading its current config: %w", t.name, err)
		}
		cur, err := sonic.ParseConfigDB(data)
		if err != nil {
			return fmt.Errorf("%s: %w", t.path, err)
		}
		want, err := fab.Switch(t.name)
		if err != nil {
			return err
		}
		changes, unmanaged := sonic.Diff(cur, want)
		total += len(changes)
		if changes == nil {
			changes = []sonic.Change{}
		}
		out = append(out, switchDiff{t.name, t.path, changes, unmanaged})
	}
	if g.json() {
		if err := printJSON(g.stdout, sonicDiffJSON{Switches: out, Changes: total}); err != nil {
			return err
		}
	} else {
		for _, d := range out {
			sonic.WriteDiff(g.stdout, d.Switch, d.Changes, d.Unmanaged)
		}
	}
	if total > 0 {
		return &exitError{code: ExitChanges}
	}
	return nil
}

type currentFile struct{ name, path string }

// currentFiles pairs switches with their current config_db.json. A file
// belongs to the one switch named, or else to the switch its
// DEVICE_METADATA hostname names; a directory holds <switch>/config_db.json
// for every switch named (all when none).
func currentFiles(fab *sonic.Fabric, current string, args []string) ([]currentFile, error) {
	st, err := os.Stat(current)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		names, err := fab.Lookup(args)
		if err != nil {
			return nil, err
		}
		var out []currentFile
		for _, n := range names {
			p := filepath.Join(current, n, "config_db.json")
			if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("no current config for switch %s: %s does not exist (the directory is laid out like --out: <switch>/config_db.json)", n, p)
			}
			out = append(out, currentFile{n, p})
		}
		return out, nil
	}
	switch len(args) {
	case 0:
		data, err := os.ReadFile(current)
		if err != nil {
			return nil, err
		}
		cur, err := sonic.ParseConfigDB(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", current, err)
		}
		host, _ := cur["DEVICE_METADATA"]["localhost"]["hostname"].(string)
		if host == "" {
			return nil, fmt.Errorf("%s names no DEVICE_METADATA hostname; name the switch it belongs to", current)
		}
		if _, err := fab.Lookup([]string{host}); err != nil {
			return nil, fmt.Errorf("%s is the config of %q: %w; name the switch it belongs to", current, host, err)
		}
		return []currentFile{{host, current}}, nil
	case 1:
		if _, err := fab.Lookup(args); err != nil {
			return nil, err
		}
		return []currentFile{{args[0], current}}, nil
	}
	return nil, &exitError{code: ExitUsage, err: fmt.Errorf("--current %s is one file, but %d switches are named; name one, or give a directory", current, len(args))}
}
