package catalog

import (
	"errors"
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/release"
)

func cloudOn(stream string) *model.Cloud {
	c := &model.Cloud{}
	c.Spec.Release = stream
	return c
}

func TestInputPackage(t *testing.T) {
	for _, tc := range []struct {
		name, stream, pkg, want string
	}{
		{"pinned", release.Default(), "memcached", "1.6.38-1"},
		{"not pinned", release.Default(), "cowsay", "release stream 2025.1 pins no version of cowsay"},
		{"unknown stream", "1999.1", "memcached", `release stream "1999.1" is not built into this binary`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := (&Input{Cloud: cloudOn(tc.stream)}).Package(tc.pkg)
			got := p.Version
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Package(%s) = %q, want %q", tc.pkg, got, tc.want)
			}
		})
	}
}

// A stream set on the input wins over spec.release: Compile looks it up
// once for every component.
func TestCompileLooksTheStreamUpOnce(t *testing.T) {
	var seen *release.Stream
	comp := spy{func(in *Input) { seen = in.Release }}
	if _, err := Compile(&Input{Cloud: cloudOn(release.Default())}, comp); err != nil || seen == nil || seen.Name != release.Default() {
		t.Errorf("the component saw stream %v (%v)", seen, err)
	}
}

func TestInputSecretValue(t *testing.T) {
	store := func(name string) (string, error) {
		switch name {
		case "here":
			return "v", nil
		case "named":
			return "", errors.New(`secret "named" not found`)
		}
		return "", errors.New("cannot decrypt")
	}
	for _, tc := range []struct {
		name   string
		secret func(string) (string, error)
		want   string
	}{
		{"here", store, "v"},
		{"named", store, `secret "named" not found`},
		{"other", store, "secret other: cannot decrypt"},
		{"none", nil, "secret none: no secrets are available here"},
	} {
		v, err := (&Input{Secret: tc.secret}).SecretValue(tc.name)
		if err != nil {
			v = err.Error()
		}
		if v != tc.want {
			t.Errorf("SecretValue(%s) = %q, want %q", tc.name, v, tc.want)
		}
	}
}

// spy shows a component's input to a function.
type spy struct{ see func(*Input) }

func (spy) Name() string { return "spy" }
func (s spy) Items(in *Input) ([]*Item, []*Group, error) {
	s.see(in)
	return nil, nil, nil
}
