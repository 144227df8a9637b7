package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/lab"
	goldenfile "github.com/fundament-cloud/fundament/internal/testutil/golden"
)

// labUpEvents is what lab up reports building both layers of the image and
// booting four nodes, at made-up times: stage, seconds into it, event.
func labUpEvents() []lab.Event {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var out []lab.Event
	began := map[string]time.Time{"": t0, lab.StageBase: t0, lab.StagePackages: t0.Add(193 * time.Second), lab.StageNodes: t0.Add(497 * time.Second)}
	add := func(stage string, sec float64, e lab.Event) {
		d := time.Duration(sec * float64(time.Second))
		e.Stage, e.Time, e.ElapsedMS = stage, began[stage].Add(d), d.Milliseconds()
		out = append(out, e)
	}
	step := func(stage string, sec float64, text string) {
		add(stage, sec, lab.Event{Type: lab.EventImageStep, Step: text})
	}
	prog := func(stage string, sec float64, text string, done, total int, unit string, pct float64) {
		add(stage, sec, lab.Event{Type: lab.EventImageProgress, Step: text, Done: done, Total: total, Unit: unit, Percent: pct})
	}
	add("", 0, lab.Event{Type: lab.EventImageLocked, Message: "another build of /var/cache/fundament/images runs; waiting for it"})
	add(lab.StageBase, 0, lab.Event{Type: lab.EventImageBuild, Message: "base-0338d72deffde35f: debootstrap trixie from http://deb.debian.org/debian"})
	step(lab.StageBase, 0.2, "Downloading Release file")
	prog(lab.StageBase, 0.2, "Downloading Release file", 0, 100, "", 0)
	prog(lab.StageBase, 0.9, "Downloading Release file", 100, 100, "", 100)
	step(lab.StageBase, 10, "Downloading packages")
	for i, pct := range []float64{0, 4, 9, 12, 13, 14, 15, 16, 35, 99.5, 100} {
		prog(lab.StageBase, 10+float64(i)*3, "Downloading packages", int(pct*1000), 100000, "", pct)
	}
	step(lab.StageBase, 50, "Extracting packages")
	for i := 1; i <= 12; i++ {
		prog(lab.StageBase, 50+float64(i)*0.1, "Extracting packages", i, 12, "packages", float64(i)*100/12)
	}
	add(lab.StageBase, 61, lab.Event{Type: lab.EventImageWarning, Message: "Retrying failed download of http://deb.debian.org/debian/pool/main/b/bash/bash_5.2.37-2_amd64.deb"})
	add(lab.StageBase, 192, lab.Event{Type: lab.EventImageBuilt, Message: "base-0338d72deffde35f"})
	add(lab.StagePackages, 0, lab.Event{Type: lab.EventImageBuild, Message: "layer-9d2c7e0b6a1f3c55: 41 packages"})
	step(lab.StagePackages, 1, "Updating the package lists")
	prog(lab.StagePackages, 2, "Updating the package lists", 3, 7, "files", 41.3)
	step(lab.StagePackages, 9, "Installing 41 packages and what they depend on")
	step(lab.StagePackages, 21, "Downloading packages")
	for i := 1; i <= 812; i += 29 {
		prog(lab.StagePackages, 21+float64(i)*0.05, "Downloading packages", i, 812, "packages", float64(i)*100/812)
	}
	step(lab.StagePackages, 80, "Unpacking and configuring packages")
	for i := 0; i <= 812; i += 7 {
		prog(lab.StagePackages, 80+float64(i)*0.25, "Unpacking and configuring packages", i, 812, "packages", float64(i)*100/812)
	}
	step(lab.StagePackages, 301, "Disabling the services the packages enabled")
	add(lab.StagePackages, 303, lab.Event{Type: lab.EventImageBuilt, Message: "layer-9d2c7e0b6a1f3c55"})
	add(lab.StageNodes, 0.4, lab.Event{Type: lab.EventNodesBooted, Nodes: []string{"ctl-1", "ctl-2", "leaf-1", "spine-1"}, Done: 4, Total: 4, Unit: "nodes"})
	waiting := []string{"ctl-1", "ctl-2", "leaf-1", "spine-1"}
	for s := 1; s <= 20; s++ {
		if s == 3 || s == 17 || s == 18 {
			add(lab.StageNodes, float64(s)-0.5, lab.Event{Type: lab.EventNodeReady, Node: waiting[0]})
			waiting = waiting[1:]
		}
		add(lab.StageNodes, float64(s), lab.Event{Type: lab.EventNodesWaiting, Done: 4 - len(waiting), Total: 4, Unit: "nodes", Nodes: waiting})
	}
	add(lab.StageNodes, 20.2, lab.Event{Type: lab.EventNodeReady, Node: waiting[0]})
	add(lab.StageNodes, 20.3, lab.Event{Type: lab.EventLabUp, Done: 4, Total: 4, Unit: "nodes", Message: "lab lab: 4 nodes up and reachable over SSH in 20.3s (image built in 8m15s)"})
	return out
}

func TestProgressViewGolden(t *testing.T) {
	for _, tc := range []struct {
		golden     string
		json, live bool
	}{
		{"lab-up-progress-log.txt", false, false},
		{"lab-up-progress-terminal.txt", false, true},
		{"lab-up-progress.jsonl", true, false},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var b bytes.Buffer
			v := &labView{w: &b, json: tc.json, live: tc.live}
			for _, e := range labUpEvents() {
				v.event(e)
			}
			v.done()
			// A terminal's rewritten line, visible in the golden file.
			got := strings.ReplaceAll(b.String(), "\r\x1b[K", "<rewrite>")
			goldenfile.Check(t, tc.golden, got)
		})
	}
}

// The throttles: a log gets a progress line at each tenth of a step (2 s
// apart at least), every 15 s and at its end, never one for 0% right after
// the step's line.
func TestProgressViewLogThrottle(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	v := &labView{w: &b}
	at := func(sec float64, pct float64) {
		v.event(lab.Event{Time: t0.Add(time.Duration(sec * float64(time.Second))), Type: lab.EventImageProgress, Stage: lab.StageBase, Step: "s", Percent: pct})
	}
	for _, c := range []struct {
		sec, pct float64
		shown    bool
	}{
		{0, 0, false},     // the step's first report: its line said it began
		{1, 5, false},     // within the first tenth
		{2, 10, true},     // the second tenth
		{3, 19, false},    // still the second
		{3.5, 25, false},  // the third, but only 1.5 s after the last line
		{18, 25, true},    // 15 s since the last line
		{19, 35, false},   // the fourth tenth, 1 s after the last line
		{19.5, 100, true}, // done: always
		{20, 100, false},
	} {
		b.Reset()
		at(c.sec, c.pct)
		if got := b.Len() > 0; got != c.shown {
			t.Errorf("at %vs, %v%%: shown %v, want %v (%q)", c.sec, c.pct, got, c.shown, b.String())
		}
	}
}
