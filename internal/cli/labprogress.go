package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fundament-cloud/fundament/internal/lab"
)

// labView renders the progress of `lab up` (lab.Event): with -o json one
// event per line, as apply streams its events; as text a line per step,
// and the progress within a step either rewriting one line (a terminal)
// or, where lines cannot be rewritten (CI logs, files), a line at every
// tenth of the step or every 15 seconds.
type labView struct {
	mu sync.Mutex
	w  io.Writer
	// ctl, when set, takes the terminal's own control sequences (w
	// escapes them: globals.stdout); else w does.
	ctl  io.Writer
	json bool
	live bool
	// shown: a progress line is on the terminal, to be rewritten.
	shown bool
	// The step of the last progress line, when it was printed and at
	// which tenth of the step.
	step  string
	at    time.Time
	tenth int
}

// Throttles: a terminal's line is rewritten at most 5 times a second; a
// log gets a progress line every 15 seconds and at each tenth of the step,
// but not more often than every 2 seconds (a step done in a moment would
// print ten lines); a JSON stream gets at most one progress event a second
// per step. The step's end (100%) is always shown.
const (
	liveEvery   = 200 * time.Millisecond
	logEvery    = 15 * time.Second
	logTenthGap = 2 * time.Second
	jsonEvery   = time.Second
)

func newLabView(g *globals) *labView {
	return &labView{w: g.stdout, ctl: g.rawOut, json: g.json(), live: isTerminal(g.rawOut)}
}

// isTerminal: w is a terminal that understands rewriting a line.
func isTerminal(w io.Writer) bool {
	if u, ok := w.(interface{ Unwrap() io.Writer }); ok {
		w = u.Unwrap()
	}
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (v *labView) event(e lab.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	progress := e.Type == lab.EventImageProgress || e.Type == lab.EventNodesWaiting
	if progress && !v.due(e) {
		return
	}
	if v.json {
		b, _ := json.Marshal(e)
		fmt.Fprintf(v.w, "%s\n", b)
		return
	}
	line := labEventText(e)
	switch {
	case line == "":
	case progress && v.live:
		v.rewind()
		fmt.Fprint(v.w, line)
		v.shown = true
	default:
		v.clear()
		fmt.Fprintln(v.w, line)
	}
}

// due says whether a progress event is shown, and notes it if so.
func (v *labView) due(e lab.Event) bool {
	key := e.Stage + "\x00" + e.Step
	tenth := int(e.Percent / 10)
	if e.Type == lab.EventNodesWaiting {
		tenth = 0 // the waiting nodes' names matter, not how many answered
	}
	if key != v.step {
		// The step line said it began; a log needs no 0% line after it.
		v.step, v.at, v.tenth = key, e.Time, tenth
		return v.json || v.live || tenth > 0
	}
	every := logEvery
	switch {
	case v.json:
		every = jsonEvery
	case v.live:
		every = liveEvery
	}
	since := e.Time.Sub(v.at)
	last := e.Percent >= 100 && v.tenth < 10
	nextTenth := !v.json && !v.live && tenth > v.tenth && since >= logTenthGap
	if since < every && !last && !nextTenth {
		return false
	}
	v.at, v.tenth = e.Time, tenth
	return true
}

// done ends the progress: the terminal's progress line goes.
func (v *labView) done() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clear()
}

func (v *labView) clear() {
	if v.shown {
		v.rewind()
		v.shown = false
	}
}

// rewind takes the cursor back to the start of a cleared line.
func (v *labView) rewind() {
	ctl := v.ctl
	if ctl == nil {
		ctl = v.w
	}
	fmt.Fprint(ctl, "\r\x1b[K")
}

// labEventText is an event's line: what, the stage, the time into it.
func labEventText(e lab.Event) string {
	head := fmt.Sprintf("%-5s %-8s %5s  ", "image", e.Stage, clock(e.Elapsed()))
	switch e.Type {
	case lab.EventImageLocked:
		return fmt.Sprintf("%-5s %-8s %5s  %s", "image", "", "", e.Message)
	case lab.EventImageCached:
		return fmt.Sprintf("%-5s %-8s %5s  from the cache: %s", "image", e.Stage, "", e.Message)
	case lab.EventImageBuild:
		return head + "building " + e.Message
	case lab.EventImageStep:
		return head + e.Step
	case lab.EventImageProgress:
		return head + e.Step + " " + amount(e)
	case lab.EventImageWarning:
		return head + "warning: " + e.Message
	case lab.EventImageBuilt:
		return head + "built " + e.Message
	}
	head = fmt.Sprintf("%-14s %5s  ", "nodes", clock(e.Elapsed()))
	switch e.Type {
	case lab.EventNodesBooted:
		if e.Done == 0 {
			return head + fmt.Sprintf("all %d nodes were running", e.Total)
		}
		return head + fmt.Sprintf("booted %d of %d nodes", e.Done, e.Total)
	case lab.EventNodesWaiting:
		return head + fmt.Sprintf("%d of %d answer over SSH; waiting for %s", e.Done, e.Total, names(e.Nodes, 6))
	}
	return "" // node-ready and lab-up: the summary says it
}

// amount is "3/12 (25%)", or "25%" for a step whose numbers are not of
// things (the unit is in the JSON). 99.5% is not shown as done.
func amount(e lab.Event) string {
	pct := fmt.Sprintf("%d%%", int(e.Percent))
	switch {
	case e.Unit != "" && e.Total > 0:
		return fmt.Sprintf("%d/%d (%s)", e.Done, e.Total, pct)
	case e.Unit != "" && e.Done > 0:
		return fmt.Sprintf("%d %s (%s)", e.Done, e.Unit, pct)
	}
	return pct
}

// clock is m:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// names lists at most n of ns and says how many more there are.
func names(ns []string, n int) string {
	if len(ns) <= n {
		return strings.Join(ns, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ns[:n], ", "), len(ns)-n)
}
