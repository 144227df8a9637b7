// Package ini writes the INI-style files of systemd and friends: sections
// in the order added, keys in the order added, repeated keys allowed
// (systemd-networkd's Address=, VLAN=).
package ini

import "strings"

// File is an INI file under construction.
type File struct {
	header   string
	sections []*Section
}

// Section is one [Name] section.
type Section struct {
	name string
	keys []kv
}

type kv struct{ k, v string }

// New starts a file whose first lines are the comment header.
func New(header string) *File { return &File{header: header} }

// Section adds a section (a name may repeat: networkd's [Route], [BridgeVLAN]).
func (f *File) Section(name string) *Section {
	s := &Section{name: name}
	f.sections = append(f.sections, s)
	return s
}

// Set adds key=value; an empty value is left out.
func (s *Section) Set(key, value string) *Section {
	if value != "" {
		s.keys = append(s.keys, kv{key, value})
	}
	return s
}

// String renders the file; sections without keys are left out.
func (f *File) String() string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(f.header), "\n") {
		if line != "" {
			b.WriteString("# " + line + "\n")
		}
	}
	for _, s := range f.sections {
		if len(s.keys) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("[" + s.name + "]\n")
		for _, x := range s.keys {
			b.WriteString(x.k + "=" + x.v + "\n")
		}
	}
	return b.String()
}
