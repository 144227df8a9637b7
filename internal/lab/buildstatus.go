package lab

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// statusParser turns the machine-readable status lines of an image build
// into progress events (without time and stage: the caller stamps them).
// Three sources write to the same descriptor:
//
//   - debootstrap --debian-installer: "P: NOW END NAME", "PA: ARG",
//     "PF: FORMAT" (progress), the same with I/IA/IF (information), W
//     (warnings) and E (errors); and "P: NOW END" alone while wget
//     downloads;
//   - apt with APT::Status-Fd: "dlstatus:ITEM:PERCENT:Retrieving file I of
//     N" and "pmstatus:PACKAGE:PERCENT:DESCRIPTION" (dpkg's progress),
//     "pmerror:PACKAGE:PERCENT:MESSAGE";
//   - the build script: "fundament-step:KEY:TEXT" before each of its steps.
//
// Anything else is ignored: a line it does not understand costs a progress
// report, never the build.
type statusParser struct {
	step     string // the current step's key (debootstrap's NAME, a script key, an apt phase)
	stepText string
	// msg is a debootstrap message whose format line has not come yet.
	msg *diMessage
	// high is the most the step's progress has reached; debs are the
	// packages debootstrap downloads, fetched those it has.
	high, debs, fetched int
	// The script's step ("update", "install", ...) tells what apt's
	// downloads are for.
	scriptStep string
	// Packages the install step downloads: the total of dpkg's step.
	packages  int
	installed map[string]bool
	errors    []string
}

type diMessage struct {
	kind     string // P, I, W, E
	name     string
	now, end int
	args     []string
}

// debootstrapSteps are the information messages that start a step of
// their own (no progress message follows them for a while); the others
// name single packages or files.
var debootstrapSteps = map[string]bool{
	"RESOLVEREQ": true, "RESOLVEBASE": true, "INSTCORE": true, "UNPACKREQ": true,
	"CONFREQ": true, "UNPACKBASE": true, "CONFBASE": true,
}

// debootstrapUnits: the steps whose numbers count packages; the others
// count bytes or work items, of which only the percentage means something.
var debootstrapUnits = map[string]string{"SIZEDEBS": "packages", "EXTRACTPKGS": "packages"}

// line parses one line and returns the events it causes.
func (p *statusParser) line(s string) []Event {
	s = strings.TrimRight(s, "\r\n")
	if key, value, ok := strings.Cut(s, ": "); ok && len(key) <= 2 && key != "" && key == strings.ToUpper(key) {
		return p.debootstrap(key, value)
	}
	kind, rest, _ := strings.Cut(s, ":")
	switch kind {
	case "fundament-step":
		key, text, _ := strings.Cut(rest, ":")
		p.scriptStep = key
		return p.begin(key, text)
	case "dlstatus":
		return p.download(rest)
	case "pmstatus":
		return p.dpkg(rest)
	case "pmerror":
		if pkg, _, msg, ok := aptFields(rest); ok {
			p.errors = append(p.errors, pkg+": "+msg)
		}
	}
	return nil
}

// errs are the errors the build reported (debootstrap's E: messages,
// apt's pmerror lines): in the error of a failed build.
func (p *statusParser) errs() []string { return p.errors }

// begin starts step key (shown as text) unless it is the current one.
func (p *statusParser) begin(key, text string) []Event {
	p.stepText = text
	if key == p.step {
		return nil
	}
	p.step, p.high = key, 0
	return []Event{{Type: EventImageStep, Step: text}}
}

// progress is an image-progress event; its percentage is between 0 and
// 100, to a tenth.
func (p *statusParser) progress(text string, done, total int, unit string, percent float64) Event {
	switch {
	case !(percent >= 0): // NaN too
		percent = 0
	case percent > 100:
		percent = 100
	}
	percent = math.Round(percent*10) / 10
	return Event{Type: EventImageProgress, Step: text, Done: done, Total: total, Unit: unit, Percent: percent}
}

// debootstrap handles one line of its --debian-installer protocol: a
// message is a header line, argument lines and a format line.
func (p *statusParser) debootstrap(key, value string) []Event {
	switch key {
	case "P", "I", "W", "E":
		var out []Event
		if p.msg != nil { // a message without its format line
			out = p.finish(p.msg.name)
		}
		m := &diMessage{kind: key, name: value}
		if key == "P" {
			f := strings.Fields(value)
			if len(f) < 2 {
				p.msg = nil
				return out
			}
			now, err1 := strconv.Atoi(f[0])
			end, err2 := strconv.Atoi(f[1])
			if err1 != nil || err2 != nil {
				p.msg = nil
				return out
			}
			m.now, m.end, m.name = now, end, strings.Join(f[2:], " ")
			if m.name == "" {
				// wget's progress within the current step: no format follows.
				p.msg = nil
				if p.step == "" {
					return out
				}
				return append(out, p.diProgress(now, end))
			}
		}
		p.msg = m
		return out
	case "PA", "IA", "WA", "EA":
		if p.msg != nil && p.msg.kind == key[:1] {
			p.msg.args = append(p.msg.args, value)
		}
	case "PF", "IF", "WF", "EF":
		if p.msg != nil && p.msg.kind == key[:1] {
			return p.finish(printfArgs(value, p.msg.args))
		}
	}
	return nil
}

