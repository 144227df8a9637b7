package state

import (
	"strings"
	"testing"
)

// FinishApplied marks the action succeeded and records what it applied
// in one transaction: when either write fails, neither is kept.
func TestFinishAppliedIsOneTransaction(t *testing.T) {
	db := open(t, t.TempDir())
	run, _ := db.StartRun(KindApply, "apply", "")
	id, err := db.StartAction(Action{RunID: run.ID, Host: "h1", Resource: "command:c", Op: "run"})
	if err != nil {
		t.Fatal(err)
	}
	status := func() string {
		t.Helper()
		acts, err := db.Actions(run.ID, "h1")
		if err != nil || len(acts) != 1 {
			t.Fatalf("actions %v %v", acts, err)
		}
		return acts[0].Status
	}

	// The record of what was applied fails: the action stays started.
	if _, err := db.sql.Exec(`CREATE TRIGGER full_disk BEFORE INSERT ON applied BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishApplied(id, "ok\n", "digest-1"); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("FinishApplied with a failing applied table: %v", err)
	}
	if st := status(); st != ActionStarted {
		t.Errorf("the action is %s although its applied state was not recorded", st)
	}
	if _, err := db.sql.Exec(`DROP TRIGGER full_disk`); err != nil {
		t.Fatal(err)
	}

	if err := db.FinishApplied(id, "ok\n", "digest-1"); err != nil {
		t.Fatal(err)
	}
	if st := status(); st != ActionSucceeded {
		t.Errorf("the action is %s", st)
	}
	if got, _ := db.Applied("h1"); got["command:c"] != "digest-1" {
		t.Errorf("applied %v", got)
	}

	// The action is finished already: nothing is recorded as applied.
	if err := db.FinishApplied(id, "again", "digest-2"); err == nil {
		t.Error("finished a finished action again")
	}
	if got, _ := db.Applied("h1"); got["command:c"] != "digest-1" {
		t.Errorf("a failed FinishApplied recorded %v", got)
	}

	// A closed database fails, loudly.
	db.Close()
	if err := db.FinishApplied(id, "", "x"); err == nil {
		t.Error("FinishApplied on a closed database succeeded")
	}
}
