package resource

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// User is a local account.
type User struct {
	Name string `json:"name"`
	UID  int    `json:"uid,omitempty"` // 0 = any
	// Group is the primary group, "" = a group named like the user
	// (created with the user when it does not exist).
	Group string `json:"group,omitempty"`
	// Home and Shell, "" = not managed (useradd's defaults at creation).
	// The home directory is made at creation for non-system users only:
	// a system user's home (/var/lib/<name>) is a Directory resource or
	// its package's business.
	Home  string `json:"home,omitempty"`
	Shell string `json:"shell,omitempty"`
	// System creates the user as a system user (UID from the system
	// range); it is not checked afterwards.
	System bool `json:"system,omitempty"`
	// Groups are supplementary groups the user must be in, at least:
	// memberships added by others (a package putting a user into its
	// group) are kept.
	Groups []string `json:"groups,omitempty"`
	// Absent deletes the account (userdel, keeping its files).
	Absent bool `json:"absent,omitempty"`
}

func (u User) ID() ID { return ID{Kind: KindUser, Name: u.Name} }

func (u User) Validate() error {
	if err := checkAccount("user", u.Name, false); err != nil {
		return err
	}
	if u.UID < 0 {
		return fmt.Errorf("negative uid")
	}
	if err := checkAccount("group", u.Group, true); err != nil {
		return err
	}
	for _, g := range u.Groups {
		if err := checkAccount("group", g, false); err != nil {
			return err
		}
	}
	if u.Home != "" {
		if err := checkPath(u.Home); err != nil {
			return fmt.Errorf("home: %w", err)
		}
	}
	if u.Shell != "" {
		if err := checkPath(u.Shell); err != nil {
			return fmt.Errorf("shell: %w", err)
		}
	}
	return nil
}

func (u User) group() string { return orDefault(u.Group, u.Name) }

// groups is the desired supplementary groups, sorted, without repeats.
func (u User) groups() []string {
	return sortedSet(u.Groups)
}

func (u User) Desired() State {
	if u.Absent {
		return State{"present": "false"}
	}
	s := State{"present": "true", "group": u.group()}
	if u.UID > 0 {
		s["uid"] = strconv.Itoa(u.UID)
	}
	if u.Home != "" {
		s["home"] = u.Home
	}
	if u.Shell != "" {
		s["shell"] = u.Shell
	}
	if g := u.groups(); len(g) > 0 {
		s["groups"] = strings.Join(g, ",")
	}
	return s
}

func (u User) Sensitive() []string { return nil }

// userFunc prints uid, primary group (name), home, shell and all the
// groups the user is in (comma separated, primary included).
var userFunc = shellFunc{Name: "_fm_user", Def: `_fm_user() {
	if _fm_e=$(getent passwd "$1"); then
		echo present=true
		printf '%s\n' "$_fm_e" | {
			IFS=: read -r _fm_n _fm_x _fm_u _fm_g _fm_c _fm_h _fm_s
			printf 'uid=%s\nhome=%s\nshell=%s\n' "$_fm_u" "$_fm_h" "$_fm_s"
			if _fm_gr=$(getent group "$_fm_g"); then
				printf 'group=%s\n' "${_fm_gr%%:*}"
			else
				printf 'group=%s\n' "$_fm_g"
			fi
		}
		printf 'groups=%s\n' "$(id -Gn "$1" 2>/dev/null | tr ' ' ',')"
	else
		echo present=false
	fi
	return 0
}`}

func (u User) observeFunc() shellFunc { return userFunc }
func (u User) observeCall() string    { return "_fm_user " + Quote(u.Name) }
func (u User) Observe() string        { return observeWith(u) }

func (u User) Parse(stdout string, exitCode int) (State, error) {
	s, err := parseObserved(u.ID(), stdout, exitCode, "present")
	if err != nil {
		return nil, err
	}
	if g, ok := s["groups"]; ok {
		s["groups"] = strings.Join(sortedSet(strings.Split(g, ",")), ",")
	}
	return s, nil
}

// Plan compares groups as "at least": when the user is in every desired
// group (and maybe more) the field is satisfied; otherwise the change
// shows the groups the user is in and those it will be in.
func (u User) Plan(observed State) Change {
	desired := u.Desired()
	if want, ok := desired["groups"]; ok && observed["present"] == "true" {
		have := sortedSet(strings.Split(observed["groups"], ","))
		union := sortedSet(append(have, strings.Split(want, ",")...))
		desired["groups"] = strings.Join(union, ",")
	}
	return planPresence(desired, observed, nil, u.Absent)
}

