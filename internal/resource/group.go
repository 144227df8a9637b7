package resource

import (
	"strconv"
	"strings"
)

// A batchGroup observes many resources of a batch with a few processes
// for all of them (one stat, one sha256sum, one dpkg-query) where each
// resource's own fragment runs a few per resource: on a host with
// hundreds of resources those processes are most of the observation's
// time. The group's output is turned back, per resource, into exactly
// what the resource's own Observe prints, so that Parse is the same
// either way.
type batchGroup struct {
	fn shellFunc
	// call is the one-line call of fn that observes args.
	call func(args []groupArg) string
	// split turns the call's output into a section per arg, in order.
	split func(args []groupArg, stdout string) []Section
}

// groupArg is one resource's part of a group's call: a path (and whether
// its content digest is wanted) or a package name.
type groupArg struct {
	Name    string
	Content bool
}

// grouped is implemented by kinds a batch observes in a group. ok is false
// for a resource the group cannot observe exactly as Observe does; it then
// observes alone.
type grouped interface {
	observeGroup() (g *batchGroup, arg groupArg, ok bool)
}

// --- paths: files, directories, symlinks, apt sources ---

// pathsFunc does what pathFunc does for each path, with one stat and one
// sha256sum for all of them. Arguments: how many of the paths want the
// content digest (they come first), then the paths. It prints the target
// of each symlink (L, path, target with line breaks as tabs), a stat
// record per path that exists (S, raw mode in hex, mode, owner, group,
// path), sha256sum's lines for the regular files whose digest is wanted
// (never a symlink, nor a FIFO or device, which could block), and the
// exit status of stat and sha256sum (X, command, status). stat gets only
// the paths that exist, so it must succeed: a failure says that it could
// not work at all, not that a path is missing. Paths hold no tab or line
// break: see pathGroupable. The paths for stat and sha256sum are collected
// as references to the positional parameters ("${7}") for eval, never as
// the paths themselves; rebuilding "$@" instead takes quadratic time.
var pathsFunc = shellFunc{Name: "_fm_paths", Def: `_fm_paths() {
	_fm_c=$1
	shift
	_fm_i=0
	_fm_st=
	_fm_sum=
	for _fm_p; do
		_fm_i=$((_fm_i + 1))
		if [ -L "$_fm_p" ]; then
			printf 'L\t%s\t%s\n' "$_fm_p" "$(readlink -n -- "$_fm_p" | tr '\n' '\t')"
		elif [ ! -e "$_fm_p" ]; then
			continue
		elif [ "$_fm_i" -le "$_fm_c" ] && [ -f "$_fm_p" ]; then
			_fm_sum="$_fm_sum \"\${$_fm_i}\""
		fi
		_fm_st="$_fm_st \"\${$_fm_i}\""
	done
	[ -z "$_fm_st" ] || eval "stat --printf 'S\t%f\t%a\t%U\t%G\t%n\n' -- $_fm_st" 2>/dev/null
	printf 'X\tstat\t%s\n' "$?"
	[ -z "$_fm_sum" ] || eval "sha256sum -- $_fm_sum" 2>/dev/null
	printf 'X\tsha256sum\t%s\n' "$?"
	return 0
}`}

var pathGroup = &batchGroup{fn: pathsFunc, call: pathsCall, split: splitPaths}

// pathGroupable says whether a path can go in the group: its records are
// lines of tab-separated fields keyed by the path (Validate refuses such
// paths anyway).
func pathGroupable(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.ContainsAny(p, "\t\n\x00")
}

// observePath is observeGroup for the kinds observed with pathFunc.
func observePath(p string, content bool) (*batchGroup, groupArg, bool) {
	return pathGroup, groupArg{Name: p, Content: content}, pathGroupable(p)
}

