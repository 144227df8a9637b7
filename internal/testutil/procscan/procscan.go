// Package procscan looks for secret values on this machine's command
// lines: the argument vectors of its processes (/proc/PID/cmdline), which
// every local user can read. Scan looks once; a Sampler looks until it is
// stopped, every interval and, where the kernel's process connector
// answers (root on Linux), at once whenever a process executes a
// program, which catches short-lived commands a periodic scan misses.
// Processes of child PID namespaces (the lab's hosts) are this machine's
// processes too, so one Sampler watches every lab host.
package procscan

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Hit is a process whose command line holds a value looked for.
type Hit struct {
	PID int
	// Value is the index of the value found.
	Value int
	// Argv is the command line, the values hidden, at most 300 bytes.
	Argv string
	// PIDNamespace is the process's PID namespace (pid:[inode]), and
	// OwnNamespace says it is this process's: a lab host's processes
	// are in namespaces of their own.
	PIDNamespace string
	OwnNamespace bool
}

func (h Hit) String() string {
	where := "this machine's PID namespace"
	if !h.OwnNamespace {
		where = "PID namespace " + h.PIDNamespace
	}
	return fmt.Sprintf("pid %d (%s) has value %d on its command line: %s", h.PID, where, h.Value, h.Argv)
}

// Scan reads the command line of every process now.
func Scan(values []string) []Hit {
	var hits []Hit
	for _, pid := range pids() {
		hits = append(hits, check(pid, values)...)
	}
	return hits
}

func pids() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]int, 0, len(ents))
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// check reads one process's command line (gone processes have none).
func check(pid int, values []string) []Hit {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	var hits []Hit
	for i, v := range values {
		if v != "" && bytes.Contains(b, []byte(v)) {
			ns, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
			own, _ := os.Readlink("/proc/self/ns/pid")
			hits = append(hits, Hit{PID: pid, Value: i, Argv: redact(b, values), PIDNamespace: ns, OwnNamespace: ns == own})
		}
	}
	return hits
}

func redact(cmdline []byte, values []string) string {
	s := strings.TrimRight(strings.ReplaceAll(string(cmdline), "\x00", " "), " ")
	for i, v := range values {
		if v != "" {
			s = strings.ReplaceAll(s, v, "<value "+strconv.Itoa(i)+">")
		}
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return strconv.QuoteToASCII(s)
}

// Sampler scans in the background; see Start.
type Sampler struct {
	values []string
	stop   chan struct{}
	done   sync.WaitGroup

	mu     sync.Mutex
	hits   map[[2]int]Hit
	report Report
}

// Report is what a Sampler saw.
type Report struct {
	Hits []Hit
	// Scans counts the scans of every process.
	Scans int
	// Execs counts the processes checked as they executed a program;
	// Connector says the process connector was listened to (Err says
	// why not), Lost counts the events the kernel dropped (a full socket
	// buffer).
	Execs     int
	Connector bool
	Err       error
	Lost      int
}

// Start scans every process each interval, and each process that
// executes a program as it does, until Stop.
func Start(values []string, interval time.Duration) *Sampler {
	s := &Sampler{values: values, stop: make(chan struct{}), hits: map[[2]int]Hit{}}
	conn, err := listenExecs()
	s.report.Err = err
	if err == nil {
		s.report.Connector = true
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			defer conn.close()
			for {
				select {
				case <-s.stop:
					return
				default:
				}
				pids, lost, err := conn.next()
				if err != nil {
					s.mu.Lock()
					s.report.Err = err
					s.mu.Unlock()
					return
				}
				for _, pid := range pids {
					s.add(check(pid, values))
				}
				s.mu.Lock()
				s.report.Execs += len(pids)
				s.report.Lost += lost
				s.mu.Unlock()
			}
		}()
	}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.add(Scan(values))
			s.mu.Lock()
			s.report.Scans++
			s.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *Sampler) add(hits []Hit) {
	if len(hits) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hits {
		k := [2]int{h.PID, h.Value}
		if _, ok := s.hits[k]; !ok {
			s.hits[k] = h
		}
	}
}

// Hits returns what was found so far.
func (s *Sampler) Hits() []Hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Hit, 0, len(s.hits))
	for _, h := range s.hits {
		out = append(out, h)
	}
	return out
}

// Stop ends the sampling (after a last scan) and reports.
func (s *Sampler) Stop() Report {
	close(s.stop)
	s.done.Wait()
	s.add(Scan(s.values))
	r := s.report
	r.Hits = s.Hits()
	return r
}