// Apply creates the account (useradd; usermod when it exists already, so
// a repeated create is safe), changes the differing fields (usermod; only
// missing groups are added) or deletes it (userdel).
func (u User) Apply(c Change) (string, []byte) {
	n := Quote(u.Name)
	if c.Op == OpDelete || u.Absent {
		return "set -e\nif getent passwd " + n + " >/dev/null; then userdel " + n + "; fi\n", nil
	}
	if c.Op == OpCreate || len(c.Fields) == 0 {
		var add []string
		if u.System {
			add = append(add, "--system")
		} else if u.Home != "" {
			add = append(add, "--create-home")
		}
		add = append(add, u.modArgs()...)
		g := Quote(u.group())
		mod := u.modArgs()
		if len(u.groups()) > 0 {
			mod = append(mod, "-a", "-G", Quote(strings.Join(u.groups(), ",")))
		}
		if len(u.groups()) > 0 {
			add = append(add, "-G", Quote(strings.Join(u.groups(), ",")))
		}
		script := "set -e\nif getent passwd " + n + " >/dev/null; then\n" +
			"\tusermod " + strings.Join(append(mod, "-g", g, n), " ") + "\n"
		if u.Group == "" {
			// A user group: reuse it if it exists, else useradd makes it.
			script += "elif ! getent group " + g + " >/dev/null; then\n" +
				"\tuseradd " + strings.Join(append(add, "-U", n), " ") + "\n"
		}
		return script + "else\n\tuseradd " + strings.Join(append(add, "-g", g, n), " ") + "\nfi\n", nil
	}
	var args []string
	for _, f := range c.Fields {
		switch f.Field {
		case "uid":
			args = append(args, "-u", strconv.Itoa(u.UID))
		case "group":
			args = append(args, "-g", Quote(u.group()))
		case "home":
			args = append(args, "-d", Quote(u.Home))
		case "shell":
			args = append(args, "-s", Quote(u.Shell))
		case "groups":
			args = append(args, "-a", "-G", Quote(strings.Join(u.groups(), ",")))
		}
	}
	if len(args) == 0 {
		return ":\n", nil
	}
	return "set -e\nusermod " + strings.Join(args, " ") + " " + n + "\n", nil
}

// modArgs are the useradd/usermod options for uid, home and shell.
func (u User) modArgs() []string {
	var args []string
	if u.UID > 0 {
		args = append(args, "-u", strconv.Itoa(u.UID))
	}
	if u.Home != "" {
		args = append(args, "-d", Quote(u.Home))
	}
	if u.Shell != "" {
		args = append(args, "-s", Quote(u.Shell))
	}
	return args
}

func sortedSet(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Group is a local group.
type Group struct {
	Name   string `json:"name"`
	GID    int    `json:"gid,omitempty"` // 0 = any
	System bool   `json:"system,omitempty"`
	Absent bool   `json:"absent,omitempty"`
}

func (g Group) ID() ID { return ID{Kind: KindGroup, Name: g.Name} }

func (g Group) Validate() error {
	if g.GID < 0 {
		return fmt.Errorf("negative gid")
	}
	return checkAccount("group", g.Name, false)
}

func (g Group) Desired() State {
	if g.Absent {
		return State{"present": "false"}
	}
	s := State{"present": "true"}
	if g.GID > 0 {
		s["gid"] = strconv.Itoa(g.GID)
	}
	return s
}

func (g Group) Sensitive() []string { return nil }

var groupFunc = shellFunc{Name: "_fm_group", Def: `_fm_group() {
	if _fm_e=$(getent group "$1"); then
		echo present=true
		_fm_e=${_fm_e#*:}
		_fm_e=${_fm_e#*:}
		printf 'gid=%s\n' "${_fm_e%%:*}"
	else
		echo present=false
	fi
	return 0
}`}

func (g Group) observeFunc() shellFunc { return groupFunc }
func (g Group) observeCall() string    { return "_fm_group " + Quote(g.Name) }
func (g Group) Observe() string        { return observeWith(g) }

func (g Group) Parse(stdout string, exitCode int) (State, error) {
	return parseObserved(g.ID(), stdout, exitCode, "present")
}

func (g Group) Plan(observed State) Change {
	return planPresence(g.Desired(), observed, nil, g.Absent)
}

func (g Group) Apply(c Change) (string, []byte) {
	n := Quote(g.Name)
	if c.Op == OpDelete || g.Absent {
		return "set -e\nif getent group " + n + " >/dev/null; then groupdel " + n + "; fi\n", nil
	}
	var add []string
	if g.System {
		add = append(add, "--system")
	}
	gid := ""
	if g.GID > 0 {
		gid = "-g " + strconv.Itoa(g.GID) + " "
	}
	script := "set -e\nif ! getent group " + n + " >/dev/null; then\n" +
		"\tgroupadd " + strings.Join(add, " ") + sp(len(add)) + gid + n + "\n"
	if gid != "" {
		script += "else\n\tgroupmod " + gid + n + "\n"
	}
	return script + "fi\n", nil
}

func sp(n int) string {
	if n > 0 {
		return " "
	}
	return ""
}
