// Package cli is Fundament's command line: flags, wiring and rendering of
// results. Each command group lives in its own file; the work itself is
// done by the packages below (model, validate, secrets, scaffold, ...).
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, as documented in the README: scripts and CI depend on them,
// so each means one thing.
const (
	ExitOK      = 0
	ExitNotOK   = 1 // an error, or the thing checked is not OK: invalid config, failed run
	ExitUsage   = 2 // the command line itself is wrong
	ExitChanges = 3 // plan --detailed-exitcode, render sonic --diff: there are changes
)

// globals are the flags every command shares.
type globals struct {
	repo   string
	output string
	// stdout and stderr escape control characters of text output
	// (terminalWriter); rawOut and rawErr are the process's own, for
	// commands that print data as it is.
	stdout, stderr io.Writer
	rawOut, rawErr io.Writer
	// args is the command line (without the program name), as recorded
	// in the state database.
	args []string
}

// exitError carries an exit code out of a command. A command that already
// printed why it failed returns one with a nil err.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// notOK ends a command with exit code 1 after it reported the problem.
func notOK() error { return &exitError{code: ExitNotOK} }

// Execute runs the command line and returns the process exit code. With
// -o json a failure that printed nothing on standard output yet prints
// its JSON error object there (the message goes to standard error too).
func Execute(args []string, stdout, stderr io.Writer) int {
	args = terraformFlags(args)
	out := &countingWriter{w: stdout}
	root, g := newRootGlobals(out, stderr)
	g.args = args
	root.SetArgs(args)
	err := root.Execute()
	defer g.flush()
	if err == nil {
		return ExitOK
	}
	code := ExitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err != nil {
			fmt.Fprintf(g.stderr, "error: %s\n", ee.err)
		}
		err = ee.err
	} else {
		// Anything cobra rejects before a command runs is a usage error.
		fmt.Fprintf(g.stderr, "error: %s\n", err)
		fmt.Fprintf(g.stderr, "Run '%s --help' for usage.\n", commandPath(root, args))
	}
	if out.n.Load() == 0 && (g.json() || outputFlag(args) == "json") {
		printJSON(stdout, newErrorJSON(err, code))
	}
	return code
}

// flush writes what the terminal writers hold back.
func (g *globals) flush() {
	for _, w := range []io.Writer{g.stdout, g.stderr} {
		if t, ok := w.(*terminalWriter); ok {
			t.flush()
		}
	}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root, _ := newRootGlobals(stdout, stderr)
	return root
}

func newRootGlobals(stdout, stderr io.Writer) (*cobra.Command, *globals) {
	g := &globals{rawOut: stdout, rawErr: stderr}
	g.stdout = &terminalWriter{w: stdout, json: g.json}
	g.stderr = &terminalWriter{w: stderr}
	root := &cobra.Command{
		Use:   "fundament",
		Short: "Deploy and operate a sovereign cloud from one configuration repository",
		Long: `Fundament deploys and operates the infrastructure layer of a sovereign cloud
(OpenStack, Ceph, OVN, a SONiC leaf-spine fabric, Kubernetes) from one
declarative configuration repository.

Exit status: 0 success; 1 an error, or what was checked is not OK (an invalid
configuration, a failed run, an unhealthy cloud); 2 a usage error (the command line
is wrong); 3 there are changes (plan --detailed-exitcode, render sonic --diff).`,
		Example: `  fundament init --template lab mycloud
  fundament validate --repo mycloud
  fundament inventory --repo mycloud -o json`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return checkOutput(cmd, g.output)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.repo, "repo", ".", "the configuration repository `DIR`")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "text", "output format: text or json (a command without JSON output refuses json)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })

	root.AddCommand(
		newValidateCmd(g),
		newInventoryCmd(g),
		newRenderCmd(g),
		newInitCmd(g),
		newSecretsCmd(g),
		newPlanCmd(g),
		newApplyCmd(g),
		newRunsCmd(g),
		newLogsCmd(g),
		newLockCmd(g),
		newHostKeysCmd(g),
		newSCSCmd(g),
		newVersionCmd(g),
		newLabCmd(g),
		newStatusCmd(g),
		newOpenStackCmd(g),
	)
	addCompletionExamples(root)
	root.InitDefaultHelpCmd() // now, so that it too is wrapped (and listed for the tests)
	wrapRunErrors(root)
	return root, g
}

// terraformFlags accepts -out FILE and -out=FILE, the way Terraform
// spells it (and the examples show it), for --out: flags of more than one
// letter otherwise take two dashes.
func terraformFlags(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		switch {
		case a == "--":
			return out
		case a == "-out":
			out[i] = "--out"
		case strings.HasPrefix(a, "-out="):
			out[i] = "-" + a
		}
	}
	return out
}

// commandLine is the command line recorded with a run.
func (g *globals) commandLine() string {
	return strings.Join(append([]string{"fundament"}, g.args...), " ")
}

// addCompletionExamples creates cobra's completion command now (it would
// otherwise appear only at Execute) so that it, too, has examples.
func addCompletionExamples(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = examples("fundament completion bash > /etc/bash_completion.d/fundament",
			"fundament completion zsh > \"${fpath[1]}/_fundament\"")
		for _, sh := range c.Commands() {
			switch sh.Name() {
			case "bash":
				sh.Example = examples("source <(fundament completion bash)", "fundament completion bash > /etc/bash_completion.d/fundament")
			case "zsh":
				sh.Example = examples("fundament completion zsh > \"${fpath[1]}/_fundament\"")
			case "fish":
				sh.Example = examples("fundament completion fish > ~/.config/fish/completions/fundament.fish")
			case "powershell":
				sh.Example = examples("fundament completion powershell | Out-String | Invoke-Expression")
			}
		}
	}
}

// wrapRunErrors makes every error a command's RunE returns an exit-1
// failure, so that only errors cobra raises itself (bad flags, wrong
// arguments, unknown commands) end as usage errors with exit code 2.
func wrapRunErrors(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			err := run(c, args)
			var ee *exitError
			if err != nil && !errors.As(err, &ee) {
				return &exitError{code: ExitNotOK, err: err}
			}
			return err
		}
	}
	for _, sub := range cmd.Commands() {
		wrapRunErrors(sub)
	}
}

func commandPath(root *cobra.Command, args []string) string {
	if cmd, _, err := root.Find(args); err == nil && cmd != nil {
		return cmd.CommandPath()
	}
	return root.Name()
}

// examples indents example lines the way cobra prints them.
func examples(lines ...string) string {
	return "  " + strings.Join(lines, "\n  ")
}
