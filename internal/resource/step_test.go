package resource

import (
	"testing"
	"time"
)

func TestStepTimeoutAndIdempotence(t *testing.T) {
	for _, tt := range []struct {
		name       string
		r          Resource
		timeout    time.Duration
		idempotent bool
	}{
		{"file", File{Path: "/etc/x"}, 0, true},
		{"package", Package{Name: "curl"}, 0, true},
		{"service", Service{Unit: "x.service"}, 0, true},
		{"command", Command{Name: "c", Script: "true"}, 0, false},
		{"command with a timeout", Command{Name: "c", Script: "true", Timeout: "30m"}, 30 * time.Minute, false},
		{"idempotent command", Command{Name: "c", Script: "true", Timeout: "90s", Idempotent: true}, 90 * time.Second, true},
		{"playbook", Ansible{Name: "p", Playbook: "/p.yml"}, 0, false},
	} {
		if got := StepTimeout(tt.r); got != tt.timeout {
			t.Errorf("%s: StepTimeout %v, want %v", tt.name, got, tt.timeout)
		}
		if got := IsIdempotent(tt.r); got != tt.idempotent {
			t.Errorf("%s: IsIdempotent %v, want %v", tt.name, got, tt.idempotent)
		}
	}
	// Idempotence is not part of what the step does: declaring it does not
	// run a recorded command again.
	if (Command{Name: "c", Script: "x"}).Digest() != (Command{Name: "c", Script: "x", Idempotent: true}).Digest() {
		t.Error("Idempotent changes the digest")
	}
}
