package resource

import (
	"fmt"
	"regexp"
	"strings"
)

// AptSource is an APT repository: the file
// /etc/apt/sources.list.d/<Name>.sources in deb822 format. After a change
// the package lists are updated.
type AptSource struct {
	Name string `json:"name"`
	URI  string `json:"uri"`
	// Suite is e.g. "trixie" or "trixie-backports" ("./" for a flat
	// repository, then without Components).
	Suite string `json:"suite"`
	// Components is space separated: "main contrib".
	Components string `json:"components,omitempty"`
	// SignedBy is the path of the keyring that signs the repository (put
	// there by a File resource), "" = the system's keys.
	SignedBy string `json:"signed_by,omitempty"`
	Absent   bool   `json:"absent,omitempty"`
}

var reSourceName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func (a AptSource) ID() ID { return ID{Kind: KindAptSource, Name: a.Name} }

func (a AptSource) Validate() error {
	if !reSourceName.MatchString(a.Name) {
		return fmt.Errorf("%q is not an apt source name (letters, digits, _ . -)", a.Name)
	}
	if a.Absent {
		return nil
	}
	if a.URI == "" || strings.ContainsAny(a.URI, " \t\n") {
		return fmt.Errorf("bad URI %q", a.URI)
	}
	if a.Suite == "" {
		return fmt.Errorf("empty suite")
	}
	for what, v := range map[string]string{"suite": a.Suite, "components": a.Components} {
		if err := checkLine(what, v); err != nil {
			return err
		}
	}
	if a.SignedBy != "" {
		if err := checkPath(a.SignedBy); err != nil {
			return fmt.Errorf("signed_by: %w", err)
		}
	}
	return nil
}

// Path is where the source is written.
func (a AptSource) Path() string { return "/etc/apt/sources.list.d/" + a.Name + ".sources" }

// Render is the deb822 text of the source.
func (a AptSource) Render() []byte {
	var b strings.Builder
	b.WriteString("# Written by fundament: changes here are overwritten.\n")
	b.WriteString("Types: deb\nURIs: " + a.URI + "\nSuites: " + a.Suite + "\n")
	if c := strings.Join(strings.Fields(a.Components), " "); c != "" {
		b.WriteString("Components: " + c + "\n")
	}
	if a.SignedBy != "" {
		b.WriteString("Signed-By: " + a.SignedBy + "\n")
	}
	return []byte(b.String())
}

// file is the source as a File: the observation and the write are a
// file's.
func (a AptSource) file() File {
	return File{Path: a.Path(), Content: a.Render(), Mode: "0644", Absent: a.Absent}
}

func (a AptSource) Desired() State      { return a.file().Desired() }
func (a AptSource) Sensitive() []string { return nil }

func (a AptSource) observeFunc() shellFunc { return pathFunc }
func (a AptSource) observeCall() string    { return a.file().observeCall() }
func (a AptSource) Observe() string        { return observeWith(a) }
func (a AptSource) observeGroup() (*batchGroup, groupArg, bool) {
	return a.file().observeGroup()
}

func (a AptSource) Parse(stdout string, exitCode int) (State, error) {
	s, err := a.file().Parse(stdout, exitCode)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.ID(), err)
	}
	return s, nil
}

func (a AptSource) Plan(observed State) Change { return a.file().Plan(observed) }

// Apply writes (or removes) the file, then updates the package lists. If
// the update fails the source stays written and the next plan sees no
// change; a package install from it updates the lists itself when it
// cannot find its package (see InstallScript).
func (a AptSource) Apply(c Change) (string, []byte) {
	script, stdin := a.file().Apply(c)
	return script + "apt-get update -o DPkg::Lock::Timeout=600\n", stdin
}
