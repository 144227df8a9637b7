package resource

import (
	"fmt"
	"regexp"
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
// not PID 1: a container, a chroot) the observed state is systemd=false.
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

// servicesFunc observes units with one systemctl call per host, however
// many units: systemctl show prints a block of properties per unit, in
// the order of its arguments, blocks separated by an empty line. Only
// when that call fails does it ask whether systemd runs the host at all
// (systemctl missing, or systemd not PID 1: a container, a chroot), and
// then prints the line N. A unit observed alone is a group of one, so
// alone and in a batch its output is the same.
var servicesFunc = shellFunc{Name: "_fm_svcs", Def: `_fm_svcs() {
	systemctl show -p Id,LoadState,UnitFileState,ActiveState -- "$@" 2>/dev/null && return 0
	case $(systemctl is-system-running 2>/dev/null) in
	'' | offline | unknown)
		echo N
		return 0
		;;
	esac
	echo "systemctl show $* failed on a host systemd runs:" $(systemctl show -p Id -- "$@" 2>&1 >/dev/null | head -n 3)
	return 1
}`}

var serviceGroup = &batchGroup{fn: servicesFunc, call: wordsCall(servicesFunc), split: splitServices}

func (s Service) observeFunc() shellFunc { return servicesFunc }
func (s Service) observeCall() string    { return "_fm_svcs " + Quote(s.Unit) }
func (s Service) Observe() string        { return observeWith(s) }
func (s Service) observeGroup() (*batchGroup, groupArg, bool) {
	return serviceGroup, groupArg{Name: s.Unit}, reUnit.MatchString(s.Unit)
}

// splitServices gives each unit its block of systemctl show's output (or
// the line N to all when systemd does not run the host). Fewer blocks
// than units fails every unit: blocks are matched by position.
func splitServices(args []groupArg, stdout string) []Section {
	if strings.TrimSpace(stdout) == "N" {
		return sameForAll(len(args), Section{Stdout: "N\n"})
	}
	blocks := strings.Split(strings.TrimRight(stdout, "\n"), "\n\n")
	if len(blocks) != len(args) {
		return sameForAll(len(args), Section{
			Stdout:   fmt.Sprintf("%d blocks of unit properties for %d units in the output\n", len(blocks), len(args)),
			ExitCode: 1})
	}
	out := make([]Section, len(args))
	for i, b := range blocks {
		out[i] = Section{Stdout: b + "\n"}
	}
	return out
}

// unitTypes are the suffixes systemd knows; a name without one means
// NAME.service.
var unitTypes = []string{".service", ".socket", ".target", ".device", ".mount", ".automount",
	".swap", ".timer", ".path", ".slice", ".scope"}

// unitID is the Id systemd gives the unit named n unless n is an alias.
func unitID(n string) string {
	for _, t := range unitTypes {
		if strings.HasSuffix(n, t) {
			return n
		}
	}
	return n + ".service"
}

// Parse derives enabled and running from the unit's properties. Unit
// file states that cannot be changed by enable/disable (static, indirect,
// generated, transient, and an alias: the name is not the unit's Id)
// count as the desired value, so they plan no endless change; a masked
// or missing unit is not enabled (and enabling it fails clearly).
func (s Service) Parse(stdout string, exitCode int) (State, error) {
	if exitCode == 0 && strings.TrimSpace(stdout) == "N" {
		return State{"systemd": "false"}, nil
	}
	p, err := parseObserved(s.ID(), stdout, exitCode, "Id", "LoadState", "UnitFileState", "ActiveState")
	if err != nil {
		return nil, err
	}
	st := State{"systemd": "true", "unit_file_state": p["UnitFileState"], "active_state": p["ActiveState"]}
	switch {
	case p["Id"] != unitID(s.Unit):
		st["unit_file_state"] = "alias"
	case st["unit_file_state"] == "" && p["LoadState"] == "not-found":
		st["unit_file_state"] = "not-found"
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
// (everything, when it says nothing). A change marked Restart (a
// subscribed file changes too) restarts a service that should run,
// whichever of its fields change: only enabling it would leave it
// running on the old file.
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
	switch {
	case s.Running && c.Restart: // whatever else changes: a subscribed file does
		script += "systemctl restart " + u + "\n"
	case run && s.Running:
		script += "systemctl start " + u + "\n"
	case run:
		script += "systemctl stop " + u + "\n"
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
