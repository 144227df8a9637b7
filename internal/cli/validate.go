package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/validate"
)

func newValidateCmd(g *globals) *cobra.Command {
	var listRules bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration repository and report every problem",
		Long: `Validate loads the configuration repository and checks it: YAML syntax, the
schema (unknown fields, types, required fields) and the semantic rules (duplicate
addresses, prefixes, VLANs, cabling, quorum sizes, ...). Every problem is reported,
not just the first, as

  file:line:col: severity: message [rule]

Exit status: 0 when valid (warnings allowed), 1 when there is an error.`,
		Example: examples(
			"fundament validate --repo examples/lab",
			"fundament validate -o json | jq '.diagnostics[] | select(.severity==\"error\")'",
			"fundament validate --list-rules"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if listRules {
				return printRules(g)
			}
			c, diags := validate.Check(g.repo)
			if g.json() {
				if err := printJSON(g.stdout, diag.NewReport(diags)); err != nil {
					return err
				}
			} else {
				for _, d := range diags.Items() {
					fmt.Fprintln(g.stdout, d.String())
				}
				fmt.Fprintln(g.stderr, summary(c, diags))
			}
			if diags.HasErrors() {
				return notOK()
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&listRules, "list-rules", false, "list the semantic rules and their ids")
	return offers(cmd, "json")
}

func summary(c *model.Cloud, diags *diag.List) string {
	var errs, warns int
	for _, d := range diags.Items() {
		if d.Severity == diag.Error {
			errs++
		} else {
			warns++
		}
	}
	if errs > 0 {
		return fmt.Sprintf("invalid: %s, %s", plural(errs, "error"), plural(warns, "warning"))
	}
	return fmt.Sprintf("valid: cloud %q (%s profile), %s, %s, %s, %s",
		c.Spec.Name, c.Spec.Profile, plural(len(c.Hosts), "host"), plural(len(c.Network.Switches), "switch"),
		plural(len(c.Network.Networks), "network"), plural(warns, "warning"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if word == "switch" {
		return fmt.Sprintf("%d switches", n)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

type ruleJSON struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

func printRules(g *globals) error {
	rules := validate.Rules()
	if g.json() {
		out := make([]ruleJSON, 0, len(rules))
		for _, r := range rules {
			out = append(out, ruleJSON{r.ID, r.Summary})
		}
		return printJSON(g.stdout, out)
	}
	t := newTable(g.stdout, "RULE", "CHECKS")
	for _, r := range rules {
		t.row(r.ID, r.Summary)
	}
	t.flush()
	return nil
}
