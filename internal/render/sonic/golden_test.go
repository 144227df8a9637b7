package sonic

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fundament-cloud/fundament/internal/testutil/golden"
)

// goldenPath mirrors the layout of `render sonic --out`.
func goldenPath(example, sw string) string {
	return filepath.Join("testdata", "golden", example, sw, "config_db.json")
}

// TestGolden renders every switch of the examples and compares the bytes
// with testdata/golden/<example>/<switch>/config_db.json. Review a change
// with `go test ./internal/render/sonic -run Golden -update && git diff`.
func TestGolden(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			f := mustFabric(t, loadExample(t, ex))
			files, err := f.Render()
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", "golden", ex)
			if *golden.Update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
			}
			for _, name := range f.Names() {
				golden.CheckFile(t, goldenPath(ex, name), string(files[name]))
			}
			stray, _ := filepath.Glob(filepath.Join(dir, "*"))
			for _, s := range stray {
				if !slices.Contains(f.Names(), filepath.Base(s)) {
					t.Errorf("%s belongs to no switch; run with -update", s)
				}
			}
		})
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	c := loadExample(t, "production")
	a, err := mustFabric(t, c).Render()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b, err := mustFabric(t, c).Render()
		if err != nil {
			t.Fatal(err)
		}
		for name := range a {
			if !bytes.Equal(a[name], b[name]) {
				t.Fatalf("%s renders differently on a second run", name)
			}
		}
	}
}
