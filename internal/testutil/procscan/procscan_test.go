package procscan

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func value(t *testing.T) string {
	b := make([]byte, 12)
	rand.Read(b)
	return "procscan-" + hex.EncodeToString(b)
}

// Scan finds a value on a running process's command line, and names
// neither the value nor anything else.
func TestScan(t *testing.T) {
	v, other := value(t), value(t)
	if hits := Scan([]string{v}); len(hits) != 0 {
		t.Fatalf("found before it ran: %v", hits)
	}
	// The value in sleep's own argv[0]: a shell would fork before it
	// execs sleep, and a scan between the two sees the value twice.
	cmd := exec.Command("sleep", "5")
	cmd.Args = []string{"sleep-" + v, "5"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	hits := Scan([]string{other, v})
	if len(hits) != 1 || hits[0].PID != cmd.Process.Pid || hits[0].Value != 1 {
		t.Fatalf("hits %v, want pid %d value 1", hits, cmd.Process.Pid)
	}
	if strings.Contains(hits[0].Argv, v) || !strings.Contains(hits[0].Argv, "<value 1>") {
		t.Errorf("argv not redacted: %s", hits[0].Argv)
	}
}

// A Sampler whose periodic scans are far apart still sees a process that
// lived for a moment between them: the process connector reports its
// exec.
func TestSamplerCatchesShortProcesses(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the process connector needs root")
	}
	v := value(t)
	s := Start([]string{v}, time.Hour)
	time.Sleep(100 * time.Millisecond) // subscribed
	for range 5 {
		if err := exec.Command("/bin/sh", "-c", "sleep 0.02; :", v).Run(); err != nil {
			t.Fatal(err)
		}
	}
	r := s.Stop()
	if !r.Connector {
		t.Fatalf("no process connector: %v", r.Err)
	}
	if len(r.Hits) == 0 {
		t.Fatalf("a short process with the value on its command line was not seen (%d exec events, %d lost, %d scans)", r.Execs, r.Lost, r.Scans)
	}
	t.Logf("%d of 5 short processes seen; %d exec events, %d scans", len(r.Hits), r.Execs, r.Scans)
}
