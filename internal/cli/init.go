package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/scaffold"
)

func newInitCmd(g *globals) *cobra.Command {
	var template string
	cmd := &cobra.Command{
		Use:   "init [--template lab|production] DIR",
		Short: "Write a complete, commented, valid configuration repository",
		Long: `Init writes a new configuration repository into DIR from a template: lab (the
topology Fundament's lab runs on one machine) or production (three racks, a
leaf-spine fabric, 30 compute hosts). Every file is commented; edit them to
describe your cloud. Init never overwrites an existing repository.`,
		Example: examples(
			"fundament init --template lab mycloud",
			"fundament init --template production /srv/clouds/fra1 && fundament validate --repo /srv/clouds/fra1"),
		Args: cobra.ExactArgs(1),
		PreRunE: func(*cobra.Command, []string) error {
			if !slices.Contains(scaffold.Templates(), template) {
				return fmt.Errorf("unknown template %q: use one of %s", template, strings.Join(scaffold.Templates(), ", "))
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			files, err := scaffold.Write(args[0], template)
			if err != nil {
				return err
			}
			if g.json() {
				return printJSON(g.stdout, initJSON{Dir: args[0], Template: template, Files: nonNil(files)})
			}
			for _, f := range files {
				fmt.Fprintf(g.stdout, "wrote %s\n", f)
			}
			fmt.Fprintf(g.stdout, "\nNext: fundament validate --repo %s && fundament secrets generate --repo %s\n", args[0], args[0])
			return nil
		},
	}
	cmd.Flags().StringVarP(&template, "template", "t", "lab", "template: lab or production")
	cmd.RegisterFlagCompletionFunc("template", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return scaffold.Templates(), cobra.ShellCompDirectiveNoFileComp
	})
	return offers(cmd, "json")
}
