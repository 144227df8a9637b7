// Package resource defines the units of desired state: what a host should
// have (a package at a version, a file with content, a running service,
// ...). Each kind knows how to observe the current state with a shell
// fragment (all of a host's fragments run in ONE round trip), how to
// compare it with the desired state, and how to act with a shell script.
package resource

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// ID names a resource on its host: kind and name, e.g. file:/etc/hosts.
type ID struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

func (id ID) String() string { return id.Kind + ":" + id.Name }

// State is a resource's state as flat fields, compared field by field.
// Values are canonical strings (mode "0644", a content digest, "true").
// The field "present" is "true" or "false" for kinds that can be absent.
type State map[string]string

// Hash is a stable digest of the state, for plan checks.
func (s State) Hash() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(s[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Op is what must happen to a resource.
type Op string

const (
	OpNone    Op = "none"    // already as desired
	OpCreate  Op = "create"  // absent, will be created
	OpUpdate  Op = "update"  // present, some fields change
	OpDelete  Op = "delete"  // present, must go
	OpRun     Op = "run"     // a command or playbook will run
	OpRestart Op = "restart" // a service restarts (a file it subscribes to changes)
)

// FieldChange is one field of an update.
type FieldChange struct {
	Field     string `json:"field"`
	Old       string `json:"old,omitempty"`
	New       string `json:"new,omitempty"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

// Change is the planned action on one resource.
type Change struct {
	Op     Op            `json:"op"`
	Fields []FieldChange `json:"fields,omitempty"`
	// Reason explains run and restart ("guard: db not yet synced",
	// "file:/etc/chrony/chrony.conf changes").
	Reason string `json:"reason,omitempty"`
	// Restart marks a change of a resource that something it subscribes
	// to changes in the same plan: a service that is to start restarts
	// instead, so that one started since the plan was made (by its
	// package's installation, with the package's files) ends up running
	// with the new ones.
	Restart bool `json:"restart,omitempty"`
}

// Resource is one unit of desired state on one host.
type Resource interface {
	ID() ID
	// Desired is the state the resource should have. Sensitive fields hold
	// digests, never the secret values themselves.
	Desired() State
	// Sensitive lists fields whose values must never be shown.
	Sensitive() []string
	// Observe is a POSIX sh fragment that prints the current state as
	// "field=value" lines on standard output. It must not change anything.
	Observe() string
	// Parse turns the fragment's output into a State.
	Parse(stdout string, exitCode int) (State, error)
	// Plan compares the observed state with the desired one.
	Plan(observed State) Change
	// Apply returns the script (and its standard input) that performs the
	// change. It runs as root with /bin/sh and must be safe to repeat.
	Apply(c Change) (script string, stdin []byte)
}

// Diff lists the fields of desired that observed lacks or has otherwise,
// hiding the values of sensitive fields.
func Diff(desired, observed State, sensitive []string) []FieldChange {
	keys := make([]string, 0, len(desired))
	for k := range desired {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []FieldChange
	for _, k := range keys {
		if observed[k] == desired[k] {
			continue
		}
		fc := FieldChange{Field: k, Old: observed[k], New: desired[k]}
		for _, s := range sensitive {
			if s == k {
				fc = FieldChange{Field: k, Sensitive: true}
			}
		}
		out = append(out, fc)
	}
	return out
}

// ParseFields reads "field=value" lines; values may contain '='.
func ParseFields(stdout string) State {
	s := State{}
	for _, line := range strings.Split(stdout, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k != "" {
			s[k] = v
		}
	}
	return s
}

// Quote quotes s for POSIX sh.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QuoteArgs quotes each argument for POSIX sh and joins them with spaces:
// a command line's arguments.
func QuoteArgs(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
