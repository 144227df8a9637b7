package model

import "github.com/fundament-cloud/fundament/internal/diag"

// Meta records where a mapping and each of its values came from, so that
// every later check can point at the exact line. Every model struct embeds
// it as its first field.
type Meta struct {
	Pos    diag.Pos
	fields map[string]diag.Pos
}

// At returns the position of the value under path ("mtu", "roles[1]",
// "labels.team"), or of the mapping itself when the value was not written
// (a default, or a missing field).
func (m *Meta) At(path string) diag.Pos {
	if p, ok := m.fields[path]; ok {
		return p
	}
	return m.Pos
}

// Has reports whether the field was written in the file (not defaulted).
func (m *Meta) Has(path string) bool {
	_, ok := m.fields[path]
	return ok
}

func (m *Meta) set(path string, p diag.Pos) {
	if m.fields == nil {
		m.fields = make(map[string]diag.Pos, 8)
	}
	m.fields[path] = p
}

func (m *Meta) meta() *Meta { return m }

// positioned is implemented by every struct that embeds Meta.
type positioned interface{ meta() *Meta }

// Enum is implemented by string types with a closed set of values; the
// decoder rejects other values with a "did you mean" hint.
type Enum interface{ Values() []string }
