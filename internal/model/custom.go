package model

// CustomSet declares operators' own resources in services/*.yaml under the
// key custom: files, packages, services, commands and Ansible playbooks
// placed on hosts like any service. It is how an operator adds what the
// components do not manage (a monitoring agent, a motd, an in-house
// playbook), applied by the same engine with the same plan.
type CustomSet struct {
	Meta
	Name string `yaml:"name,required"`
	// Hosts selects where the set applies. Default: every host.
	Hosts       Placement          `yaml:"hosts"`
	Packages    []*CustomPackage   `yaml:"packages"`
	Directories []*CustomDirectory `yaml:"directories"`
	Files       []*CustomFile      `yaml:"files"`
	Symlinks    []*CustomSymlink   `yaml:"symlinks"`
	Groups      []*CustomGroup     `yaml:"groups"`
	Users       []*CustomUser      `yaml:"users"`
	Services    []*CustomService   `yaml:"services"`
	Commands    []*CustomCommand   `yaml:"commands"`
	Playbooks   []*CustomPlaybook  `yaml:"playbooks"`
}

// CustomPackage is a Debian package at a version ("" = whatever APT picks).
type CustomPackage struct {
	Meta
	Name    string `yaml:"name,required"`
	Version string `yaml:"version"`
}

// CustomDirectory is a directory.
type CustomDirectory struct {
	Meta
	Path  string `yaml:"path,required"`
	Mode  string `yaml:"mode"`
	Owner string `yaml:"owner"`
	Group string `yaml:"group"`
}

// CustomFile is a file. Its content is written inline, read from a file
// of the repository (source), or taken from a secret (content_secret:
// the file is then sensitive and its content is never shown).
type CustomFile struct {
	Meta
	Path          string `yaml:"path,required"`
	Content       string `yaml:"content"`
	Source        string `yaml:"source"`
	ContentSecret string `yaml:"content_secret"`
	Mode          string `yaml:"mode"`
	Owner         string `yaml:"owner"`
	Group         string `yaml:"group"`
	Absent        bool   `yaml:"absent"`
}

// CustomSymlink is a symbolic link.
type CustomSymlink struct {
	Meta
	Path   string `yaml:"path,required"`
	Target string `yaml:"target,required"`
}

// CustomGroup is a Unix group.
type CustomGroup struct {
	Meta
	Name   string `yaml:"name,required"`
	System bool   `yaml:"system"`
}

// CustomUser is a Unix user.
type CustomUser struct {
	Meta
	Name   string   `yaml:"name,required"`
	Group  string   `yaml:"group"`
	Groups []string `yaml:"groups"`
	Home   string   `yaml:"home"`
	Shell  string   `yaml:"shell"`
	System bool     `yaml:"system"`
}

// CustomService is a systemd unit.
type CustomService struct {
	Meta
	Unit string `yaml:"unit,required"`
	// Enabled and Running default to true.
	Enabled *bool `yaml:"enabled"`
	Running *bool `yaml:"running"`
	// RestartOn lists paths of files of this set; a change restarts the unit.
	RestartOn []string `yaml:"restart_on"`
}

// CustomCommand is a step run on the host. With a guard (a shell test
// that succeeds when the step is already done) it runs only when needed;
// without one it runs once per change of its script, recorded in the
// state database.
type CustomCommand struct {
	Meta
	Name   string `yaml:"name,required"`
	Script string `yaml:"script,required"`
	Guard  string `yaml:"guard"`
	// After lists commands of this set that must run first; files,
	// packages and directories of the set always come before commands.
	After []string `yaml:"after"`
}

// CustomPlaybook runs an Ansible playbook of the repository against the
// set's hosts, with an inventory Fundament generates.
type CustomPlaybook struct {
	Meta
	Name      string         `yaml:"name,required"`
	Playbook  string         `yaml:"playbook,required"`
	ExtraVars map[string]any `yaml:"extra_vars"`
}
