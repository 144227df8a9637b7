package validate

import (
	"os"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/testutil/corpus"
)

// The invalid-config corpus of validation's own rules (internal/testutil/
// corpus): each testdata/invalid/NAME.txtar overlays files on
// testdata/base (a valid production cloud), its comment the exact
// diagnostics.
func TestInvalidCorpus(t *testing.T) { corpus.Run(t, "testdata/invalid/*.txtar", checkDir) }

// Every rule must be shown by at least one case of the corpus.
func TestEveryRuleHasACase(t *testing.T) {
	var ids []string
	for _, r := range registry {
		ids = append(ids, r.ID)
	}
	corpus.Covered(t, "testdata/invalid/*.txtar", ids)
}

func TestBaseIsValid(t *testing.T) {
	if got := render(checkDir("testdata/base")); got != "" {
		t.Errorf("testdata/base must produce no diagnostics, got:\n%s", got)
	}
}

func checkDir(dir string) *diag.List {
	_, d := Check(dir)
	return d
}

func render(l *diag.List) string { return corpus.Render(l) }

// docs/config-reference.md documents every rule; a rule added without
// its documentation fails here.
func TestEveryRuleIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/config-reference.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		if !strings.Contains(string(doc), "`"+r.ID+"`") {
			t.Errorf("rule %s is not in docs/config-reference.md", r.ID)
		}
	}
}
