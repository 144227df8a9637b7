package resource

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestServiceParsePlan(t *testing.T) {
	s := Service{Unit: "chrony.service", Enabled: true, Running: true}
	// show is systemctl show's block for a unit.
	show := func(id, load, file, active string) string {
		return "Id=" + id + "\nLoadState=" + load + "\nActiveState=" + active + "\nUnitFileState=" + file + "\n"
	}
	tests := []struct {
		name   string
		svc    Service
		out    string
		op     Op
		fields []FieldChange
	}{
		{"as desired", s, show("chrony.service", "loaded", "enabled", "active"), OpNone, nil},
		{"stopped", s, show("chrony.service", "loaded", "enabled", "failed"), OpUpdate,
			[]FieldChange{{Field: "running", Old: "false", New: "true"}}},
		{"disabled and inactive", s, show("chrony.service", "loaded", "disabled", "inactive"), OpUpdate,
			[]FieldChange{{Field: "enabled", Old: "false", New: "true"}, {Field: "running", Old: "false", New: "true"}}},
		{"static counts as enabled", s, show("chrony.service", "loaded", "static", "activating"), OpNone, nil},
		{"static counts as disabled", Service{Unit: "x"}, show("x.service", "loaded", "static", "inactive"), OpNone, nil},
		{"an alias counts as either", Service{Unit: "sshd.service", Running: true}, show("ssh.service", "loaded", "enabled", "active"), OpNone, nil},
		{"masked", s, show("chrony.service", "masked", "masked", "inactive"), OpUpdate,
			[]FieldChange{{Field: "enabled", Old: "false", New: "true"}, {Field: "running", Old: "false", New: "true"}}},
		{"not found", s, show("chrony.service", "not-found", "", "inactive"), OpUpdate,
			[]FieldChange{{Field: "enabled", Old: "false", New: "true"}, {Field: "running", Old: "false", New: "true"}}},
		{"stop it", Service{Unit: "x", Enabled: true}, show("x.service", "loaded", "enabled", "active"), OpUpdate,
			[]FieldChange{{Field: "running", Old: "true", New: "false"}}},
		{"no systemd", s, "N\n", OpUpdate, []FieldChange{{Field: "systemd", Old: "false", New: "true"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := tt.svc.Parse(tt.out, 0)
			if err != nil {
				t.Fatal(err)
			}
			c := tt.svc.Plan(st)
			if c.Op != tt.op {
				t.Fatalf("op %s, want %s (%+v)", c.Op, tt.op, c)
			}
			if tt.fields != nil && !reflect.DeepEqual(c.Fields, tt.fields) {
				t.Fatalf("fields %+v, want %+v", c.Fields, tt.fields)
			}
		})
	}
	c := s.Plan(State{"systemd": "false"})
	if !strings.Contains(c.Reason, "systemd is not running") {
		t.Fatalf("reason %q", c.Reason)
	}
	script, _ := s.Apply(c)
	mustContain(t, "apply without systemd", script, "exit 1", "cannot manage chrony.service")
}

func TestServiceScripts(t *testing.T) {
	for _, s := range []Service{{Unit: "a.service", Enabled: true, Running: true}, {Unit: "getty@tty1.service"}} {
		checkScripts(t, s)
	}
	if !strings.Contains(Service{Unit: "a", Running: true}.RestartScript(), "systemctl restart 'a'") ||
		!strings.Contains(Service{Unit: "a"}.RestartScript(), "systemctl try-restart 'a'") {
		t.Fatal("restart verbs")
	}
	// A start whose subscriptions change too restarts: a unit its package
	// started since the plan runs with the new files.
	start := Change{Op: OpUpdate, Fields: []FieldChange{{Field: "running", Old: "false", New: "true"}}}
	if script, _ := (Service{Unit: "a", Running: true}).Apply(start); !strings.Contains(script, "systemctl start 'a'") {
		t.Errorf("a plain start:\n%s", script)
	}
	start.Restart = true
	if script, _ := (Service{Unit: "a", Running: true}).Apply(start); !strings.Contains(script, "systemctl restart 'a'") || strings.Contains(script, "systemctl start") {
		t.Errorf("a start marked Restart:\n%s", script)
	}
	// Only enabling a running unit whose file changes restarts it too; one
	// that should not run is not started by the mark.
	enable := Change{Op: OpUpdate, Restart: true, Fields: []FieldChange{{Field: "enabled", Old: "false", New: "true"}}}
	if script, _ := (Service{Unit: "a", Enabled: true, Running: true}).Apply(enable); !strings.Contains(script, "systemctl enable 'a'") || !strings.Contains(script, "systemctl restart 'a'") {
		t.Errorf("an enable marked Restart:\n%s", script)
	}
	if script, _ := (Service{Unit: "a", Enabled: true}).Apply(enable); strings.Contains(script, "restart") || strings.Contains(script, "systemctl start") {
		t.Errorf("an enable marked Restart of a unit that should not run:\n%s", script)
	}
	if err := (Service{Unit: "-x"}).Validate(); err == nil {
		t.Fatal("an option as unit name")
	}
}

// fakeSystemctl is a systemctl that keeps unit states in files under
// $FAKE_SYSTEMD and logs its calls there.
const fakeSystemctl = `#!/bin/sh
st=$FAKE_SYSTEMD
echo "$*" >>"$st/log"
booted() { [ "$(cat "$st/system" 2>/dev/null)" != offline ]; }
case $1 in
is-system-running) cat "$st/system" 2>/dev/null || echo running ;;
enable) echo enabled >"$st/$2.enabled" ;;
disable) echo disabled >"$st/$2.enabled" ;;
start | restart) touch "$st/$2.active" ;;
try-restart) ;;
stop) rm -f "$st/$2.active" ;;
show)
	if [ "$2" = -p ] && [ "$4" = -- ]; then
		booted || { echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2; exit 1; }
		[ ! -f "$st/showfails" ] || { echo "Failed to connect to bus: Connection refused" >&2; exit 1; }
		shift 4
		sep=
		for u; do
			printf "$sep"
			sep='\n'
			case $u in *.*) ;; *) u=$u.service ;; esac
			id=$u
			[ -f "$st/$u.id" ] && id=$(cat "$st/$u.id")
			load=loaded file=disabled active=inactive
			[ -f "$st/$u.enabled" ] && file=$(cat "$st/$u.enabled")
			[ -f "$st/$u.active" ] && active=active
			[ -f "$st/$u.missing" ] && load=not-found file=
			printf 'Id=%s\nLoadState=%s\nActiveState=%s\nUnitFileState=%s\n' "$id" "$load" "$active" "$file"
		done
	else
		echo no
	fi ;;
*) echo "fake systemctl: $*" >&2; exit 1 ;;
esac
`

func TestServiceFakeSystemctl(t *testing.T) {
	bin, state := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(fakeSystemctl), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_SYSTEMD="+state)
	log := func() string {
		b, _ := os.ReadFile(filepath.Join(state, "log"))
		os.Remove(filepath.Join(state, "log"))
		return string(b)
	}
	s := Service{Unit: "chrony.service", Enabled: true, Running: true}
	c := h.converge(s, OpUpdate)
	if len(c.Fields) != 2 {
		t.Fatalf("%+v", c)
	}
	mustContain(t, "log", log(), "enable chrony.service\nstart chrony.service\n")
	h.converge(s, OpNone)
	log()

	// Only what differs is done.
	os.Remove(filepath.Join(state, "chrony.service.active"))
	h.converge(s, OpUpdate)
	if l := log(); strings.Contains(l, "\nenable ") || !strings.Contains(l, "start chrony.service") {
		t.Fatalf("log %q", l)
	}
	s.Enabled, s.Running = false, false
	h.converge(s, OpUpdate)
	mustContain(t, "log", log(), "disable chrony.service\nstop chrony.service\n")

	// Restart: try-restart for a service that should not run.
	if res := h.run(s.RestartScript(), nil); res.ExitCode != 0 {
		t.Fatal(string(res.Stderr))
	}
	mustContain(t, "log", log(), "try-restart chrony.service")

	// systemctl failing where systemd runs: the observation fails, saying why.
	os.WriteFile(filepath.Join(state, "showfails"), nil, 0o644)
	res := h.run(s.Observe(), nil)
	if _, err := s.Parse(string(res.Stdout), res.ExitCode); err == nil || !strings.Contains(err.Error(), "Connection refused") {
		t.Fatalf("observation with systemctl failing: %v", err)
	}
	os.Remove(filepath.Join(state, "showfails"))

	// No systemd: the plan says so and the apply fails clearly.
	os.WriteFile(filepath.Join(state, "system"), []byte("offline\n"), 0o644)
	obs := h.observe(s)
	if !reflect.DeepEqual(obs, State{"systemd": "false"}) {
		t.Fatalf("%v", obs)
	}
	c = s.Plan(obs)
	if c.Op != OpUpdate {
		t.Fatalf("%+v", c)
	}
	res = h.tryApply(s, c)
	if res.ExitCode == 0 || !strings.Contains(string(res.Stderr), "systemd is not running") {
		t.Fatalf("%d %s", res.ExitCode, res.Stderr)
	}
}

func TestServiceNoSystemctl(t *testing.T) {
	// A PATH without systemctl: systemd=false, not a failed observation.
	bin := t.TempDir()
	for _, tool := range []string{"head", "printf"} {
		if p, err := lookPath(tool); err == nil {
			os.Symlink(p, filepath.Join(bin, tool))
		}
	}
	h := newHost(t, "PATH="+bin)
	if s := h.observe(Service{Unit: "x"}); s["systemd"] != "false" {
		t.Fatalf("%v", s)
	}
}
