package resource

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Section is one resource's part of a batch's output.
type Section struct {
	Stdout   string
	ExitCode int
}

// BatchMarker starts the lines that delimit the sections of a batch.
const BatchMarker = "@@FUNDAMENT@@"

// Batch is the one script that observes all of a host's resources in one
// round trip (Script), and how to cut its output into a section per
// resource (Split).
type Batch struct {
	Script string
	rs     []Resource
	units  []unit
}

// unit is one section of the script: a resource observed alone, or a
// group of resources observed together.
type unit struct {
	group   *batchGroup // nil: observed alone
	members []int       // indexes in Batch.rs
	args    []groupArg
}

// ObserveBatch makes the batch of rs. The script is a sequence of units,
// each run in its own subshell (an exit or a failure ends only its own
// section), with no standard input, between marker lines:
//
//	@@FUNDAMENT@@ <nonce> begin <unit>
//	<fragment output>
//	@@FUNDAMENT@@ <nonce> end <unit> <exit status>
//
// A unit is a resource's own fragment, or one call that observes all the
// resources of a group (see batchGroup: all paths with one stat, all
// packages with one dpkg-query), placed where its first member is. The
// nonce is derived from the script, so the same resources give
// the same script and a fragment cannot forge markers by accident. Shell
// functions are defined once at the top and called with one short line
// per unit, so the script, sent with every observation, stays small
// (under 128 KiB for a thousand resources).
//
// Slow units (a command's guard asking a database or a cluster CLI: a
// second or more each) all start in the background before the first
// unit, their output going to a temporary directory; each is waited for
// and printed in its place, so a host's observation takes about as long
// as its slowest guard rather than the sum of them. Where no temporary
// directory can be made, they run in order like the others.
func ObserveBatch(rs []Resource) *Batch {
	b := &Batch{rs: rs, units: makeUnits(rs)}
	var defs, body strings.Builder
	defined := map[string]bool{}
	define := func(fn shellFunc) {
		if !defined[fn.Name] {
			defined[fn.Name] = true
			defs.WriteString(fn.Def + "\n")
		}
	}
	var start strings.Builder // the concurrent units, started first
	for i, u := range b.units {
		is := strconv.Itoa(i)
		if u.group == nil && slow(rs[u.members[0]]) {
			fn := "_fm_u" + is
			defs.WriteString(fn + "() (\n:\n" + rs[u.members[0]].Observe() + "\n)\n")
			start.WriteString("[ -z \"$_fm_t\" ] || { " + fn + " </dev/null >\"$_fm_t/" + is + "\" & _fm_p" + is + "=$!; }\n")
			body.WriteString("_fm_b " + is + "\nif [ -n \"$_fm_t\" ]; then wait \"$_fm_p" + is + "\"; _fm_s=$?; cat \"$_fm_t/" + is + "\"; " +
				"else " + fn + " </dev/null; _fm_s=$?; fi\n_fm_e " + is + " $_fm_s\n")
			continue
		}
		if u.group != nil {
			define(u.group.fn)
			body.WriteString("_fm_b " + is + ";(" + u.group.call(u.args) + ")</dev/null;_fm_e " + is + " $?\n")
			continue
		}
		r := rs[u.members[0]]
		if f, ok := r.(funcObserver); ok {
			define(f.observeFunc())
			body.WriteString("_fm_b " + is + ";(" + f.observeCall() + ")</dev/null;_fm_e " + is + " $?\n")
			continue
		}
		body.WriteString("_fm_b " + is + "\n(\n:\n" + r.Observe() + "\n)</dev/null\n_fm_e " + is + " $?\n")
	}
	if start.Len() > 0 {
		// Without a temporary directory the slow units run in order.
		defs.WriteString("_fm_t=$(mktemp -d 2>/dev/null) || _fm_t=\n" +
			"[ -z \"$_fm_t\" ] || { trap 'rm -rf \"$_fm_t\"' EXIT; trap 'exit 1' HUP INT TERM; }\n")
	}
	nonce := Digest([]byte(defs.String() + start.String() + body.String()))[len("sha256:"):][:12]
	b.Script = "# fundament: observe " + strconv.Itoa(len(rs)) + " resources\n" +
		"_fm_b() { echo '" + BatchMarker + " " + nonce + " begin '\"$1\"; }\n" +
		"_fm_e() { printf '\\n" + BatchMarker + " " + nonce + " end %s %s\\n' \"$1\" \"$2\"; }\n" +
		defs.String() + start.String() + body.String()
	return b
}

// slowObserver is implemented by kinds whose observation may take long
// (a guard asking a service): a batch runs these at the same time, in
// the background, and prints their sections in their place.
type slowObserver interface{ slowObservation() bool }

func slow(r Resource) bool {
	s, ok := r.(slowObserver)
	return ok && s.slowObservation()
}

// maxGroupArgs bounds the size of the arguments of one group's call, far
// below what one command line may hold (ARG_MAX, 2 MiB by default): a
// bigger group is split into several calls.
const maxGroupArgs = 256 << 10

