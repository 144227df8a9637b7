package resource

import (
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

// ObserveBatch is the one script that observes all of a host's resources
// in one round trip. Each fragment runs in its own subshell (an exit or a
// failure ends only its own section), with no standard input, between
// marker lines:
//
//	@@FUNDAMENT@@ <nonce> begin <i>
//	<fragment output>
//	@@FUNDAMENT@@ <nonce> end <i> <exit status>
//
// The nonce is derived from the script, so the same resources give the
// same script and a fragment cannot forge markers by accident. Kinds
// that observe through a shared shell function get it defined once at
// the top and are called with one short line each, so the script stays
// well under the 128 KiB a single argument (sh -c SCRIPT) may have for
// about a thousand resources. Split the output with SplitBatch.
func ObserveBatch(rs []Resource) string {
	var defs, body strings.Builder
	defined := map[string]bool{}
	for i, r := range rs {
		is := strconv.Itoa(i)
		if f, ok := r.(funcObserver); ok {
			fn := f.observeFunc()
			if !defined[fn.Name] {
				defined[fn.Name] = true
				defs.WriteString(fn.Def + "\n")
			}
			body.WriteString("_fm_b " + is + ";(" + f.observeCall() + ")</dev/null;_fm_e " + is + " $?\n")
			continue
		}
		body.WriteString("_fm_b " + is + "\n(\n:\n" + r.Observe() + "\n)</dev/null\n_fm_e " + is + " $?\n")
	}
	nonce := Digest([]byte(defs.String() + body.String()))[len("sha256:"):][:12]
	return "# fundament: observe " + strconv.Itoa(len(rs)) + " resources\n" +
		"_fm_b() { echo '" + BatchMarker + " " + nonce + " begin '\"$1\"; }\n" +
		"_fm_e() { printf '\\n" + BatchMarker + " " + nonce + " end %s %s\\n' \"$1\" \"$2\"; }\n" +
		defs.String() + body.String()
}

// SplitBatch cuts ObserveBatch's output into the n sections, in order. A
// section holds exactly what its fragment printed (with or without a
// final newline). Output that ends early (a dropped connection, a killed
// shell) is an error naming the first resource index whose section is
// missing or incomplete; the sections complete before it are returned
// with the error.
func SplitBatch(stdout string, n int) ([]Section, error) {
	secs := make([]Section, 0, n)
	if n == 0 {
		return secs, nil
	}
	first := BatchMarker + " "
	var nonce string
	rest := stdout
	for {
		i := strings.Index(rest, first)
		if i < 0 {
			return secs, fmt.Errorf("observe batch: no output for resource 0 of %d (no begin marker)", n)
		}
		if i == 0 || rest[i-1] == '\n' {
			line, _, _ := strings.Cut(rest[i+len(first):], "\n")
			if f := strings.Fields(line); len(f) == 3 && f[1] == "begin" && f[2] == "0" {
				nonce = f[0]
				rest = rest[i:]
				break
			}
		}
		rest = rest[i+len(first):]
	}
	for i := 0; i < n; i++ {
		is := strconv.Itoa(i)
		begin := BatchMarker + " " + nonce + " begin " + is + "\n"
		j := strings.Index(rest, begin)
		if j < 0 {
			return secs, fmt.Errorf("observe batch: output truncated: no section for resource %d of %d", i, n)
		}
		rest = rest[j+len(begin):]
		end := "\n" + BatchMarker + " " + nonce + " end " + is + " "
		k := strings.Index(rest, end)
		if k < 0 {
			return secs, fmt.Errorf("observe batch: output truncated in resource %d of %d (no end marker)", i, n)
		}
		out := rest[:k]
		status, after, ok := strings.Cut(rest[k+len(end):], "\n")
		code, err := strconv.Atoi(status)
		if !ok || err != nil {
			return secs, fmt.Errorf("observe batch: output truncated in resource %d of %d (incomplete end marker)", i, n)
		}
		secs = append(secs, Section{Stdout: out, ExitCode: code})
		rest = after
	}
	return secs, nil
}