// finish turns the pending message, its text now known, into events.
func (p *statusParser) finish(text string) []Event {
	m := p.msg
	p.msg = nil
	text = strings.TrimSuffix(strings.TrimSpace(text), "...")
	switch m.kind {
	case "P":
		out := p.begin(m.name, text)
		if m.name == "SIZEDEBS" {
			p.debs = m.end
		}
		return append(out, p.diProgress(m.now, m.end))
	case "I":
		if debootstrapSteps[m.name] {
			return p.begin(m.name, text)
		}
		if m.name == "VALIDATING" && p.step == "DOWNDEBS" && p.fetched < p.debs {
			p.fetched++
		}
	case "W":
		return []Event{{Type: EventImageWarning, Message: text}}
	case "E":
		p.errors = append(p.errors, text)
	}
	return nil
}

// diProgress is debootstrap's progress in the current step. Its numbers
// never go back: while wget fetches a package, debootstrap scales the
// file's percentage to the bytes of all packages so far, so only a file's
// end is right. Downloading packages also counts the packages (each is
// validated once fetched) of those it found the sizes of.
func (p *statusParser) diProgress(now, end int) Event {
	p.high = max(p.high, now)
	percent := percentOf(p.high, end)
	if p.step == "DOWNDEBS" && p.debs > 0 {
		return p.progress(p.stepText, p.fetched, p.debs, "packages", percent)
	}
	return p.progress(p.stepText, p.high, end, debootstrapUnits[p.step], percent)
}

// download handles apt's "ITEM:PERCENT:MESSAGE": the package lists while
// the script updates them, the packages while it installs.
func (p *statusParser) download(rest string) []Event {
	item, percent, msg, ok := aptNumbers(rest)
	if !ok {
		return nil
	}
	key, text, unit := p.step, p.stepText, "files"
	if p.scriptStep != "update" {
		key, text, unit = "download", "Downloading packages", "packages"
	}
	total := ofTotal(item, msg)
	if key == "download" && total > p.packages {
		p.packages = total
	}
	out := p.begin(key, text)
	return append(out, p.progress(text, item, total, unit, percent))
}

// dpkg handles apt's "PACKAGE:PERCENT:DESCRIPTION" of dpkg's work: one
// step, as apt unpacks and configures in turns, its percentage apt's own.
// The packages done are those installed ("Installed PACKAGE": apt in a
// chroot without locales writes English) of those the install step
// downloaded.
func (p *statusParser) dpkg(rest string) []Event {
	pkg, percent, desc, ok := aptFields(rest)
	if !ok || pkg == "dpkg-exec" {
		return nil
	}
	if p.installed == nil {
		p.installed = map[string]bool{}
	}
	if strings.HasPrefix(desc, "Installed ") {
		p.installed[pkg] = true
	}
	out := p.begin("dpkg", "Unpacking and configuring packages")
	return append(out, p.progress(p.stepText, len(p.installed), p.packages, "packages", percent))
}

// aptFields splits "PACKAGE:PERCENT:TEXT"; a package name may carry its
// architecture ("libc6:amd64").
func aptFields(rest string) (pkg string, percent float64, text string, ok bool) {
	f := strings.SplitN(rest, ":", 3)
	if len(f) < 3 {
		return "", 0, "", false
	}
	if v, err := strconv.ParseFloat(f[1], 64); err == nil {
		return f[0], v, f[2], true
	}
	g := strings.SplitN(f[2], ":", 2)
	if len(g) < 2 {
		return "", 0, "", false
	}
	v, err := strconv.ParseFloat(g[0], 64)
	if err != nil {
		return "", 0, "", false
	}
	return f[0], v, g[1], true
}

// aptNumbers splits dlstatus's "ITEM:PERCENT:TEXT".
func aptNumbers(rest string) (item int, percent float64, text string, ok bool) {
	f := strings.SplitN(rest, ":", 3)
	if len(f) < 3 {
		return 0, 0, "", false
	}
	item, err1 := strconv.Atoi(f[0])
	percent, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil {
		return 0, 0, "", false
	}
	return item, percent, f[2], true
}

// ofTotal finds N in "Retrieving file I of N (...)": the number after the
// item's own (in any language that keeps that order), 0 if there is none.
func ofTotal(item int, msg string) int {
	var nums []int
	for _, f := range strings.FieldsFunc(msg, func(r rune) bool { return r < '0' || r > '9' }) {
		if n, err := strconv.Atoi(f); err == nil {
			nums = append(nums, n)
		}
	}
	if len(nums) >= 2 && nums[0] == item && nums[1] >= item {
		return nums[1]
	}
	return 0
}

func percentOf(done, total int) float64 {
	if total <= 0 {
		return 0
	}
	return float64(done) * 100 / float64(total)
}

// printfArgs fills a debootstrap format (printf's %s and %d) with its
// arguments; what is missing stays empty.
func printfArgs(format string, args []string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		switch format[i] {
		case '%':
			b.WriteByte('%')
		case 's', 'd', 'i', 'u':
			if len(args) > 0 {
				b.WriteString(args[0])
				args = args[1:]
			}
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

// runStatus is run with a status descriptor: the program finds the write
// end of a pipe as its descriptor 3, and status gets every line written
// to it, as it comes.
func runStatus(ctx context.Context, log io.Writer, status func(string), name string, args ...string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	var tail tailBuffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = io.MultiWriter(log, &tail)
	cmd.Stderr = cmd.Stdout
	cmd.ExtraFiles = []*os.File{w}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", describe(name, args), err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if len(line) > 4096 {
				line = line[:4096]
			}
			if line != "" {
				status(line)
			}
			if err != nil {
				return
			}
		}
	}()
	err = cmd.Wait()
	// A process the program left behind could keep the pipe open: what it
	// has not written a moment after the program ended is not waited for.
	r.SetReadDeadline(time.Now().Add(2 * time.Second))
	<-read
	if err != nil {
		return fmt.Errorf("%s: %w%s", describe(name, args), err, tail.String())
	}
	return nil
}