func pathsCall(args []groupArg) string {
	var with, without []string
	for _, a := range args {
		if a.Content {
			with = append(with, Quote(a.Name))
		} else {
			without = append(without, Quote(a.Name))
		}
	}
	words := append([]string{pathsFunc.Name, strconv.Itoa(len(with))}, with...)
	return strings.Join(append(words, without...), " ")
}

// pathStat is a stat record of _fm_paths.
type pathStat struct {
	rawMode uint64 // st_mode: file type and permissions
	mode    string // %a, as pathFunc prints it
	owner   string
	group   string
}

// File types in st_mode.
const (
	sIFMT  = 0o170000
	sIFLNK = 0o120000
	sIFDIR = 0o040000
	sIFREG = 0o100000
)

// pathRecords is _fm_paths' output, keyed by path. Lines it does not
// recognise are left out: their path then lacks the field, as it would
// if the command had failed.
type pathRecords struct {
	stats   map[string]pathStat
	targets map[string]string
	digests map[string]string
	exit    map[string]string // command -> exit status
}

func parsePaths(stdout string) pathRecords {
	r := pathRecords{stats: map[string]pathStat{}, targets: map[string]string{}, digests: map[string]string{}, exit: map[string]string{}}
	for _, line := range strings.Split(stdout, "\n") {
		switch {
		case strings.HasPrefix(line, "X\t"):
			if cmd, status, ok := strings.Cut(line[2:], "\t"); ok {
				r.exit[cmd] = status
			}
		case strings.HasPrefix(line, "S\t"):
			if p, st, ok := parseStatRecord(line[2:]); ok {
				r.stats[p] = st
			}
		case strings.HasPrefix(line, "L\t"):
			if p, target, ok := strings.Cut(line[2:], "\t"); ok {
				r.targets[p] = target
			}
		default:
			if p, sum, ok := parseSumLine(line); ok {
				r.digests[p] = sum
			}
		}
	}
	return r
}

// parseStatRecord reads "rawmode<TAB>mode<TAB>owner<TAB>group<TAB>path".
func parseStatRecord(rec string) (string, pathStat, bool) {
	f := strings.Split(rec, "\t")
	if len(f) != 5 || f[1] == "" || f[4] == "" {
		return "", pathStat{}, false
	}
	raw, err := strconv.ParseUint(f[0], 16, 32)
	if err != nil {
		return "", pathStat{}, false
	}
	return f[4], pathStat{rawMode: raw, mode: f[1], owner: f[2], group: f[3]}, true
}

