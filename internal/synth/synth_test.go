package synth_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/synth"
	"github.com/fundament-cloud/fundament/internal/validate"
)

// Small generated repositories are valid production clouds: no errors
// and no warnings.
func TestSmallReposAreValid(t *testing.T) {
	for _, tc := range []struct{ hosts, switches, racks int }{{10, 8, 3}, {60, 8, 3}, {400, 24, 10}} {
		t.Run(fmt.Sprintf("%d-hosts-%d-switches", tc.hosts, tc.switches), func(t *testing.T) {
			dir := t.TempDir()
			if err := synth.Repo(dir, tc.hosts, tc.switches); err != nil {
				t.Fatal(err)
			}
			c, d := validate.Check(dir)
			for _, x := range d.Items() {
				t.Error(x)
			}
			if len(c.Hosts) != tc.hosts || len(c.Network.Switches) != tc.switches {
				t.Errorf("got %d hosts and %d switches, want %d and %d", len(c.Hosts), len(c.Network.Switches), tc.hosts, tc.switches)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "inventory", "*.yaml"))
			if len(files) != tc.racks {
				t.Errorf("got %d inventory files, want one per rack (%d)", len(files), tc.racks)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		hosts, switches                      int
		racks, spines, perRack, uplinks, brk int
	}{
		{60, 8, 3, 2, 20, 2, 0},
		{400, 24, 10, 4, 40, 4, 0},
		{5000, 200, 94, 12, 54, 2, 2},
	} {
		l, err := synth.Plan(tc.hosts, tc.switches)
		if err != nil {
			t.Errorf("Plan(%d, %d): %v", tc.hosts, tc.switches, err)
			continue
		}
		got := [5]int{l.Racks, l.Spines, l.HostsPerRack, l.Uplinks, len(l.HostBreakouts)}
		want := [5]int{tc.racks, tc.spines, tc.perRack, tc.uplinks, tc.brk}
		if got != want {
			t.Errorf("Plan(%d, %d): racks, spines, hosts per rack, uplinks, breakouts = %v, want %v", tc.hosts, tc.switches, got, want)
		}
	}
}

func TestPlanRejects(t *testing.T) {
	for _, tc := range []struct {
		hosts, switches int
		want            string
	}{
		{9, 8, "at least 10"},
		{60, 7, "at least 2 spines"},
		{5000, 100, "more than a leaf has ports for"},
		{60, 100, "too many"},
	} {
		_, err := synth.Plan(tc.hosts, tc.switches)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Plan(%d, %d) = %v, want an error containing %q", tc.hosts, tc.switches, err, tc.want)
		}
	}
}

// The benchmark's repository: every host and switch, valid.
func TestLargeRepoIsValid(t *testing.T) {
	if testing.Short() {
		t.Skip("large repository")
	}
	dir := t.TempDir()
	if err := synth.Repo(dir, 5000, 200); err != nil {
		t.Fatal(err)
	}
	c, d := validate.Check(dir)
	items := d.Items()
	for i, x := range items {
		if i == 20 {
			t.Errorf("... and %d more", len(items)-20)
			break
		}
		t.Error(x)
	}
	if len(c.Hosts) != 5000 || len(c.Network.Switches) != 200 {
		t.Errorf("got %d hosts and %d switches, want 5000 and 200", len(c.Hosts), len(c.Network.Switches))
	}
	if _, err := os.Stat(filepath.Join(dir, "inventory", "rack-094.yaml")); err != nil {
		t.Error(err)
	}
}
