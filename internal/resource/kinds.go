package resource

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The kinds of resource. A kind is the first half of an ID and the key
// under which a resource is stored in a plan file (see Encode, Decode).
const (
	KindPackage   = "package"
	KindAptSource = "apt-source"
	KindFile      = "file"
	KindDirectory = "directory"
	KindSymlink   = "symlink"
	KindUser      = "user"
	KindGroup     = "group"
	KindService   = "service"
	KindCommand   = "command"
	KindAnsible   = "ansible"
)

// Validator is implemented by every kind: Validate reports a resource that
// cannot be observed or applied (a relative path, a malformed name, ...).
// Decode calls it; components should call it (through Validate) when they
// build resources.
type Validator interface {
	Validate() error
}

// Validate checks r if its kind knows how.
func Validate(r Resource) error {
	if v, ok := r.(Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("%s: %w", r.ID(), err)
		}
	}
	return nil
}

// Recorded is implemented by kinds whose completion the host cannot show:
// a Command without a guard and an Ansible run. Their Plan always returns
// OpRun; the engine stores Digest() in its state database after a
// successful Apply and, while the stored digest of the resource equals
// Digest(), treats the OpRun as OpNone (a completed step is not repeated).
// A changed script, environment, playbook or variables changes the digest
// and so runs the step again. Digest is "" when the kind can observe its
// completion itself (a Command with a guard): the engine then records
// nothing and trusts Plan.
type Recorded interface {
	Digest() string
}

// LocalRunner is implemented by kinds that run on the manager rather than
// on the host (Ansible). The engine writes files (path -> content, paths
// under workDir) and runs argv locally instead of running Apply's script
// through the host's transport.
type LocalRunner interface {
	LocalCommand(workDir string) (argv []string, files map[string][]byte)
}

// Restarter is implemented by Service: the script that restarts the
// service when a resource it subscribes to changes.
type Restarter interface {
	RestartScript() string
}

// registry maps a kind to a decoder of its JSON form.
var registry = map[string]func([]byte) (Resource, error){
	KindPackage:   decodeAs[Package],
	KindAptSource: decodeAs[AptSource],
	KindFile:      decodeAs[File],
	KindDirectory: decodeAs[Directory],
	KindSymlink:   decodeAs[Symlink],
	KindUser:      decodeAs[User],
	KindGroup:     decodeAs[Group],
	KindService:   decodeAs[Service],
	KindCommand:   decodeAs[Command],
	KindAnsible:   decodeAs[Ansible],
}

func decodeAs[T Resource](raw []byte) (Resource, error) {
	var v T
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Kinds lists the registered kinds, sorted.
func Kinds() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Encode turns a resource into its kind and JSON form, for plan files.
// Sensitive resources are encoded whole (a File's content, a Command's
// script): a plan file that holds them is as secret as the secrets.
func Encode(r Resource) (kind string, raw json.RawMessage, err error) {
	if r == nil {
		return "", nil, fmt.Errorf("encode: nil resource")
	}
	kind = r.ID().Kind
	if _, ok := registry[kind]; !ok {
		return "", nil, fmt.Errorf("encode %s: unknown kind %q", r.ID(), kind)
	}
	raw, err = json.Marshal(r)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", r.ID(), err)
	}
	return kind, raw, nil
}

// Decode rebuilds a resource from Encode's output. It returns the kind's
// struct as a value (File, not *File), rejects unknown fields and checks
// the result with Validate.
func Decode(kind string, raw json.RawMessage) (Resource, error) {
	dec, ok := registry[kind]
	if !ok {
		return nil, fmt.Errorf("decode: unknown resource kind %q", kind)
	}
	r, err := dec(raw)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	if err := Validate(r); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return r, nil
}

// --- helpers shared by the kinds ---

// shellFunc is a shell function that observes resources of one kind. A
// kind that has one observes with a one-line call of it; ObserveBatch
// defines each function once per batch, so a batch of hundreds of
// resources stays small.
type shellFunc struct {
	Name string
	Def  string // "name() { ... }"
}

