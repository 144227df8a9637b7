package lab

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

func step(text string) Event { return Event{Type: EventImageStep, Step: text} }

func prog(text string, done, total int, unit string, percent float64) Event {
	return Event{Type: EventImageProgress, Step: text, Done: done, Total: total, Unit: unit, Percent: percent}
}

func TestStatusParser(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines string
		want  []Event
		errs  []string
	}{
		{
			name: "debootstrap progress: a step, its progress, wget's progress within it",
			lines: `P: 0 100 DOWNREL
PF: Downloading Release file
P: 40 100
P: 100 100 DOWNREL
PF: Downloading Release file
P: 0 7 DOWNPKGS
PF: Downloading Packages files`,
			want: []Event{
				step("Downloading Release file"), prog("Downloading Release file", 0, 100, "", 0),
				prog("Downloading Release file", 40, 100, "", 40),
				prog("Downloading Release file", 100, 100, "", 100),
				step("Downloading Packages files"), prog("Downloading Packages files", 0, 7, "", 0),
			},
		},
		{
			name: "debootstrap downloading packages: counted, and its bytes never go back (recorded)",
			lines: `P: 163 163 SIZEDEBS
PF: Finding package sizes
P: 0 60409076 DOWNDEBS
PF: Downloading packages
I: RETRIEVING
IA: adduser
IA: 3.152
IF: Retrieving %s %s
P: 49642 60409076
P: 190932 60409076
I: VALIDATING
IA: adduser
IA: 3.152
IF: Validating %s %s
I: RETRIEVING
IA: apt
IA: 3.0.4
IF: Retrieving %s %s
P: 49324 60409076
P: 1644160 60409076
I: VALIDATING
IA: apt
IA: 3.0.4
IF: Validating %s %s`,
			want: []Event{
				step("Finding package sizes"), prog("Finding package sizes", 163, 163, "packages", 100),
				step("Downloading packages"), prog("Downloading packages", 0, 163, "packages", 0),
				prog("Downloading packages", 0, 163, "packages", 0.1),
				prog("Downloading packages", 0, 163, "packages", 0.3),
				prog("Downloading packages", 1, 163, "packages", 0.3),
				prog("Downloading packages", 1, 163, "packages", 2.7),
			},
		},
		{
			name: "debootstrap arguments fill the format; package counts have a unit",
			lines: `P: 3 12 EXTRACTPKGS
PA: ignored
PF: Extracting packages
P: 12 12 EXTRACTPKGS
PF: Extracting packages`,
			want: []Event{
				step("Extracting packages"), prog("Extracting packages", 3, 12, "packages", 25),
				prog("Extracting packages", 12, 12, "packages", 100),
			},
		},
		{
			name: "debootstrap information: steps start, per-package messages do not",
			lines: `I: RESOLVEREQ
IF: Resolving dependencies of required packages...
I: RETRIEVING
IA: Packages
IA: trixie
IF: Retrieving %s %s
I: INSTCORE
IF: Installing core packages...
P: 1 40 INSTCORE
PF: Installing core packages
I: UNPACKING
IA: libc6
IF: Unpacking %s...`,
			want: []Event{
				step("Resolving dependencies of required packages"),
				step("Installing core packages"), prog("Installing core packages", 1, 40, "", 2.5),
			},
		},
		{
			name: "debootstrap warnings are events, errors are kept for the build's error",
			lines: `W: RETRYING
WA: http://deb.debian.org/debian/pool/main/b/bash/bash_5.2.37-2_amd64.deb
WF: Retrying failed download of %s
E: COULDNTDL
EA: bash
EF: Couldn't download package %s (100% sure)`,
			want: []Event{{Type: EventImageWarning, Message: "Retrying failed download of http://deb.debian.org/debian/pool/main/b/bash/bash_5.2.37-2_amd64.deb"}},
			errs: []string{"Couldn't download package bash (100% sure)"},
		},
		{
			name: "a message whose format never came ends at the next one",
			lines: `P: 1 2 DOWNREL
P: 2 2 DOWNRELSIG
PF: Downloading Release file signature`,
			want: []Event{
				step("DOWNREL"), prog("DOWNREL", 1, 2, "", 50),
				step("Downloading Release file signature"), prog("Downloading Release file signature", 2, 2, "", 100),
			},
		},
		{
			name: "apt: lists updated, packages downloaded, unpacked and configured (apt 3.0, recorded)",
			lines: `fundament-step:update:Updating the package lists
dlstatus:1:0.0000:Retrieving file 1 of 4
dlstatus:4:92.5000:Retrieving file 4 of 4
fundament-step:install:Installing 2 packages
dlstatus:1:0.0000:Retrieving file 1 of 3
dlstatus:2:41.2000:Retrieving file 2 of 3 (12s remaining)
dlstatus:3:100.0000:Retrieving file 3 of 3
pmstatus:dpkg-exec:0.0000:Running dpkg
pmstatus:libext2fs2t64:0.0000:Preparing libext2fs2t64 (amd64)
pmstatus:libext2fs2t64:0.0377:Unpacking libext2fs2t64 (amd64)
pmstatus:libext2fs2t64:0.0754:Installing libext2fs2t64 (amd64)
pmstatus:libss2:0.1131:Unpacking libss2 (amd64)
pmstatus:dpkg-exec:0.2262:Running dpkg
pmstatus:libext2fs2t64:0.2262:Preparing to configure libext2fs2t64 (amd64)
pmstatus:libext2fs2t64:0.2639:Configuring libext2fs2t64 (amd64)
pmstatus:libext2fs2t64:0.3015:Installed libext2fs2t64 (amd64)
pmstatus:libext2fs2t64:0.3015:Installed libext2fs2t64 (amd64)
pmstatus:man-db:90.0000:Running post-installation trigger man-db (amd64)
pmstatus:libss2:100:Installed libss2 (amd64)
fundament-step:services:Disabling the services the packages enabled`,
			want: []Event{
				step("Updating the package lists"),
				prog("Updating the package lists", 1, 4, "files", 0),
				prog("Updating the package lists", 4, 4, "files", 92.5),
				step("Installing 2 packages"),
				step("Downloading packages"),
				prog("Downloading packages", 1, 3, "packages", 0),
				prog("Downloading packages", 2, 3, "packages", 41.2),
				prog("Downloading packages", 3, 3, "packages", 100),
				step("Unpacking and configuring packages"),
				prog("Unpacking and configuring packages", 0, 3, "packages", 0),
				prog("Unpacking and configuring packages", 0, 3, "packages", 0),
				prog("Unpacking and configuring packages", 0, 3, "packages", 0.1),
				prog("Unpacking and configuring packages", 0, 3, "packages", 0.1),
				prog("Unpacking and configuring packages", 0, 3, "packages", 0.2),
				prog("Unpacking and configuring packages", 0, 3, "packages", 0.3),
				prog("Unpacking and configuring packages", 1, 3, "packages", 0.3),
				prog("Unpacking and configuring packages", 1, 3, "packages", 0.3),
				prog("Unpacking and configuring packages", 1, 3, "packages", 90),
				prog("Unpacking and configuring packages", 2, 3, "packages", 100),
				step("Disabling the services the packages enabled"),
			},
		},
		{
			name: "apt: a package with its architecture, an error",
			lines: `fundament-step:install:Installing 1 package
pmstatus:libc6:amd64:10.0000:Unpacking libc6 (amd64)
pmstatus:libc6:amd64:20.0000:Installed libc6 (amd64)
pmerror:broken:30.0000:installed broken package post-installation script subprocess returned error exit status 1`,
			want: []Event{
				step("Installing 1 package"),
				step("Unpacking and configuring packages"),
				prog("Unpacking and configuring packages", 0, 0, "packages", 10),
				prog("Unpacking and configuring packages", 1, 0, "packages", 20),
			},
			errs: []string{"broken: installed broken package post-installation script subprocess returned error exit status 1"},
		},
		{
			name: "apt in another language: the total is the number after the item's",
			lines: `fundament-step:install:x
dlstatus:2:10.0000:Datei 2 von 9 wird heruntergeladen
dlstatus:3:20.0000:no numbers`,
			want: []Event{
				step("x"), step("Downloading packages"),
				prog("Downloading packages", 2, 9, "packages", 10),
				prog("Downloading packages", 3, 0, "packages", 20),
			},
		},
		{
			name:  "what is not status is ignored",
			lines: "\nW:\nP: x y Z\nP: 1\nPF: orphan format\ndlstatus:a:b:c\npmstatus:x\npmstatus:x:y:z\nhello: world\nfundament-step\n",
			want:  nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p statusParser
			var got []Event
			for _, l := range strings.Split(tc.lines, "\n") {
				got = append(got, p.line(l+"\n")...)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("events:\n%s\nwant:\n%s", dump(got), dump(tc.want))
				for i := range min(len(got), len(tc.want)) {
					if !reflect.DeepEqual(got[i], tc.want[i]) {
						t.Errorf("first difference: %#v, want %#v", got[i], tc.want[i])
						break
					}
				}
			}
			if !reflect.DeepEqual(p.errs(), tc.errs) {
				t.Errorf("errors %q, want %q", p.errs(), tc.errs)
			}
		})
	}
}

