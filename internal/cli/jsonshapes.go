package cli

import (
	"github.com/fundament-cloud/fundament/internal/engine"
	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/lab"
	"github.com/fundament-cloud/fundament/internal/state"
)

// The shapes of -o json that are not a package's own type (those are
// inventoryJSON, diag.Report, plan.Plan, versionInfo, the scs views, ...).
// Slices are never null: a script iterates them without a check.

// applySummary is the last line apply prints with -o json (after one
// engine.Event per line), the same shape whether it ran or found nothing
// to change.
type applySummary struct {
	Type      string `json:"type"` // "summary"
	Run       string `json:"run"`  // the run's id; "" when nothing was to change
	OK        bool   `json:"ok"`
	Cancelled bool   `json:"cancelled"`
	// Changes are the plan's actions (0: every host had its desired state).
	Changes int `json:"changes"`
	// Error is why the run as a whole failed (a cycle in its graph, a
	// record that could not be written); "" otherwise.
	Error        string          `json:"error,omitempty"`
	Summary      string          `json:"summary"` // "N succeeded, N failed, ..."
	Results      []engine.Result `json:"results"`
	HostsSkipped []string        `json:"hosts_skipped"` // unreachable when planned
}

// statusJSON is `status -o json`.
type statusJSON struct {
	Status  health.Status   `json:"status"` // the worst
	Results []health.Result `json:"results"`
}

// logsJSON is `logs RUN -o json`.
type logsJSON struct {
	Run     state.Run      `json:"run"`
	Actions []state.Action `json:"actions"`
}

// lockJSON is `lock -o json`.
type lockJSON struct {
	Held   bool           `json:"held"`
	Holder state.LockInfo `json:"holder"`
	Stale  bool           `json:"stale"`
}

// lockBreakJSON is `lock break -o json`.
type lockBreakJSON struct {
	Broken bool            `json:"broken"` // false: there was no lock
	Holder *state.LockInfo `json:"holder"` // the lock broken, null without one
}

// hostKeyForgetJSON is `hostkeys forget HOST -o json`.
type hostKeyForgetJSON struct {
	Forgot string `json:"forgot"` // the host
}

// initJSON is `init -o json`.
type initJSON struct {
	Dir      string   `json:"dir"`
	Template string   `json:"template"`
	Files    []string `json:"files"`
}

// secretsGenerateJSON is `secrets generate -o json`.
type secretsGenerateJSON struct {
	Identity string   `json:"identity"` // the age identity's file
	Created  []string `json:"created"`
	Rotated  []string `json:"rotated"`
}

// secretRow is one element of `secrets list -o json`.
type secretRow struct {
	Name        string `json:"name"`
	Present     bool   `json:"present"`
	Required    bool   `json:"required"`
	Description string `json:"description,omitempty"`
}

// secretJSON is `secrets show NAME -o json`: the one output that holds a
// secret's value.
type secretJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// renderedSwitch is one file `render sonic --out DIR -o json` wrote.
type renderedSwitch struct {
	Switch string `json:"switch"`
	Path   string `json:"path"`
}

// renderSonicJSON is `render sonic --out DIR -o json`.
type renderSonicJSON struct {
	Switches []renderedSwitch `json:"switches"`
}

// sonicDiffJSON is `render sonic --diff -o json`.
type sonicDiffJSON struct {
	Switches []switchDiff `json:"switches"`
	Changes  int          `json:"changes"`
}

// rotateKeysJSON is `openstack rotate-keys REPO -o json`: secret names,
// never values.
type rotateKeysJSON struct {
	Repository string   `json:"repository"`
	Primary    string   `json:"primary"`
	Staged     string   `json:"staged"`
	Purged     []string `json:"purged"`
	Keys       []string `json:"keys"`
}

// labStatusJSON is `lab status -o json`.
type labStatusJSON struct {
	Nodes []lab.NodeStatus `json:"nodes"`
	Cuts  []string         `json:"cuts"`
}

// labStopJSON is `lab stop NODE... -o json`.
type labStopJSON struct {
	Stopped []string `json:"stopped"`
}

// labStartJSON is `lab start NODE... -o json`.
type labStartJSON struct {
	Started []string `json:"started"`
}

// labCutJSON is `lab cut A B -o json`: the links taken down.
type labCutJSON struct {
	Cut []string `json:"cut"`
}

// labHealJSON is `lab heal -o json`: the links put back.
type labHealJSON struct {
	Healed []string `json:"healed"`
}

// labDownJSON is `lab down -o json`.
type labDownJSON struct {
	Lab  string `json:"lab"` // the prefix
	Down bool   `json:"down"`
}
