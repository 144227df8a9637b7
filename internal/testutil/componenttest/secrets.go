package componenttest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/testutil/catalogtext"
	"github.com/fundament-cloud/fundament/internal/testutil/example"
	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

// Secrets are unique values that look like secrets, so that a test can
// find every place one ends up.
type Secrets map[string]string

// NewSecrets makes a value for each name.
func NewSecrets(names ...string) Secrets {
	s := Secrets{}
	for i, n := range names {
		s[n] = fmt.Sprintf("Zq%08xSecretValueOf%s", i*7919+12345, strings.ReplaceAll(n, "-", ""))
	}
	return s
}

// Get is catalog.Input's Secret.
func (s Secrets) Get(name string) (string, error) {
	v, ok := s[name]
	if !ok {
		return "", fmt.Errorf("secret %q not found (run generate first)", name)
	}
	return v, nil
}

// Placeholders replaces every secret value by {{secret NAME}}.
func (s Secrets) Placeholders(text string) string {
	for n, v := range s {
		text = strings.ReplaceAll(text, v, "{{secret "+n+"}}")
	}
	return text
}

// Render prints the items of component (the golden files' form) in the
// order the engine applies them, secrets as placeholders, the helper
// script at helperPath by its size.
func Render(cat *catalog.Catalog, s Secrets, component, helperPath string) string {
	return catalogtext.Render(cat, catalogtext.Options{Items: catalogtext.Of(component), Secret: s.Placeholders,
		Content: func(path string, content []byte) string {
			if path == helperPath {
				return fmt.Sprintf("helper.py (%d bytes)", len(content))
			}
			return ""
		}})
}

// Item is the catalog's item id on host.
func Item(t testing.TB, cat *catalog.Catalog, host string, id resource.ID) *catalog.Item {
	t.Helper()
	it, ok := cat.Get(catalog.Ref{Host: host, ID: id})
	if !ok {
		t.Fatalf("%s has no %s", host, id)
	}
	return it
}

// SecretsInSecretPlaces checks that a secret value appears only in a
// command's environment (plans hide it) and in files marked secret
// (plans show no digest even); never in a script, guard, name, a file
// plans may show, or a plan. It returns how many files are secret.
func SecretsInSecretPlaces(t testing.TB, cat *catalog.Catalog, s Secrets) (secretFiles int) {
	t.Helper()
	contains := func(text string) string {
		for n, v := range s {
			if strings.Contains(text, v) {
				return n
			}
		}
		return ""
	}
	for _, it := range cat.Items {
		switch r := it.Resource.(type) {
		case resource.Command:
			for _, text := range []string{r.Name, r.Script, r.Guard} {
				if n := contains(text); n != "" {
					t.Errorf("%s on %s shows secret %s", r.ID(), it.Host, n)
				}
			}
		case resource.File:
			if n := contains(string(r.Content)); n != "" && !r.Secret {
				t.Errorf("%s on %s holds secret %s but is not secret", r.Path, it.Host, n)
			}
			if r.Secret {
				secretFiles++
			}
		}
		for _, f := range it.Resource.Plan(resource.State{}).Fields {
			if n := contains(f.Old + f.New); n != "" {
				t.Errorf("the plan of %s on %s shows secret %s in %s", it.Resource.ID(), it.Host, n, f.Field)
			}
		}
	}
	return secretFiles
}

// Goldens checks the golden files lab.txt and production.txt of
// component: its items for examples/lab and examples/production, compiled
// alone with the secrets named (go test -update rewrites them).
func Goldens(t *testing.T, component catalog.Component, helperPath string, secrets ...string) {
	t.Helper()
	for _, name := range []string{"lab", "production"} {
		t.Run(name, func(t *testing.T) {
			s := NewSecrets(secrets...)
			cat := Compile(t, component, &catalog.Input{Cloud: example.Load(t, name), RepoDir: t.TempDir(), Secret: s.Get})
			golden.Check(t, name+".txt", Render(cat, s, component.Name(), helperPath))
		})
	}
}
