package plan

import (
	"fmt"
	"io"
	"strings"

	"github.com/fundament-cloud/fundament/internal/resource"
)

var symbols = map[resource.Op]string{
	resource.OpCreate:  "+",
	resource.OpUpdate:  "~",
	resource.OpDelete:  "-",
	resource.OpRun:     ">",
	resource.OpRestart: "@",
}

var verbs = map[resource.Op]string{
	resource.OpCreate:  "create",
	resource.OpUpdate:  "change",
	resource.OpDelete:  "delete",
	resource.OpRun:     "run",
	resource.OpRestart: "restart",
}

// Render writes the plan for people, Terraform style: one block per host,
// one line per resource that changes, the changed fields under it.
// Sensitive fields show only that they change.
func Render(w io.Writer, p *Plan) {
	for _, h := range p.Hosts {
		if !h.Reachable {
			fmt.Fprintf(w, "\n  # %s: cannot plan: %s\n", h.Host, h.Error)
			continue
		}
		var lines []string
		for _, it := range h.Items {
			ch := it.Change
			if ch.Op == resource.OpNone {
				continue
			}
			line := fmt.Sprintf("  %s %-8s %s", symbols[ch.Op], verbs[ch.Op], it.Ref.ID)
			if ch.Reason != "" {
				line += " (" + ch.Reason + ")"
			}
			lines = append(lines, line)
			if ch.Op == resource.OpUpdate {
				for _, f := range ch.Fields {
					lines = append(lines, "      "+fieldLine(f))
				}
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n  # %s\n%s\n", h.Host, strings.Join(lines, "\n"))
	}
	c := p.Counts()
	fmt.Fprintln(w)
	if !p.HasChanges() {
		fmt.Fprint(w, "No changes. Every host has its desired state.")
	} else {
		fmt.Fprintf(w, "Plan: %d to create, %d to change, %d to delete, %d to run, %d to restart.", c.Create, c.Update, c.Delete, c.Run, c.Restart)
	}
	if c.Unreachable > 0 {
		fmt.Fprintf(w, " %d host(s) could not be planned.", c.Unreachable)
	}
	fmt.Fprintln(w)
}

func fieldLine(f resource.FieldChange) string {
	if f.Sensitive {
		return fmt.Sprintf("~ %s: (sensitive value changes)", f.Field)
	}
	return fmt.Sprintf("~ %s: %s -> %s", f.Field, show(f.Old), show(f.New))
}

func show(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}
