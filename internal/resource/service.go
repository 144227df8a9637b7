package resource

import (
	"fmt"
	"regexp"
	"strconv"
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
// (everything, when it says nothing).
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
		if s.Running {
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
