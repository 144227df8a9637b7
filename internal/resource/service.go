package resource

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Service is a systemd unit, enabled (at boot) or not, running or not.
//
// Subscribes lists resources (on the same host) whose change restarts
// the service: the engine decides the restart and runs RestartScript;
// Plan and Apply never restart.
//
// On a host where systemd does not run (systemctl missing, or systemd
// not PID 1: a container, a chroot) the observation says systemd=false.
// Plan then returns OpUpdate with the field "systemd" (false -> true) and
// Reason explaining it, and Apply's script fails with that explanation:
// the plan shows the problem and an apply stops there, rather than
// pretending the service is as desired.
type Service struct {
	Unit       string `json:"unit"`
	Enabled    bool   `json:"enabled"`
	Running    bool   `json:"running"`
	Subscribes []ID   `json:"subscribes,omitempty"`
}

var reUnit = regexp.MustCompile(`^[A-Za-z0-9:_.@\\][A-Za-z0-9:_.@\\-]*$`)

func (s Service) ID() ID { return ID{Kind: KindService, Name: s.Unit} }

func (s Service) Validate() error {
	if !reUnit.MatchString(s.Unit) {
		return fmt.Errorf("%q is not a systemd unit name", s.Unit)
	}
	for _, id := range s.Subscribes {
		if id.Kind == "" || id.Name == "" {
			return fmt.Errorf("subscribes to an incomplete id %q", id)
		}
	}
	return nil
}

func (s Service) Desired() State {
	return State{
		"systemd": "true",
		"enabled": strconv.FormatBool(s.Enabled),
		"running": strconv.FormatBool(s.Running),
	}
}

func (s Service) Sensitive() []string { return nil }

// serviceFunc prints systemd=false when systemd is not running the host;
// otherwise the raw answers of is-enabled and is-active, which Parse
// turns into enabled and running.
var serviceFunc = shellFunc{Name: "_fm_svc", Def: `_fm_svc() {
	case $(systemctl is-system-running 2>/dev/null) in
	'' | offline | unknown)
		echo systemd=false
		return 0
		;;
	esac
	echo systemd=true
	printf 'unit_file_state=%s\n' "$(systemctl is-enabled "$1" 2>/dev/null | head -n 1)"
	printf 'active_state=%s\n' "$(systemctl is-active "$1" 2>/dev/null | head -n 1)"
	return 0
}`}

func (s Service) observeFunc() shellFunc { return serviceFunc }
func (s Service) observeCall() string    { return "_fm_svc " + Quote(s.Unit) }
func (s Service) Observe() string        { return observeWith(s) }
func (s Service) observeGroup() (*batchGroup, groupArg, bool) {
	return serviceGroup, groupArg{Name: s.Unit}, reUnit.MatchString(s.Unit)
}

// servicesFunc asks whether systemd runs the host once for all the units,
// then, per unit, what serviceFunc asks (the same two commands, their
// first lines taken without head): a line N when systemd does not run the
// host, else a line per unit (U, unit, unit file state, active state).
var servicesFunc = shellFunc{Name: "_fm_svcs", Def: `_fm_svcs() {
	case $(systemctl is-system-running 2>/dev/null) in
	'' | offline | unknown)
		echo N
		return 0
		;;
	esac
	_fm_nl='
'
	for _fm_u; do
		_fm_en=$(systemctl is-enabled "$_fm_u" 2>/dev/null)
		_fm_ac=$(systemctl is-active "$_fm_u" 2>/dev/null)
		printf 'U\t%s\t%s\t%s\n' "$_fm_u" "${_fm_en%%"$_fm_nl"*}" "${_fm_ac%%"$_fm_nl"*}"
	done
	return 0
}`}

var serviceGroup = &batchGroup{fn: servicesFunc, call: wordsCall(servicesFunc), split: splitServices}

