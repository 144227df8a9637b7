package lab

import "time"

// Event reports what long lab work is doing (building the image, booting
// the nodes, waiting for them): the lab never prints; the CLI renders the
// events as text lines or streams them as JSON lines (`lab up -o json`).
// A field that does not apply to an event's type is left out of its JSON.
type Event struct {
	Time time.Time `json:"time"`
	Type string    `json:"type"`
	// Stage is what the event is about: "base" (the debootstrapped base
	// layer), "packages" (the release's packages layer) or "nodes".
	Stage string `json:"stage,omitempty"`
	// Step is what the stage is doing now, e.g. "Downloading packages".
	Step string `json:"step,omitempty"`
	// Done of Total units of the step; Unit is "packages", "files",
	// "nodes" or "" when the numbers are only a measure of the step's
	// progress (debootstrap counts bytes and work items).
	Done  int    `json:"done,omitempty"`
	Total int    `json:"total,omitempty"`
	Unit  string `json:"unit,omitempty"`
	// Percent of the step done, 0 to 100.
	Percent float64 `json:"percent,omitempty"`
	// ElapsedMS is the time since the stage began, in milliseconds.
	ElapsedMS int64 `json:"elapsed_ms"`
	// Node is the node of a node-ready event; Nodes the nodes an event
	// names (booted now, or waited for).
	Node    string   `json:"node,omitempty"`
	Nodes   []string `json:"nodes,omitempty"`
	Message string   `json:"message,omitempty"`
}

// Event types.
const (
	EventImageLocked   = "image-locked"   // another build of the cache runs: waiting for it
	EventImageCached   = "image-cached"   // the stage's layer is in the cache (Message: its name)
	EventImageBuild    = "image-build"    // building the stage's layer begins (Message: what goes into it)
	EventImageStep     = "image-step"     // the build began Step
	EventImageProgress = "image-progress" // Done of Total, Percent of Step
	EventImageWarning  = "image-warning"  // a warning of debootstrap (Message)
	EventImageBuilt    = "image-built"    // the stage's layer is built, in ElapsedMS
	EventNodesBooted   = "nodes-booted"   // Nodes were powered on (Done) of Total
	EventNodeReady     = "node-ready"     // Node answers over SSH with systemd running
	EventNodesWaiting  = "nodes-waiting"  // Done of Total nodes answer; Nodes still do not
	EventLabUp         = "lab-up"         // every node is up (Message: the summary line)
)

// Stages.
const (
	StageBase     = "base"
	StagePackages = "packages"
	StageNodes    = "nodes"
)

// Progress receives events; nil discards them. It may be called from
// several goroutines.
type Progress func(Event)

// Emit stamps e with the time, its stage and the time since the stage
// began, and reports it.
func (p Progress) Emit(stage string, start time.Time, e Event) {
	if p == nil {
		return
	}
	e.Time = time.Now()
	e.Stage = stage
	e.ElapsedMS = e.Time.Sub(start).Milliseconds()
	p(e)
}

// Elapsed is the time since the event's stage began.
func (e Event) Elapsed() time.Duration { return time.Duration(e.ElapsedMS) * time.Millisecond }
