package resource

import "time"

// Steps are the engine's actions. Two properties decide what the engine
// may do when an attempt ends without a known outcome (its time ran out,
// the connection dropped): whether the step may simply run again, and
// how long it may take in the first place.

// Timed is implemented by kinds whose steps declare their own time limit
// (a Command's Timeout). The engine gives such a step its declared time,
// whatever its default for the others is.
type Timed interface {
	// StepTimeout is the declared limit, 0 for none.
	StepTimeout() time.Duration
}

// StepTimeout is r's declared time limit, 0 when it declares none.
func StepTimeout(r Resource) time.Duration {
	if t, ok := r.(Timed); ok {
		return t.StepTimeout()
	}
	return 0
}

// Repeatable is implemented by kinds whose steps are not always safe to
// run again after an attempt that may have partly run.
type Repeatable interface {
	// IsIdempotent says that running the step again, from whatever state
	// an interrupted attempt left, does no harm.
	IsIdempotent() bool
}

// IsIdempotent reports whether r's step may run again after an attempt of
// unknown outcome. The declarative kinds (packages, files, directories,
// links, users, groups, services, apt sources) converge from any state
// and may; a Command only when it is declared Idempotent; a playbook not
// (its tasks need not be).
func IsIdempotent(r Resource) bool {
	if i, ok := r.(Repeatable); ok {
		return i.IsIdempotent()
	}
	return true
}

// StepTimeout is the parsed Timeout (Validate checked it), 0 for none.
func (c Command) StepTimeout() time.Duration {
	d, err := time.ParseDuration(c.Timeout)
	if err != nil || d <= 0 {
		return 0
	}
	return d
}

// IsIdempotent is the declaration: a script may do anything.
func (c Command) IsIdempotent() bool { return c.Idempotent }

// IsIdempotent is false: a playbook's shell and command tasks need not be.
func (a Ansible) IsIdempotent() bool { return false }