// funcObserver is implemented by kinds that observe through a shellFunc.
type funcObserver interface {
	observeFunc() shellFunc
	observeCall() string // one line, no heredoc, no comment
}

// observeWith is Observe for a funcObserver: the definition and the call.
func observeWith(f funcObserver) string {
	return f.observeFunc().Def + "\n" + f.observeCall() + "\n"
}

// parseObserved checks a fragment's exit status and reads its fields,
// requiring those named.
func parseObserved(id ID, stdout string, exitCode int, required ...string) (State, error) {
	if exitCode != 0 {
		return nil, fmt.Errorf("observe %s: exit status %d: %s", id, exitCode, oneLine(stdout, 200))
	}
	s := ParseFields(stdout)
	for _, f := range required {
		if _, ok := s[f]; !ok {
			return nil, fmt.Errorf("observe %s: no %q field in output %q", id, f, oneLine(stdout, 200))
		}
	}
	return s, nil
}

// planPresence is the Plan of kinds that exist or not: OpDelete when
// absent is wanted and the thing is present, OpCreate when it is missing,
// OpUpdate when fields differ.
func planPresence(desired, observed State, sensitive []string, absent bool) Change {
	present := observed["present"] == "true"
	if absent {
		if present {
			return Change{Op: OpDelete, Fields: []FieldChange{{Field: "present", Old: "true", New: "false"}}}
		}
		return Change{Op: OpNone}
	}
	fields := Diff(desired, observed, sensitive)
	switch {
	case len(fields) == 0:
		return Change{Op: OpNone}
	case !present:
		return Change{Op: OpCreate, Fields: fields}
	default:
		return Change{Op: OpUpdate, Fields: fields}
	}
}

// changes reports whether c touches field.
func changes(c Change, field string) (FieldChange, bool) {
	for _, f := range c.Fields {
		if f.Field == field {
			return f, true
		}
	}
	return FieldChange{}, false
}

// Digest returns "sha256:<hex>" of b, the form of content digests in
// states.
func Digest(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

// digestJSON digests v's JSON form (map keys sorted by encoding/json).
func digestJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only values that cannot be JSON (channels, NaN) get here: fall
		// back to their printed form, still stable for equal values.
		b = []byte(fmt.Sprintf("%#v", v))
	}
	return Digest(b)
}

func oneLine(s string, max int) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\n", `\n`)
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// fail is a script that fails with msg on standard error.
func fail(msg string) string {
	return "echo " + Quote("fundament: "+msg) + " >&2\nexit 1\n"
}

var (
	reAccount = regexp.MustCompile(`^[a-z_][a-z0-9_.-]{0,31}$`)
	reOctal   = regexp.MustCompile(`^[0-7]{3,5}$`)
)

// canonicalMode turns "644", "0644" or "00644" into "0644"; "" stays "".
func canonicalMode(m string) string {
	if m == "" {
		return ""
	}
	v, err := strconv.ParseUint(m, 8, 32)
	if err != nil {
		return m
	}
	return fmt.Sprintf("%04o", v)
}

func checkMode(m string) error {
	if m == "" {
		return nil
	}
	if v, err := strconv.ParseUint(m, 8, 32); err != nil || !reOctal.MatchString(m) || v > 0o7777 {
		return fmt.Errorf("mode %q is not an octal mode like 0644", m)
	}
	return nil
}

func checkAccount(what, name string, optional bool) error {
	if name == "" && optional {
		return nil
	}
	if !reAccount.MatchString(name) {
		return fmt.Errorf("%s %q is not a valid account name", what, name)
	}
	return nil
}

func checkPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is not absolute", p)
	case path.Clean(p) != p:
		return fmt.Errorf("path %q is not clean (want %q)", p, path.Clean(p))
	case strings.ContainsAny(p, "\n\t\x00"):
		return fmt.Errorf("path %q holds a control character", p)
	}
	return nil
}

func checkLine(what, v string) error {
	if strings.ContainsAny(v, "\n\r\x00") {
		return fmt.Errorf("%s %q holds a line break", what, v)
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
