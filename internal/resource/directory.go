package resource

import (
	"fmt"
	"path"
)

// Directory is a directory with a mode and ownership, or (Absent) none.
type Directory struct {
	Path string `json:"path"`
	// Mode is octal, "" = "0755". Owner and Group are names, "" = root.
	Mode  string `json:"mode,omitempty"`
	Owner string `json:"owner,omitempty"`
	Group string `json:"group,omitempty"`
	// Absent removes the directory AND everything in it (rm -rf, staying
	// on its file system).
	Absent bool `json:"absent,omitempty"`
}

func (d Directory) ID() ID { return ID{Kind: KindDirectory, Name: d.Path} }

func (d Directory) Validate() error {
	if err := checkPath(d.Path); err != nil {
		return err
	}
	if d.Path == "/" {
		return fmt.Errorf("the root directory cannot be managed")
	}
	if err := checkMode(d.Mode); err != nil {
		return err
	}
	if err := checkAccount("owner", d.Owner, true); err != nil {
		return err
	}
	return checkAccount("group", d.Group, true)
}

func (d Directory) mode() string { return canonicalMode(orDefault(d.Mode, "0755")) }

func (d Directory) Desired() State {
	if d.Absent {
		return State{"present": "false"}
	}
	return State{
		"present": "true",
		"type":    "directory",
		"mode":    d.mode(),
		"owner":   orDefault(d.Owner, "root"),
		"group":   orDefault(d.Group, "root"),
	}
}

func (d Directory) Sensitive() []string { return nil }

func (d Directory) observeFunc() shellFunc { return pathFunc }
func (d Directory) observeCall() string    { return "_fm_path " + Quote(d.Path) }
func (d Directory) Observe() string        { return observeWith(d) }
func (d Directory) observeGroup() (*batchGroup, groupArg, bool) {
	return observePath(d.Path, false)
}

func (d Directory) Parse(stdout string, exitCode int) (State, error) {
	s, err := parseObserved(d.ID(), stdout, exitCode, "present")
	if err != nil {
		return nil, err
	}
	if m, ok := s["mode"]; ok {
		s["mode"] = canonicalMode(m)
	}
	return s, nil
}

func (d Directory) Plan(observed State) Change {
	return planPresence(d.Desired(), observed, nil, d.Absent)
}

// Apply makes the directory (parents 0755, the directory itself with its
// mode from the start) and sets owner and mode; something else than a
// directory at the path is an error, never replaced.
func (d Directory) Apply(c Change) (string, []byte) {
	p := Quote(d.Path)
	if c.Op == OpDelete || d.Absent {
		return "set -e\nif [ -L " + p + " ] || { [ -e " + p + " ] && [ ! -d " + p + " ]; }; then\n" +
			"\techo " + Quote("fundament: "+d.Path+" is not a directory, not removed") + " >&2\n\texit 1\nfi\n" +
			"rm -rf --one-file-system -- " + p + "\n", nil
	}
	parent := Quote(path.Dir(d.Path))
	return "set -e\n" +
		"if [ -L " + p + " ] || { [ -e " + p + " ] && [ ! -d " + p + " ]; }; then\n" +
		"\techo " + Quote("fundament: "+d.Path+" exists and is not a directory") + " >&2\n\texit 1\nfi\n" +
		"if [ ! -d " + p + " ]; then\n" +
		"\t[ -d " + parent + " ] || (umask 022 && mkdir -p -- " + parent + ")\n" +
		"\tmkdir -m " + d.mode() + " -- " + p + "\n" +
		"fi\n" +
		"chown " + Quote(orDefault(d.Owner, "root")+":"+orDefault(d.Group, "root")) + " " + p + "\n" +
		"chmod " + d.mode() + " " + p + "\n", nil
}
