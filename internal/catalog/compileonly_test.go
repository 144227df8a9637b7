package catalog

import (
	"errors"
	"strings"
	"testing"
)

// stubComponent returns fixed items or an error.
type stubComponent struct {
	name  string
	items []*Item
	err   error
}

func (s stubComponent) Name() string                            { return s.name }
func (s stubComponent) Items(*Input) ([]*Item, []*Group, error) { return s.items, nil, s.err }

func TestCompileOnlyLeavesOutWhatItNeitherSelectsNorNeeds(t *testing.T) {
	base := &Item{Host: "h", Component: "base", Resource: file("/base", "")}
	db := &Item{Host: "h", Component: "db", Resource: file("/db", ""), After: []Ref{base.Ref()}}
	app := &Item{Host: "h", Component: "app", Resource: file("/app", ""), After: []Ref{db.Ref()}}
	noSecret := errors.New("secret app-key: not found")
	comps := func(dbErr, appErr error) []Component {
		return []Component{
			stubComponent{name: "base", items: []*Item{base}},
			stubComponent{name: "db", items: []*Item{db}, err: dbErr},
			stubComponent{name: "app", items: []*Item{app}, err: appErr},
		}
	}
	for _, tc := range []struct {
		name          string
		only          []string
		dbErr, appErr error
		want          string // items kept, or the error's beginning
	}{
		{"the selection and what it needs", []string{"db"}, nil, nil, "h/file:/base h/file:/db"},
		{"a broken component nobody needs", []string{"db"}, nil, noSecret, "h/file:/base h/file:/db"},
		{"a broken selected component", []string{"app"}, nil, noSecret, "error: compiling component app: secret app-key"},
		{"a broken component the selection needs", []string{"app"}, noSecret, nil, "error: invalid catalog"},
		{"no selection compiles everything", nil, nil, noSecret, "error: compiling component app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat, err := CompileOnly(&Input{}, tc.only, comps(tc.dbErr, tc.appErr)...)
			got := ""
			if err != nil {
				got = "error: " + err.Error()
			} else {
				var refs []string
				for _, it := range cat.Items {
					refs = append(refs, it.Ref().String())
				}
				got = strings.Join(refs, " ")
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want %q...", got, tc.want)
			}
			if tc.dbErr != nil && err != nil && !strings.Contains(err.Error(), "left out because they could not be compiled: db (secret app-key") {
				t.Errorf("the error does not say why db is missing: %v", err)
			}
		})
	}
}

// probingComponent counts the probes it makes (one per compile with a
// Probe) and returns fixed items.
type probingComponent struct {
	stubComponent
	probes *int
}

func (p probingComponent) Items(in *Input) ([]*Item, []*Group, error) {
	if in.Probe != nil {
		*p.probes++
		in.Probe("h", "true")
	}
	return p.stubComponent.Items(in)
}

// TestCompileOnlyProbesOnlyWhatItNeeds: a component neither selected nor
// needed does not reach hosts.
func TestCompileOnlyProbesOnlyWhatItNeeds(t *testing.T) {
	db := &Item{Host: "h", Component: "db", Resource: file("/db", "")}
	app := &Item{Host: "h", Component: "app", Resource: file("/app", ""), After: []Ref{db.Ref()}}
	other := &Item{Host: "h", Component: "other", Resource: file("/other", "")}
	var dbProbes, otherProbes int
	comps := []Component{
		probingComponent{stubComponent{name: "db", items: []*Item{db}}, &dbProbes},
		stubComponent{name: "app", items: []*Item{app}},
		probingComponent{stubComponent{name: "other", items: []*Item{other}}, &otherProbes},
	}
	in := &Input{Probe: func(host, script string) (string, error) { return "", nil }}
	cat, err := CompileOnly(in, []string{"app"}, comps...)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Items) != 2 || dbProbes != 1 || otherProbes != 0 {
		t.Errorf("%d items; probes: db %d (needed: want 1), other %d (want 0)", len(cat.Items), dbProbes, otherProbes)
	}
}