// splitServices gives each unit what serviceFunc prints for it. A unit
// without its line fails its observation.
func splitServices(args []groupArg, stdout string) []Section {
	lines := strings.Split(stdout, "\n")
	if slices.Contains(lines, "N") {
		return sameForAll(len(args), Section{Stdout: "systemd=false\n"})
	}
	states := map[string]string{}
	for _, line := range lines {
		f := strings.Split(line, "\t")
		if len(f) == 4 && f[0] == "U" {
			states[f[1]] = "systemd=true\nunit_file_state=" + f[2] + "\nactive_state=" + f[3] + "\n"
		}
	}
	out := make([]Section, len(args))
	for i, a := range args {
		if st, ok := states[a.Name]; ok {
			out[i] = Section{Stdout: st}
		} else {
			out[i] = Section{Stdout: "no state of " + a.Name + " in the output\n", ExitCode: 1}
		}
	}
	return out
}

// Parse derives enabled and running. Unit file states that cannot be
// changed by enable/disable (static, indirect, generated, transient,
// alias) count as the desired value, so they plan no endless change; a
// masked or missing unit is not enabled (and enabling it fails clearly).
func (s Service) Parse(stdout string, exitCode int) (State, error) {
	st, err := parseObserved(s.ID(), stdout, exitCode, "systemd")
	if err != nil {
		return nil, err
	}
	if st["systemd"] != "true" {
		return State{"systemd": "false"}, nil
	}
	switch st["unit_file_state"] {
	case "enabled", "enabled-runtime":
		st["enabled"] = "true"
	case "static", "indirect", "generated", "transient", "alias":
		st["enabled"] = strconv.FormatBool(s.Enabled)
	default: // disabled, masked, linked, not-found, "" ...
		st["enabled"] = "false"
	}
	switch st["active_state"] {
	case "active", "activating", "reloading", "refreshing":
		st["running"] = "true"
	default: // inactive, failed, deactivating, maintenance, ""
		st["running"] = "false"
	}
	return st, nil
}

func (s Service) Plan(observed State) Change {
	if observed["systemd"] == "false" {
		return Change{Op: OpUpdate,
			Fields: []FieldChange{{Field: "systemd", Old: "false", New: "true"}},
			Reason: "systemd is not running this host (not PID 1, or no systemctl): " + s.Unit + " cannot be managed"}
	}
	fields := Diff(s.Desired(), observed, nil)
	if len(fields) == 0 {
		return Change{Op: OpNone}
	}
	return Change{Op: OpUpdate, Fields: fields}
}

// reload makes systemd re-read unit files when the unit's changed.
func (s Service) reload() string {
	return "if [ \"$(systemctl show -p NeedDaemonReload --value " + Quote(s.Unit) + " 2>/dev/null)\" = yes ]; then\n" +
		"\tsystemctl daemon-reload\nfi\n"
}

// Apply enables or disables, then starts or stops, as the change says
// (everything, when it says nothing); a start restarts when the change
// is marked Restart (a subscribed file changes too).
func (s Service) Apply(c Change) (string, []byte) {
	if f, ok := changes(c, "systemd"); ok && f.Old != "true" {
		return fail("systemd is not running this host (not PID 1, or no systemctl): cannot manage " + s.Unit), nil
	}
	u := Quote(s.Unit)
	script := "set -e\n" + s.reload()
	_, en := changes(c, "enabled")
	_, run := changes(c, "running")
	if len(c.Fields) == 0 {
		en, run = true, true
	}
	if en {
		if s.Enabled {
			script += "systemctl enable " + u + "\n"
		} else {
			script += "systemctl disable " + u + "\n"
		}
	}
	if run {
		if s.Running && c.Restart {
			script += "systemctl restart " + u + "\n"
		} else if s.Running {
			script += "systemctl start " + u + "\n"
		} else {
			script += "systemctl stop " + u + "\n"
		}
	}
	return script, nil
}

// RestartScript restarts the service: "restart" when it should run (a
// stopped one starts), "try-restart" when it should not (a stopped one
// stays stopped). Changed unit files are reloaded first.
func (s Service) RestartScript() string {
	verb := "try-restart"
	if s.Running {
		verb = "restart"
	}
	return "set -e\n" + s.reload() + "systemctl " + verb + " " + Quote(s.Unit) + "\n"
}
