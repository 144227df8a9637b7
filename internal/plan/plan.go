// Package plan observes hosts, compares what they have with the catalog's
// desired state, and records the difference as a plan: a first-class
// artifact that can be saved, reviewed and applied exactly.
//
// A saved plan holds no resource bodies (no file contents, no scripts),
// only what changes and the digests it was made from: apply compiles the
// catalog again and refuses the plan unless the desired state has the same
// digest and every host still looks as it did when the plan was made. So a
// plan file never carries a secret, and a stale plan is never applied.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// FormatVersion is the version of the plan file format.
const FormatVersion = 1

// Plan is the difference between the desired and the observed state.
type Plan struct {
	FormatVersion int       `json:"format_version"`
	Cloud         string    `json:"cloud"`
	CreatedAt     time.Time `json:"created_at"`
	// DesiredHash is the catalog's digest (catalog.Catalog.Hash).
	DesiredHash string      `json:"desired_hash"`
	Hosts       []*HostPlan `json:"hosts"`
}

// HostPlan is the plan of one host.
type HostPlan struct {
	Host      string `json:"host"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
	// ObservedHash digests everything observed on the host.
	ObservedHash string      `json:"observed_hash"`
	Items        []*ItemPlan `json:"items"`
}

// ItemPlan is the planned change of one resource.
type ItemPlan struct {
	Ref         catalog.Ref     `json:"ref"`
	Component   string          `json:"component"`
	DesiredHash string          `json:"desired_hash"`
	Change      resource.Change `json:"change"`
	Group       string          `json:"group,omitempty"`
}

// Counts of the operations a plan performs.
type Counts struct {
	Create, Update, Delete, Run, Restart, Unreachable int
}

// Counts tallies the plan's changes.
func (p *Plan) Counts() Counts {
	var c Counts
	for _, h := range p.Hosts {
		if !h.Reachable {
			c.Unreachable++
			continue
		}
		for _, it := range h.Items {
			switch it.Change.Op {
			case resource.OpCreate:
				c.Create++
			case resource.OpUpdate:
				c.Update++
			case resource.OpDelete:
				c.Delete++
			case resource.OpRun:
				c.Run++
			case resource.OpRestart:
				c.Restart++
			}
		}
	}
	return c
}

// HasChanges reports whether applying the plan would change anything.
func (p *Plan) HasChanges() bool {
	c := p.Counts()
	return c.Create+c.Update+c.Delete+c.Run+c.Restart > 0
}

// Host returns the plan of one host.
func (p *Plan) Host(name string) *HostPlan {
	for _, h := range p.Hosts {
		if h.Host == name {
			return h
		}
	}
	return nil
}

// Hash digests the plan's content: what the run record refers to.
func (p *Plan) Hash() string {
	b, _ := json.Marshal(struct {
		D string
		H []*HostPlan
	}{p.DesiredHash, p.Hosts})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Write saves the plan as JSON.
func (p *Plan) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// Read loads a saved plan.
func Read(r io.Reader) (*Plan, error) {
	var p Plan
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("not a Fundament plan file: %w", err)
	}
	if p.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan file format %d is not supported by this fundament (it reads format %d)", p.FormatVersion, FormatVersion)
	}
	return &p, nil
}

// observedHash digests a host's observations in item order.
func observedHash(ids []string, states []resource.State) string {
	h := sha256.New()
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return ids[order[a]] < ids[order[b]] })
	for _, i := range order {
		fmt.Fprintf(h, "%s %s\n", ids[i], states[i].Hash())
	}
	return hex.EncodeToString(h.Sum(nil))
}
