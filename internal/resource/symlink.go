package resource

import (
	"fmt"
	"path"
	"strings"
)

// Symlink is a symbolic link at Path pointing to Target (taken literally:
// a relative target is relative to the link's directory), or (Absent) no
// link at the path.
type Symlink struct {
	Path   string `json:"path"`
	Target string `json:"target,omitempty"`
	// Absent removes the link; anything else at the path is an error.
	Absent bool `json:"absent,omitempty"`
}

func (l Symlink) ID() ID { return ID{Kind: KindSymlink, Name: l.Path} }

func (l Symlink) Validate() error {
	if err := checkPath(l.Path); err != nil {
		return err
	}
	if l.Path == "/" {
		return fmt.Errorf("path / cannot be a symlink")
	}
	if !l.Absent && l.Target == "" {
		return fmt.Errorf("empty target")
	}
	if strings.ContainsAny(l.Target, "\n\t\x00") {
		return fmt.Errorf("target %q holds a control character", l.Target)
	}
	return nil
}

func (l Symlink) Desired() State {
	if l.Absent {
		return State{"present": "false"}
	}
	return State{"present": "true", "type": "symlink", "target": l.Target}
}

func (l Symlink) Sensitive() []string { return nil }

func (l Symlink) observeFunc() shellFunc { return pathFunc }
func (l Symlink) observeCall() string    { return "_fm_path " + Quote(l.Path) }
func (l Symlink) Observe() string        { return observeWith(l) }
func (l Symlink) observeGroup() (*batchGroup, groupArg, bool) {
	return observePath(l.Path, false)
}

func (l Symlink) Parse(stdout string, exitCode int) (State, error) {
	s, err := parseObserved(l.ID(), stdout, exitCode, "present")
	if err != nil {
		return nil, err
	}
	// Mode and owners of what is at the path are no concern of a link.
	delete(s, "mode")
	delete(s, "owner")
	delete(s, "group")
	return s, nil
}

func (l Symlink) Plan(observed State) Change {
	return planPresence(l.Desired(), observed, nil, l.Absent)
}

// Apply replaces the path atomically: a new link under a temporary name,
// renamed over the path with mv -T (a file or link there is replaced; a
// directory is an error, never removed).
func (l Symlink) Apply(c Change) (string, []byte) {
	p := Quote(l.Path)
	isDir := "if [ -d " + p + " ] && [ ! -L " + p + " ]; then\n" +
		"\techo " + Quote("fundament: "+l.Path+" is a directory, not a symlink") + " >&2\n\texit 1\nfi\n"
	if c.Op == OpDelete || l.Absent {
		return "set -e\nif [ -e " + p + " ] && [ ! -L " + p + " ]; then\n" +
			"\techo " + Quote("fundament: "+l.Path+" is not a symlink, not removed") + " >&2\n\texit 1\nfi\n" +
			"rm -f -- " + p + "\n", nil
	}
	dir := Quote(path.Dir(l.Path))
	return "set -e\n" + isDir +
		"[ -d " + dir + " ] || (umask 022 && mkdir -p -- " + dir + ")\n" +
		"_fm_t=" + dir + "/.fundament-ln.$$\n" +
		"rm -f -- \"$_fm_t\"\n" +
		"ln -s -- " + Quote(l.Target) + " \"$_fm_t\"\n" +
		"mv -T -f -- \"$_fm_t\" " + p + "\n", nil
}
