package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/diag"
)

func (g *globals) json() bool { return g.output == "json" }

// printJSON writes v as indented JSON: the stable, documented shape of a
// command's -o json output.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// outputsKey is the annotation of a command that prints more than text:
// the formats it offers besides, comma-separated ("json", "json,yaml").
// A command without it prints text only and refuses -o json.
const outputsKey = "fundament/outputs"

// offers marks cmd as printing the formats (besides text) and returns it.
func offers(cmd *cobra.Command, formats ...string) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[outputsKey] = strings.Join(formats, ",")
	return cmd
}

// outputs are the formats cmd prints.
func outputs(cmd *cobra.Command) []string {
	out := []string{"text"}
	if f := cmd.Annotations[outputsKey]; f != "" {
		out = append(out, strings.Split(f, ",")...)
	}
	return out
}

// checkOutput refuses an output format the command does not print: a
// script asking for JSON must not get text it cannot parse.
func checkOutput(cmd *cobra.Command, format string) error {
	have := outputs(cmd)
	switch {
	case slices.Contains(have, format):
		return nil
	case format == "json":
		return fmt.Errorf("%s has no JSON output: leave out -o json", cmd.CommandPath())
	}
	return fmt.Errorf("invalid value %q for -o/--output: use %s", format, orList(have))
}

// orList is "a", "a or b", "a, b or c".
func orList(ss []string) string {
	if len(ss) < 2 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " or " + ss[len(ss)-1]
}

// errorJSON is what a command run with -o json prints on standard output
// when it fails before it printed its result (a usage error, a repository
// that does not load, a host that refuses): scripts always get JSON.
type errorJSON struct {
	Type     string `json:"type"` // "error"
	Error    string `json:"error"`
	ExitCode int    `json:"exit_code"` // 1 an error, 2 a usage error
	// Diagnostics are the configuration's errors, when it is invalid.
	Diagnostics []diag.Diagnostic `json:"diagnostics,omitempty"`
}

// configError is a repository that does not load or validate: its
// diagnostics went to standard error, and go into the JSON error object.
type configError struct {
	msg   string
	diags []diag.Diagnostic
}

func (e *configError) Error() string { return e.msg }

// invalidConfig prints the errors among diags on standard error and
// returns the error that says where to look.
func invalidConfig(g *globals, diags *diag.List, msg string) error {
	var errs []diag.Diagnostic
	for _, d := range diags.Items() {
		if d.Severity == diag.Error {
			fmt.Fprintln(g.stderr, d.String())
			errs = append(errs, d)
		}
	}
	return &configError{msg: msg, diags: errs}
}

// newErrorJSON is the JSON error object of err ending the command with code.
func newErrorJSON(err error, code int) errorJSON {
	e := errorJSON{Type: "error", Error: fmt.Sprintf("exit status %d", code), ExitCode: code}
	if err != nil && err.Error() != "" {
		e.Error = err.Error()
	}
	var ce *configError
	if errors.As(err, &ce) {
		e.Diagnostics = ce.diags
	}
	return e
}

// outputFlag is the value of the last -o/--output on the command line,
// for errors found before the flags are parsed ("" without one).
func outputFlag(args []string) string {
	out := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return out
		case a == "-o" || a == "--output":
			if i+1 < len(args) {
				out = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--output="):
			out = strings.TrimPrefix(a, "--output=")
		case strings.HasPrefix(a, "-o="):
			out = strings.TrimPrefix(a, "-o=")
		case strings.HasPrefix(a, "-o") && !strings.HasPrefix(a, "--"):
			out = strings.TrimPrefix(a, "-o")
		}
	}
	return out
}

// countingWriter counts what a command printed on standard output: a
// failure prints its JSON error object only where the command printed
// nothing yet.
type countingWriter struct {
	w io.Writer
	n atomic.Int64 // written from the goroutines of apply and lab up too
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// Unwrap is the writer underneath (a terminal is told by it).
func (c *countingWriter) Unwrap() io.Writer { return c.w }

// table writes aligned columns for text output.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...any) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...any) {
	for i, c := range cells {
		if i > 0 {
			fmt.Fprint(t.tw, "\t")
		}
		fmt.Fprint(t.tw, c)
	}
	fmt.Fprintln(t.tw)
}

func (t *table) flush() { t.tw.Flush() }
