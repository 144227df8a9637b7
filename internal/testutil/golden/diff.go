package golden

import (
	"fmt"
	"strings"
)

// context is how many unchanged lines a hunk shows around its changes.
const context = 3

// maxCells bounds the table of the longest common subsequence; a larger
// middle (after the common head and tail) is shown as removed then added.
const maxCells = 4 << 20

// Diff is a unified diff of want (labelled a) against got (labelled b),
// line by line; "" when they are equal.
func Diff(a, b, want, got string) string {
	if want == got {
		return ""
	}
	x, y := lines(want), lines(got)
	ops := diffLines(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", a, b)
	// Hunks: runs of changes with up to context equal lines around them,
	// joined when fewer than 2*context equal lines separate them.
	for start := 0; start < len(ops); {
		for start < len(ops) && ops[start].kind == ' ' {
			start++
		}
		if start == len(ops) {
			break
		}
		from := max(start-context, 0)
		end := start
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				break
			}
			end = run
		}
		to := min(end+context, len(ops))
		ax, bx := ops[from].ax, ops[from].bx
		an, bn := 0, 0
		for _, o := range ops[from:to] {
			if o.kind != '+' {
				an++
			}
			if o.kind != '-' {
				bn++
			}
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", ax+1, an, bx+1, bn)
		for _, o := range ops[from:to] {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			out.WriteByte('\n')
		}
		start = to
	}
	if nlW, nlG := strings.HasSuffix(want, "\n"), strings.HasSuffix(got, "\n"); nlW != nlG && want != "" && got != "" {
		fmt.Fprintf(&out, "(final newline: %s %t, %s %t)\n", a, nlW, b, nlG)
	}
	return out.String()
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// op is one line of the diff: ' ' in both, '-' only in a, '+' only in b;
// ax and bx are its line indices (the next line's where it is absent).
type op struct {
	kind   byte
	text   string
	ax, bx int
}

func diffLines(x, y []string) []op {
	head := 0
	for head < len(x) && head < len(y) && x[head] == y[head] {
		head++
	}
	tail := 0
	for tail < len(x)-head && tail < len(y)-head && x[len(x)-1-tail] == y[len(y)-1-tail] {
		tail++
	}
	var ops []op
	for i := 0; i < head; i++ {
		ops = append(ops, op{' ', x[i], i, i})
	}
	mx, my := x[head:len(x)-tail], y[head:len(y)-tail]
	ops = append(ops, middle(mx, my, head, head)...)
	for i := 0; i < tail; i++ {
		ax, bx := len(x)-tail+i, len(y)-tail+i
		ops = append(ops, op{' ', x[ax], ax, bx})
	}
	return ops
}

// middle diffs what lies between the common head and tail by the longest
// common subsequence; offsets are the lines before it.
func middle(x, y []string, ox, oy int) []op {
	var ops []op
	if len(x)*len(y) > maxCells {
		for i, s := range x {
			ops = append(ops, op{'-', s, ox + i, oy})
		}
		for j, s := range y {
			ops = append(ops, op{'+', s, ox + len(x), oy + j})
		}
		return ops
	}
	// lcs[i][j] is the length of the longest common subsequence of x[i:]
	// and y[j:].
	w := len(y) + 1
	lcs := make([]int32, (len(x)+1)*w)
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, op{' ', x[i], ox + i, oy + j})
			i++
			j++
		case i < len(x) && (j == len(y) || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			ops = append(ops, op{'-', x[i], ox + i, oy + j})
			i++
		default:
			ops = append(ops, op{'+', y[j], ox + i, oy + j})
			j++
		}
	}
	return ops
}
