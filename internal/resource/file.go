package resource

import (
	"fmt"
	"path"
)

// File is a regular file with the given content, mode and ownership, or
// (Absent) no file at the path.
//
// Its desired state holds the digest of the content ("content":
// "sha256:<hex>"), never the content; the content travels only as the
// standard input of Apply's script. With Secret (JSON "sensitive"), even
// the digest is hidden in diffs (a digest of a short password can be
// guessed). The field is not called Sensitive: that is the method.
type File struct {
	Path    string `json:"path"`
	Content []byte `json:"content,omitempty"` // base64 in JSON
	// Mode is octal, "" = "0644". Owner and Group are names, "" = root.
	Mode   string `json:"mode,omitempty"`
	Owner  string `json:"owner,omitempty"`
	Group  string `json:"group,omitempty"`
	Secret bool   `json:"sensitive,omitempty"`
	// Absent deletes the file (a directory at the path is an error).
	Absent bool `json:"absent,omitempty"`
}

func (f File) ID() ID { return ID{Kind: KindFile, Name: f.Path} }

func (f File) Validate() error {
	if err := checkPath(f.Path); err != nil {
		return err
	}
	if f.Path == "/" {
		return fmt.Errorf("path / cannot be a file")
	}
	if err := checkMode(f.Mode); err != nil {
		return err
	}
	if err := checkAccount("owner", f.Owner, true); err != nil {
		return err
	}
	return checkAccount("group", f.Group, true)
}

func (f File) mode() string  { return canonicalMode(orDefault(f.Mode, "0644")) }
func (f File) owner() string { return orDefault(f.Owner, "root") }
func (f File) group() string { return orDefault(f.Group, "root") }

func (f File) Desired() State {
	if f.Absent {
		return State{"present": "false"}
	}
	return State{
		"present": "true",
		"type":    "file",
		"content": Digest(f.Content),
		"mode":    f.mode(),
		"owner":   f.owner(),
		"group":   f.group(),
	}
}

func (f File) Sensitive() []string {
	if f.Secret {
		return []string{"content"}
	}
	return nil
}

// pathFunc observes any path: present, type (file, directory, symlink,
// other), and for files with "content" as second argument the digest;
// mode, owner and group for all but symlinks, the target for symlinks
// (line breaks in it printed as tabs).
var pathFunc = shellFunc{Name: "_fm_path", Def: `_fm_path() {
	if [ -L "$1" ]; then
		echo present=true
		echo type=symlink
		printf 'target=%s\n' "$(readlink -n -- "$1" | tr '\n' '\t')"
	elif [ -e "$1" ]; then
		echo present=true
		if [ -d "$1" ]; then
			echo type=directory
		elif [ -f "$1" ]; then
			echo type=file
			if [ "$2" = content ] && _fm_s=$(sha256sum <"$1"); then
				printf 'content=sha256:%s\n' "${_fm_s%% *}"
			fi
		else
			echo type=other
		fi
		stat --printf 'mode=%a\nowner=%U\ngroup=%G\n' -- "$1"
	else
		echo present=false
	fi
	return 0
}`}

func (f File) observeFunc() shellFunc { return pathFunc }
func (f File) observeCall() string {
	if f.Absent {
		return "_fm_path " + Quote(f.Path)
	}
	return "_fm_path " + Quote(f.Path) + " content"
}
func (f File) Observe() string { return observeWith(f) }
func (f File) observeGroup() (*batchGroup, groupArg, bool) {
	return observePath(f.Path, !f.Absent)
}

func (f File) Parse(stdout string, exitCode int) (State, error) {
	s, err := parseObserved(f.ID(), stdout, exitCode, "present")
	if err != nil {
		return nil, err
	}
	if m, ok := s["mode"]; ok {
		s["mode"] = canonicalMode(m)
	}
	return s, nil
}

func (f File) Plan(observed State) Change {
	return planPresence(f.Desired(), observed, f.Sensitive(), f.Absent)
}

// Apply writes the file atomically: the content (standard input) goes to a
// temporary file in the same directory, is checked against its digest
// (a truncated transfer never lands), gets its owner and mode, and is
// renamed over the path. The parent directory is made (0755) if missing.
// When only mode or ownership change, they are set in place.
func (f File) Apply(c Change) (string, []byte) {
	p := Quote(f.Path)
	notDir := "if [ -d " + p + " ] && [ ! -L " + p + " ]; then\n\t" +
		"echo " + Quote("fundament: "+f.Path+" is a directory, not a file") + " >&2\n\texit 1\nfi\n"
	if c.Op == OpDelete || f.Absent {
		return "set -e\n" + notDir + "rm -f -- " + p + "\n", nil
	}
	own := Quote(f.owner() + ":" + f.group())
	if c.Op == OpUpdate && len(c.Fields) > 0 && onlyAttrs(c) {
		return "set -e\nchown " + own + " " + p + "\nchmod " + f.mode() + " " + p + "\n", nil
	}
	dir := Quote(path.Dir(f.Path))
	want := Digest(f.Content)
	script := "set -e\n" + notDir +
		"[ -d " + dir + " ] || (umask 022 && mkdir -p -- " + dir + ")\n" +
		"_fm_t=$(mktemp " + dir + "/.fundament.XXXXXXXX)\n" +
		"trap 'rm -f -- \"$_fm_t\"' EXIT\n" +
		"cat >\"$_fm_t\"\n" +
		"_fm_s=$(sha256sum <\"$_fm_t\")\n" +
		"if [ \"sha256:${_fm_s%% *}\" != " + Quote(want) + " ]; then\n" +
		"\techo " + Quote("fundament: "+f.Path+": content arrived incomplete, file left unchanged") + " >&2\n\texit 1\nfi\n" +
		"chown " + own + " \"$_fm_t\"\n" +
		"chmod " + f.mode() + " \"$_fm_t\"\n" +
		"mv -f -- \"$_fm_t\" " + p + "\n"
	if f.Content == nil {
		return script, []byte{}
	}
	return script, f.Content
}

// onlyAttrs reports whether a change touches nothing but mode and owners.
func onlyAttrs(c Change) bool {
	for _, fc := range c.Fields {
		switch fc.Field {
		case "mode", "owner", "group":
		default:
			return false
		}
	}
	return true
}