// makeUnits puts each resource in its group's unit (made where the
// group's first member is) or in a unit of its own.
func makeUnits(rs []Resource) []unit {
	var units []unit
	type open struct{ unit, size int }
	unitOf := map[*batchGroup]open{}
	for i, r := range rs {
		g, arg, ok := groupOf(r)
		if !ok {
			units = append(units, unit{members: []int{i}})
			continue
		}
		o, seen := unitOf[g]
		size := len(arg.Name) + 3
		if !seen || o.size+size > maxGroupArgs {
			o = open{unit: len(units)}
			units = append(units, unit{group: g})
		}
		o.size += size
		unitOf[g] = o
		units[o.unit].members = append(units[o.unit].members, i)
		units[o.unit].args = append(units[o.unit].args, arg)
	}
	return units
}

func groupOf(r Resource) (*batchGroup, groupArg, bool) {
	if gr, ok := r.(grouped); ok {
		return gr.observeGroup()
	}
	return nil, groupArg{}, false
}

// Split cuts the script's output into a section per resource, in the
// order of the resources given to ObserveBatch; a section holds what the
// resource's own Observe would have printed. Output that ends early (a
// dropped connection, a killed shell) is an error naming the first
// resource whose section is missing or incomplete.
func (b *Batch) Split(stdout string) ([]Section, error) {
	secs, err := SplitBatch(stdout, len(b.units))
	if err != nil {
		var te *truncatedError
		if errors.As(err, &te) && te.section < len(b.units) {
			first := b.units[te.section].members[0]
			return nil, fmt.Errorf("observe batch: output truncated: %s at %s (resource %d of %d)", te.what, b.rs[first].ID(), first, len(b.rs))
		}
		return nil, err
	}
	out := make([]Section, len(b.rs))
	for i, u := range b.units {
		parts, err := u.sections(secs[i])
		if err != nil {
			return nil, err
		}
		for j, m := range u.members {
			out[m] = parts[j]
		}
	}
	return out, nil
}

// sections gives the unit's section to its resources. A group whose call
// failed as a whole (killed, say) fails the observation of each member.
func (u unit) sections(s Section) ([]Section, error) {
	if u.group == nil {
		return []Section{s}, nil
	}
	if s.ExitCode != 0 {
		return sameForAll(len(u.members), s), nil
	}
	parts := u.group.split(u.args, s.Stdout)
	if len(parts) != len(u.members) {
		return nil, fmt.Errorf("observe batch: group %s gave %d sections for %d resources", u.group.fn.Name, len(parts), len(u.members))
	}
	return parts, nil
}

// truncatedError says which section of a batch's output is missing or
// incomplete.
type truncatedError struct {
	section, n int
	what       string
}

func (e *truncatedError) Error() string {
	return fmt.Sprintf("observe batch: output truncated: %s in section %d of %d", e.what, e.section, e.n)
}

// SplitBatch cuts a batch's output into its n sections (one per unit), in
// order. A section holds exactly what its fragment printed (with or
// without a final newline). Output that ends early is a *truncatedError
// naming the first section missing or incomplete; the sections complete
// before it are returned with the error.
func SplitBatch(stdout string, n int) ([]Section, error) {
	secs := make([]Section, 0, n)
	if n == 0 {
		return secs, nil
	}
	nonce, rest, ok := findFirstSection(stdout)
	if !ok {
		return secs, &truncatedError{section: 0, n: n, what: "no begin marker"}
	}
	for i := 0; i < n; i++ {
		is := strconv.Itoa(i)
		begin := BatchMarker + " " + nonce + " begin " + is + "\n"
		j := strings.Index(rest, begin)
		if j < 0 {
			return secs, &truncatedError{section: i, n: n, what: "no section"}
		}
		rest = rest[j+len(begin):]
		end := "\n" + BatchMarker + " " + nonce + " end " + is + " "
		k := strings.Index(rest, end)
		if k < 0 {
			return secs, &truncatedError{section: i, n: n, what: "no end marker"}
		}
		out := rest[:k]
		status, after, ok := strings.Cut(rest[k+len(end):], "\n")
		code, err := strconv.Atoi(status)
		if !ok || err != nil {
			return secs, &truncatedError{section: i, n: n, what: "incomplete end marker"}
		}
		secs = append(secs, Section{Stdout: out, ExitCode: code})
		rest = after
	}
	return secs, nil
}

// findFirstSection finds the begin marker of section 0 at the start of a
// line (text a login shell printed may come before it) and returns the
// nonce and the output from the marker on.
func findFirstSection(stdout string) (nonce, rest string, ok bool) {
	first := BatchMarker + " "
	rest = stdout
	for {
		i := strings.Index(rest, first)
		if i < 0 {
			return "", "", false
		}
		if i == 0 || rest[i-1] == '\n' {
			line, _, _ := strings.Cut(rest[i+len(first):], "\n")
			if f := strings.Fields(line); len(f) == 3 && f[1] == "begin" && f[2] == "0" {
				return f[0], rest[i:], true
			}
		}
		rest = rest[i+len(first):]
	}
}