func dump(es []Event) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "  %s %q %q %d/%d %s %.2f\n", e.Type, e.Step, e.Message, e.Done, e.Total, e.Unit, e.Percent)
	}
	return b.String()
}

func FuzzStatusParser(f *testing.F) {
	for _, s := range []string{
		"P: 0 100 DOWNREL\nPA: x\nPF: Downloading %s %d %% %q %",
		"I: RESOLVEREQ\nIF: Resolving",
		"E: X\nEA: a\nEF: %s%s%s",
		"fundament-step:install:Installing\ndlstatus:1:0.0000:Retrieving file 1 of 3\npmstatus:foo:amd64:1.5:Unpacking foo",
		"pmstatus:a:b:c:d\npmerror:a:1:b\nP: 1 0\nP: -5 -7 X\nPF: y",
		"fundament-step:install:x\ndlstatus:1:NaN:x\npmstatus:x:+Inf:y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p statusParser
		for _, l := range strings.Split(s, "\n") {
			for _, e := range p.line(l) {
				if e.Percent < 0 || e.Percent > 100 || e.Percent != e.Percent {
					t.Fatalf("percent %v of %q", e.Percent, l)
				}
				if e.Type == "" {
					t.Fatalf("an event without a type from %q", l)
				}
			}
		}
	})
}

// runStatus hands over what the program writes to descriptor 3, line by
// line, while its output goes to the log; a failure ends with that output.
func TestRunStatus(t *testing.T) {
	var log strings.Builder
	var lines []string
	err := runStatus(context.Background(), &log, func(l string) { lines = append(lines, l) },
		"/bin/sh", "-c", "echo 'P: 1 2 X' >&3; echo out; printf 'PF: no newline' >&3")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"P: 1 2 X\n", "PF: no newline"}; !reflect.DeepEqual(lines, want) {
		t.Errorf("status lines %q, want %q", lines, want)
	}
	if log.String() != "out\n" {
		t.Errorf("log %q", log.String())
	}
	err = runStatus(context.Background(), io.Discard, func(string) {}, "/bin/sh", "-c", "echo it broke; exit 3")
	if err == nil || !strings.HasSuffix(err.Error(), "exit status 3\nit broke") {
		t.Errorf("error %v, want the exit status and the output", err)
	}
}
