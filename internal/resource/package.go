package resource

import (
	"fmt"
	"regexp"
	"strings"
)

// Package is a Debian package, installed (at Version, "" = any version)
// or (Absent) not installed.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Source names the AptSource resource (on the same host) the package
	// comes from, "" = the distribution. The catalog should order the
	// package after it: see Deps.
	Source string `json:"source,omitempty"`
	// Absent removes the package (apt-get remove: its configuration
	// files stay).
	Absent bool `json:"absent,omitempty"`
}

var (
	rePackage = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$`)
	reVersion = regexp.MustCompile(`^[A-Za-z0-9.+~:-]*$`)
)

func (p Package) ID() ID { return ID{Kind: KindPackage, Name: p.Name} }

func (p Package) Validate() error {
	if !rePackage.MatchString(p.Name) {
		return fmt.Errorf("%q is not a Debian package name", p.Name)
	}
	if !reVersion.MatchString(p.Version) {
		return fmt.Errorf("%q is not a Debian version", p.Version)
	}
	if p.Absent && p.Version != "" {
		return fmt.Errorf("an absent package has no version")
	}
	if p.Source != "" && !reSourceName.MatchString(p.Source) {
		return fmt.Errorf("source %q is not an apt source name", p.Source)
	}
	return nil
}

// Deps lists the resources the package needs first: its AptSource.
func (p Package) Deps() []ID {
	if p.Source == "" {
		return nil
	}
	return []ID{{Kind: KindAptSource, Name: p.Source}}
}

func (p Package) Desired() State {
	if p.Absent {
		return State{"present": "false"}
	}
	s := State{"present": "true"}
	if p.Version != "" {
		s["version"] = p.Version
	}
	return s
}

func (p Package) Sensitive() []string { return nil }

// packageFunc prints present=true and the version of an installed
// package; present=false (and dpkg's status, if it knows the package) for
// any other state: not installed, removed with its configuration left,
// half-installed, ...
var packageFunc = shellFunc{Name: "_fm_pkg", Def: strings.ReplaceAll(`_fm_pkg() {
	_fm_s=$(dpkg-query -W -f='${Status}<TAB>${Version}\n' "$1" 2>/dev/null | head -n 1)
	case $_fm_s in
	*" installed<TAB>"*)
		echo present=true
		printf 'version=%s\n' "${_fm_s#*<TAB>}"
		;;
	*)
		echo present=false
		[ -z "$_fm_s" ] || printf 'status=%s\n' "${_fm_s%%<TAB>*}"
		;;
	esac
	return 0
}`, "<TAB>", "\t")}

func (p Package) observeFunc() shellFunc { return packageFunc }
func (p Package) observeCall() string    { return "_fm_pkg " + Quote(p.Name) }
func (p Package) Observe() string        { return observeWith(p) }

// observeGroup leaves a name with an architecture (name:arch) alone: only
// a plain name is matched exactly by the name dpkg-query prints.
func (p Package) observeGroup() (*batchGroup, groupArg, bool) {
	ok := rePackage.MatchString(p.Name) && !strings.Contains(p.Name, ":")
	return packageGroup, groupArg{Name: p.Name}, ok
}

func (p Package) Parse(stdout string, exitCode int) (State, error) {
	return parseObserved(p.ID(), stdout, exitCode, "present")
}

func (p Package) Plan(observed State) Change {
	return planPresence(p.Desired(), observed, nil, p.Absent)
}

// Apply installs or upgrades with InstallScript (no service starts or
// restarts by itself); a removal lets the package's scripts stop its
// service, which goes with it.
func (p Package) Apply(c Change) (string, []byte) {
	if c.Op == OpDelete || p.Absent {
		return "set -e\nexport DEBIAN_FRONTEND=noninteractive\n" +
			"apt-get remove -y -o DPkg::Lock::Timeout=600 " + Quote(p.Name) + "\n", nil
	}
	return InstallScript([]Package{p}), nil
}

// InstallScript installs (and removes, for Absent ones) many packages in
// one apt-get call, for the engine to batch a host's packages. It waits
// for the dpkg lock, never asks (keeping changed configuration files),
// installs no recommended packages, and allows downgrades to a pinned
// version. When apt cannot install (an unknown package or version: the
// package lists are missing or stale) it updates the lists and tries
// once more, so the script is also safe to repeat after a failure.
//
// No maintainer script starts, stops or restarts a service meanwhile
// (see denyServiceActions): which services run, and when a clustered one
// restarts, is the engine's business, through the service resources
// subscribed to their packages and their rolling groups' gates.
func InstallScript(pkgs []Package) string {
	var args []string
	pinned := false
	for _, p := range pkgs {
		switch {
		case p.Absent:
			args = append(args, Quote(p.Name+"-"))
		case p.Version != "":
			args = append(args, Quote(p.Name+"="+p.Version))
			pinned = true
		default:
			args = append(args, Quote(p.Name))
		}
	}
	if len(args) == 0 {
		return ":\n"
	}
	opts := "-y --no-install-recommends -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold"
	if pinned {
		opts += " --allow-downgrades"
	}
	list := strings.Join(args, " ")
	return "set -e\n" +
		"export DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1\n" +
		denyServiceActions() +
		"if ! apt-get install " + opts + " " + list + "; then\n" +
		"\tapt-get update -o DPkg::Lock::Timeout=600\n" +
		"\tapt-get install " + opts + " " + list + "\n" +
		"fi\n"
}

// policyRCD is where invoke-rc.d and deb-systemd-invoke, which maintainer
// scripts call to start, stop and restart services, ask the local policy
// first (exit 101: not allowed). A variable for the tests.
var policyRCD = "/usr/sbin/policy-rc.d"

// policyMark is the line that makes a policy-rc.d Fundament's own.
const policyMark = "# fundament: no service actions while Fundament runs apt"

// denyServiceActions installs a policy-rc.d that denies every action
// until the script exits, however it exits (success, failure, a
// terminating signal). A policy-rc.d of the host's own (an image build's,
// an operator's) is set aside and put back; one of Fundament's that a
// killed run left is replaced and removed. Only SIGKILL of the script
// leaves the policy in place until the next install removes it.
func denyServiceActions() string {
	p := Quote(policyRCD)
	saved := Quote(policyRCD + ".fundament-saved")
	return "_fm_policy_restore() {\n" +
		"\tif [ -e " + saved + " ]; then mv -f " + saved + " " + p + "; else rm -f " + p + "; fi\n" +
		"}\n" +
		"if [ -e " + p + " ] && ! grep -qxF " + Quote(policyMark) + " " + p + "; then\n" +
		"\tmv -f " + p + " " + saved + "\n" +
		"fi\n" +
		"trap _fm_policy_restore EXIT\n" +
		"trap 'exit 129' HUP\ntrap 'exit 130' INT\ntrap 'exit 143' TERM\n" +
		"printf '#!/bin/sh\\n%s\\n# Services start and restart through the engine, not apt.\\nexit 101\\n' " + Quote(policyMark) + " >" + p + ".tmp\n" +
		"chmod 0755 " + p + ".tmp\n" +
		"mv -f " + p + ".tmp " + p + "\n"
}
