// Package diag carries problems found in a configuration repository, each
// with the source position it is about, in the form operators and editors
// know: file:line:col: severity: message [rule].
package diag

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Pos is a position in a file of the configuration repository. File is
// relative to the repository root; Line and Column are 1-based, and 0 when
// the problem is about the file as a whole.
type Pos struct {
	File   string
	Line   int
	Column int
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
}

// IsZero reports whether the position is unknown.
func (p Pos) IsZero() bool { return p.File == "" && p.Line == 0 }

// Severity says whether a diagnostic makes the configuration invalid.
type Severity int

const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Diagnostic is one problem. Its JSON shape is part of Fundament's stable
// output (`fundament validate -o json`).
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`
	Message  string   `json:"message"`
}

func (d Diagnostic) Pos() Pos { return Pos{File: d.File, Line: d.Line, Column: d.Column} }

// String formats the diagnostic as `file:line:col: severity: message [rule]`,
// on one line, with control characters of names and values escaped
// (EscapeLine): a value cannot move the cursor, recolour the terminal or
// forge another diagnostic. The JSON report keeps the text as it is (JSON
// escapes it).
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos().String())
	b.WriteString(": ")
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	b.WriteString(d.Message)
	if d.Rule != "" {
		b.WriteString(" [")
		b.WriteString(d.Rule)
		b.WriteString("]")
	}
	return EscapeLine(b.String())
}

// List collects diagnostics; the zero value is ready to use.
type List struct {
	items []Diagnostic
}

func (l *List) add(sev Severity, pos Pos, rule, format string, args ...any) {
	l.items = append(l.items, Diagnostic{
		File: pos.File, Line: pos.Line, Column: pos.Column,
		Severity: sev, Rule: rule, Message: fmt.Sprintf(format, args...),
	})
}

// Errorf records an error at pos under rule.
func (l *List) Errorf(pos Pos, rule, format string, args ...any) {
	l.add(Error, pos, rule, format, args...)
}

// Warnf records a warning at pos under rule.
func (l *List) Warnf(pos Pos, rule, format string, args ...any) {
	l.add(Warning, pos, rule, format, args...)
}

// Append adds diagnostics from another list.
func (l *List) Append(other *List) { l.items = append(l.items, other.items...) }

// Items returns the diagnostics sorted by file, position, then rule, so
// output is stable whatever order the checks ran in.
func (l *List) Items() []Diagnostic {
	out := slices.Clone(l.items)
	slices.SortStableFunc(out, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.CompactFunc(out, func(a, b Diagnostic) bool { return a == b })
}

// Len is the number of diagnostics recorded.
func (l *List) Len() int { return len(l.items) }

// HasErrors reports whether any diagnostic is an error.
func (l *List) HasErrors() bool {
	for _, d := range l.items {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Report is the JSON document of `fundament validate -o json`.
type Report struct {
	Valid       bool         `json:"valid"`
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// NewReport builds the report of a list.
func NewReport(l *List) Report {
	items := l.Items()
	if items == nil {
		items = []Diagnostic{}
	}
	return Report{Valid: !l.HasErrors(), Diagnostics: items}
}

// MarshalJSON keeps the shape stable even for an empty list.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	if r.Diagnostics == nil {
		r.Diagnostics = []Diagnostic{}
	}
	return json.Marshal(plain(r))
}
