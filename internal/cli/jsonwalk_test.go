package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/engine"
)

// jsonWalkArgs are the arguments a command gets in TestEveryCommandJSON,
// besides --repo (an empty directory) and -o json; "{tmp}" is a fresh
// directory. A command not listed gets none.
var jsonWalkArgs = map[string][]string{
	"fundament init":                  {"{tmp}/new"},
	"fundament logs":                  {"20260101-000000-0000"},
	"fundament hostkeys forget":       {"ctl-1"},
	"fundament secrets show":          {"keystone-admin"},
	"fundament scs flavor-name":       {"SCS-2V-4"},
	"fundament scs image-check":       {"{tmp}/images.yaml"},
	"fundament openstack rotate-keys": {"fernet"},
	"fundament lab exec":              {"ctl-1", "true"},
	"fundament lab ssh":               {"ctl-1"},
	"fundament lab stop":              {"ctl-1"},
	"fundament lab start":             {"ctl-1"},
	"fundament lab cut":               {"spine-1", "leaf-1"},
}

// labWalkFlags keep the lab commands (root runs the tests here) on a
// prefix and in directories of their own: lab down removes what its
// prefix names.
var labWalkFlags = []string{"--prefix", "zjw", "--lab-dir", "{tmp}/lab", "--cache-dir", "{tmp}/cache"}

// TestEveryCommandJSON runs every command of the tree with -o json against
// an empty repository (nothing to load, no host to reach): a command that
// offers JSON prints JSON on standard output whatever happens (its result,
// or an error object with the exit code), and a command that does not
// refuses -o json as a usage error, in JSON too.
func TestEveryCommandJSON(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("FUNDAMENT_AGE_IDENTITY", "")
	root := newRoot(io.Discard, io.Discard)
	seen := map[string]bool{}
	for _, c := range allCommands(root) {
		if !c.Runnable() || c.Hidden {
			continue
		}
		path := c.CommandPath()
		seen[path] = true
		t.Run(strings.TrimPrefix(path, "fundament "), func(t *testing.T) {
			tmp := t.TempDir()
			args := strings.Fields(strings.TrimPrefix(path, "fundament"))
			args = append(args, jsonWalkArgs[path]...)
			if strings.HasPrefix(path, "fundament lab ") {
				args = append(args, labWalkFlags...)
			}
			args = append(args, "--repo", t.TempDir(), "-o", "json")
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "{tmp}", tmp)
			}
			code, out, errs := run(t, args...)
			values, err := jsonValues(out)
			if err != nil {
				t.Fatalf("fundament %s: exit %d, standard output is not JSON: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, err, out, errs)
			}
			if !slices.Contains(outputs(c), "json") {
				e := errorObject(values)
				if code != ExitUsage || e == nil || e.ExitCode != ExitUsage || !strings.Contains(e.Error, "has no JSON output") {
					t.Errorf("fundament %s, which has no JSON output: exit %d, want %d and a JSON error saying so\nstdout:\n%s", strings.Join(args, " "), code, ExitUsage, out)
				}
				return
			}
			switch {
			case code == ExitUsage:
				t.Errorf("fundament %s: a usage error (give it valid arguments in jsonWalkArgs?)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out, errs)
			case code != ExitOK && code != ExitChanges:
				if e := errorObject(values); e != nil && (e.ExitCode != code || e.Error == "") {
					t.Errorf("fundament %s: exit %d, but the error object says %+v", strings.Join(args, " "), code, *e)
				}
			}
		})
	}
	for path := range jsonWalkArgs {
		if !seen[path] {
			t.Errorf("jsonWalkArgs names %q, which is no runnable command", path)
		}
	}
}

// jsonValues decodes standard output as a sequence of JSON objects or
// arrays (one for most commands, one per line for apply and lab up).
func jsonValues(out string) ([]json.RawMessage, error) {
	dec := json.NewDecoder(strings.NewReader(out))
	var values []json.RawMessage
	for {
		var v json.RawMessage
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if b := bytes.TrimSpace(v); len(b) == 0 || (b[0] != '{' && b[0] != '[') {
			return nil, errors.New("a value that is neither an object nor an array: " + string(b))
		}
		values = append(values, v)
	}
	if len(values) == 0 {
		return nil, errors.New("nothing printed")
	}
	return values, nil
}

// errorObject is the output when it is one JSON error object, else nil.
func errorObject(values []json.RawMessage) *errorJSON {
	if len(values) != 1 {
		return nil
	}
	var e errorJSON
	if json.Unmarshal(values[0], &e) != nil || e.Type != "error" {
		return nil
	}
	return &e
}

// apply's summary has one shape, whether the run did something or there
// was nothing to change, and no null list.
func TestApplySummaryShape(t *testing.T) {
	keys := func(v applySummary) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("null")) {
			t.Errorf("a null in %s", b)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		return strings.Join(slices.Sorted(maps.Keys(m)), ",")
	}
	ran := &engine.Summary{Results: []engine.Result{{Host: "h1", Resource: "file:/x", Op: "create", Status: engine.StatusSucceeded}},
		HostsSkipped: []string{"h2"}}
	nothing := keys(newApplySummary("", 0, &engine.Summary{}, "no changes"))
	if got := keys(newApplySummary("run-1", 1, ran, "1 succeeded")); got != nothing {
		t.Errorf("a run's summary has the keys %s, the summary of no changes %s", got, nothing)
	}
}
