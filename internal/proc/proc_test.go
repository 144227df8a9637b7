package proc

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// deadPID is the PID of a process that has ended and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("skipped: cannot run true: %v", err)
	}
	return cmd.Process.Pid
}

func TestSelf(t *testing.T) {
	me := Self()
	if me.PID != os.Getpid() || me.Host == "" {
		t.Fatalf("Self() = %+v", me)
	}
	if runtime.GOOS == "linux" && (me.Boot == "" || me.Start == 0) {
		t.Errorf("Self() on Linux lacks the boot id or start time: %+v", me)
	}
}

func TestGone(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("skipped: boot ids and start times are read from Linux's /proc")
	}
	me := Self()
	dead := deadPID(t)
	with := func(f func(*ID)) ID { id := me; f(&id); return id }
	for _, c := range []struct {
		name string
		id   ID
		gone bool
	}{
		{"this process", me, false},
		{"this process, start time unknown", with(func(id *ID) { id.Start = 0 }), false},
		{"this process, boot id and machine id unknown", with(func(id *ID) { id.Boot, id.Machine = "", "" }), false},
		{"a dead PID", with(func(id *ID) { id.PID, id.Start = dead, 0 }), true},
		{"a live PID with another start time (reused)", with(func(id *ID) { id.Start++ }), true},
		{"another boot of this machine", with(func(id *ID) { id.Boot = "00000000-0000-0000-0000-000000000000" }), true},
		{"another host", with(func(id *ID) { id.Host, id.PID = "elsewhere.example", dead }), false},
		{"another machine with this host name", with(func(id *ID) {
			id.Machine, id.Boot, id.PID = "0123456789abcdef0123456789abcdef", "x", dead
		}), me.Machine == ""},
	} {
		if got := c.id.Gone(); got != c.gone {
			t.Errorf("%s: Gone() = %v, want %v (%+v)", c.name, got, c.gone, c.id)
		}
	}
}

func TestAlive(t *testing.T) {
	if !Alive(os.Getpid()) {
		t.Error("this process is not alive")
	}
	if Alive(0) || Alive(-1) {
		t.Error("PID 0 or -1 is alive")
	}
	if runtime.GOOS == "linux" && Alive(deadPID(t)) {
		t.Error("a reaped process is alive")
	}
}

func TestStartTimeOfAnotherProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("skipped: start times are read from Linux's /proc")
	}
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	st, ok := StartTime(cmd.Process.Pid)
	mine, _ := StartTime(os.Getpid())
	if !ok || st < mine {
		t.Errorf("StartTime(child) = %d, %v; this process started at %d", st, ok, mine)
	}
	id := ID{Host: Self().Host, Machine: Self().Machine, Boot: Self().Boot, PID: cmd.Process.Pid, Start: st}
	if id.Gone() {
		t.Error("a running child is gone")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !id.Gone() {
		t.Error("a killed and reaped child is not gone")
	}
}