// parseSumLine reads a line of GNU sha256sum: "<hex>  <path>", or, for a
// path with a backslash (or line break), "\<hex>  <path escaped>".
func parseSumLine(line string) (path, hexSum string, ok bool) {
	escaped := strings.HasPrefix(line, `\`)
	if escaped {
		line = line[1:]
	}
	if len(line) < 64+3 || !isLowerHex(line[:64]) || line[64] != ' ' || (line[65] != ' ' && line[65] != '*') {
		return "", "", false
	}
	path = line[66:]
	if escaped {
		if path, ok = unescapeSumName(path); !ok {
			return "", "", false
		}
	}
	return path, line[:64], true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// unescapeSumName undoes sha256sum's escaping of a file name: \\, \n, \r.
func unescapeSumName(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i++; i == len(s) {
			return "", false
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", false
		}
	}
	return b.String(), true
}

// splitPaths gives each path what pathFunc prints for it. When stat
// failed, or sha256sum otherwise than on some of the files (exit status
// 1: a file unreadable, or gone), say because the command is missing or
// not GNU's, every path's observation fails, rather than reporting the
// paths absent or without their attributes.
func splitPaths(args []groupArg, stdout string) []Section {
	recs := parsePaths(stdout)
	if st := recs.exit["stat"]; st != "0" {
		return failAll(len(args), "stat failed (exit status "+orDefault(st, "unknown")+")")
	}
	if st := recs.exit["sha256sum"]; st != "0" && st != "1" {
		return failAll(len(args), "sha256sum failed (exit status "+orDefault(st, "unknown")+")")
	}
	out := make([]Section, len(args))
	for i, a := range args {
		out[i] = Section{Stdout: recs.render(a)}
	}
	return out
}

// failAll is a failed section (exit status 1, msg as output) for each of
// n resources.
func failAll(n int, msg string) []Section {
	return sameForAll(n, Section{Stdout: msg + "\n", ExitCode: 1})
}

func sameForAll(n int, s Section) []Section {
	out := make([]Section, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// wordsCall is the call of fn with each arg's name as one word.
func wordsCall(fn shellFunc) func([]groupArg) string {
	return func(args []groupArg) string {
		words := []string{fn.Name}
		for _, a := range args {
			words = append(words, Quote(a.Name))
		}
		return strings.Join(words, " ")
	}
}

// render prints what pathFunc prints for the path.
func (r pathRecords) render(a groupArg) string {
	st, ok := r.stats[a.Name]
	if !ok {
		return "present=false\n"
	}
	var b strings.Builder
	b.WriteString("present=true\n")
	switch st.rawMode & sIFMT {
	case sIFLNK:
		b.WriteString("type=symlink\ntarget=" + r.targets[a.Name] + "\n")
		return b.String()
	case sIFDIR:
		b.WriteString("type=directory\n")
	case sIFREG:
		b.WriteString("type=file\n")
		if sum, ok := r.digests[a.Name]; ok && a.Content {
			b.WriteString("content=sha256:" + sum + "\n")
		}
	default:
		b.WriteString("type=other\n")
	}
	b.WriteString("mode=" + st.mode + "\nowner=" + st.owner + "\ngroup=" + st.group + "\n")
	return b.String()
}

// --- packages ---

// packagesFunc asks dpkg-query once about all the packages: a line per
// package dpkg knows (P, name, status, version), in dpkg's order, then
// dpkg-query's exit status (R): 0, or 1 when it knows some of them not.
var packagesFunc = shellFunc{Name: "_fm_pkgs", Def: `_fm_pkgs() {
	dpkg-query -W -f='P\t${Package}\t${Status}\t${Version}\n' "$@" 2>/dev/null
	printf 'R\t%s\n' "$?"
	return 0
}`}

var packageGroup = &batchGroup{fn: packagesFunc, call: wordsCall(packagesFunc), split: splitPackages}

// splitPackages gives each package what packageFunc prints: dpkg-query
// -W NAME | head -n 1 is the first line (in dpkg's order) of the package
// of that name. When dpkg-query failed otherwise than by not knowing a
// package (a broken database), every package's observation fails, rather
// than reporting them all absent. A host without dpkg-query (exit 127)
// has none of them, as packageFunc says.
func splitPackages(args []groupArg, stdout string) []Section {
	first := map[string]string{}
	status := ""
	for _, line := range strings.Split(stdout, "\n") {
		if rest, ok := strings.CutPrefix(line, "P\t"); ok {
			name, st, ok := strings.Cut(rest, "\t")
			if _, seen := first[name]; ok && !seen {
				first[name] = st
			}
		} else if rest, ok := strings.CutPrefix(line, "R\t"); ok {
			status = rest
		}
	}
	if status != "0" && status != "1" && status != "127" {
		return failAll(len(args), "dpkg-query failed (exit status "+orDefault(status, "unknown")+")")
	}
	out := make([]Section, len(args))
	for i, a := range args {
		out[i] = Section{Stdout: renderPackage(first[a.Name])}
	}
	return out
}

// renderPackage prints what packageFunc prints for dpkg's line
// "status<TAB>version" ("" when dpkg does not know the package).
func renderPackage(line string) string {
	if strings.Contains(line, " installed\t") {
		_, version, _ := strings.Cut(line, "\t")
		return "present=true\nversion=" + version + "\n"
	}
	if line == "" {
		return "present=false\n"
	}
	status, _, _ := strings.Cut(line, "\t")
	return "present=false\nstatus=" + status + "\n"
}
