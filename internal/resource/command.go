package resource

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Command is a step that the host's state cannot describe as a thing:
// "initialise the database", "create the Keystone admin". It runs Script
// (POSIX sh, as root) unless it is done.
//
// Guard is a read-only shell snippet that exits 0 when the step is done
// already (like Ansible's creates or Puppet's unless); it runs during the
// observation (with Env, no standard input, at most GuardTimeout), so it
// must change nothing and be quick. Plan returns OpRun while the guard
// fails.
//
// Without a Guard the host cannot tell: Observe prints nothing and Plan
// always returns OpRun ("no guard: runs on every apply unless recorded
// done"). The engine then consults its state database: Command
// implements Recorded, and after a successful run the engine stores
// Digest(); while the stored digest is unchanged it does not run the
// command again. Changing the script, env or timeout runs it once more.
type Command struct {
	Name   string            `json:"name"`
	Script string            `json:"script"`
	Guard  string            `json:"guard,omitempty"`
	Env    map[string]string `json:"env,omitempty"`
	// Secret (JSON "sensitive") hides the script in plans (the env is
	// always hidden).
	Secret bool `json:"sensitive,omitempty"`
	// Timeout bounds the script (a Go duration: "10m"), "" = none. The
	// script is killed past it (SIGTERM, SIGKILL 10 s later).
	Timeout string `json:"timeout,omitempty"`
	// Idempotent declares that the script may run again after an attempt
	// that may have partly run (its time ran out, the connection dropped):
	// the engine then retries it. Otherwise it asks the guard, and without
	// one stops the host's run and reports (see resource.IsIdempotent).
	Idempotent bool `json:"idempotent,omitempty"`
}

// GuardTimeout bounds a guard in the observation.
const GuardTimeout = 60 * time.Second

var reEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c Command) ID() ID { return ID{Kind: KindCommand, Name: c.Name} }

func (c Command) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("command without a name")
	}
	if err := checkLine("name", c.Name); err != nil {
		return err
	}
	if strings.TrimSpace(c.Script) == "" {
		return fmt.Errorf("empty script")
	}
	for k := range c.Env {
		if !reEnvName.MatchString(k) {
			return fmt.Errorf("bad environment variable name %q", k)
		}
	}
	if c.Timeout != "" {
		d, err := time.ParseDuration(c.Timeout)
		if err != nil || d <= 0 {
			return fmt.Errorf("bad timeout %q (want a duration like 10m)", c.Timeout)
		}
	}
	return nil
}

// Desired is done=true for a guarded command, nothing otherwise.
func (c Command) Desired() State {
	if c.Guard == "" {
		return State{}
	}
	return State{"done": "true"}
}

func (c Command) Sensitive() []string {
	if c.Secret {
		return []string{"script", "env"}
	}
	return []string{"env"}
}

// exports sets the environment, sorted for stable scripts.
func (c Command) exports() string {
	keys := make([]string, 0, len(c.Env))
	for k := range c.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("export " + k + "=" + Quote(c.Env[k]) + "\n")
	}
	return b.String()
}

// Observe runs the guard in a subshell and prints done and the guard's
// exit status; without a guard it prints nothing.
func (c Command) Observe() string {
	if c.Guard == "" {
		return ""
	}
	secs := int(GuardTimeout / time.Second)
	return "_fm_r=0\n(\n" + c.exports() +
		shFromHereDoc("exec timeout -k 5 "+strconv.Itoa(secs), c.Guard) +
		") </dev/null >/dev/null 2>&1 || _fm_r=$?\n" +
		"if [ \"$_fm_r\" -eq 0 ]; then echo done=true; else echo done=false; fi\n" +
		"echo guard_exit=$_fm_r\n"
}

func (c Command) Parse(stdout string, exitCode int) (State, error) {
	if c.Guard == "" {
		return parseObserved(c.ID(), stdout, exitCode)
	}
	return parseObserved(c.ID(), stdout, exitCode, "done")
}

func (c Command) Plan(observed State) Change {
	if c.Guard != "" && observed["done"] == "true" {
		return Change{Op: OpNone}
	}
	ch := Change{Op: OpRun, Fields: []FieldChange{{Field: "script", New: c.Script}}}
	if c.Secret {
		ch.Fields[0] = FieldChange{Field: "script", Sensitive: true}
	}
	switch {
	case c.Guard == "":
		ch.Reason = "no guard: runs on every apply unless recorded done"
	case observed["guard_exit"] == "124" || observed["guard_exit"] == "137":
		ch.Reason = fmt.Sprintf("guard timed out after %s: not done", GuardTimeout)
	default:
		ch.Reason = "guard exited " + orDefault(observed["guard_exit"], "?") + ": not done"
	}
	return ch
}

// Apply is the script, with the environment exported (and under timeout
// when there is one).
func (c Command) Apply(Change) (string, []byte) {
	if c.Timeout == "" {
		return c.exports() + c.Script + "\n", nil
	}
	d, _ := time.ParseDuration(c.Timeout)
	secs := int(math.Ceil(d.Seconds()))
	return c.exports() + shFromHereDoc("exec timeout -k 10 "+strconv.Itoa(secs), c.Script), nil
}

// shFromHereDoc is a command line that runs script with /bin/sh after
// prefix (a timeout): the script reaches that shell on a here-document,
// not as an argument, since any user of the host can read a process's
// arguments, and a script may hold a secret. The shell parses the script
// whole (one brace group) before it runs it; the script's standard input
// is /dev/null, not the rest of the document. The delimiter is derived
// from the script, so no line of it can end the document early.
func shFromHereDoc(prefix, script string) string {
	delim := "_FUNDAMENT_SCRIPT_" + Digest([]byte(script))[len("sha256:"):][:16]
	return prefix + " /bin/sh -s <<'" + delim + "'\n{ exec </dev/null\n" + script + "\n}; exit\n" + delim + "\n"
}

// Digest identifies what a guard-less command does, for the engine's
// record (see Recorded); "" for a guarded command, whose guard tells.
func (c Command) Digest() string {
	if c.Guard != "" {
		return ""
	}
	return digestJSON(struct {
		Script  string            `json:"script"`
		Env     map[string]string `json:"env"`
		Timeout string            `json:"timeout"`
	}{c.Script, c.Env, c.Timeout})
}

// slowObservation: a guard may ask a service (a database, a cluster's
// CLI) and take a second or more; a batch runs guards at the same time.
func (c Command) slowObservation() bool { return c.Guard != "" }
