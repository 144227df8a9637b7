package sonic

import (
	"testing"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/validate"
)

// examples are the configuration repositories with golden output.
var examples = []string{"lab", "production"}

// loadExample loads and validates examples/<name>; each call returns a
// fresh model that a test may change.
func loadExample(t testing.TB, name string) *model.Cloud {
	t.Helper()
	c, d := validate.Check("../../../examples/" + name)
	if d.HasErrors() {
		t.Fatalf("examples/%s is invalid:\n%v", name, d.Items())
	}
	return c
}

func mustFabric(t testing.TB, c *model.Cloud) *Fabric {
	t.Helper()
	f, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustSwitch(t testing.TB, f *Fabric, name string) ConfigDB {
	t.Helper()
	db, err := f.Switch(name)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func findSwitch(t testing.TB, c *model.Cloud, name string) *model.Switch {
	t.Helper()
	s := c.SwitchesByName()[name]
	if s == nil {
		t.Fatalf("no switch %s", name)
	}
	return s
}

// recable moves the switch end of the cable at port to newPort.
func recable(t testing.TB, c *model.Cloud, sw, port, newPort string) {
	t.Helper()
	for _, cb := range c.Network.Cables {
		for _, e := range []*model.Endpoint{&cb.A, &cb.B} {
			if e.Device == sw && e.Port == port {
				e.Port = newPort
				return
			}
		}
	}
	t.Fatalf("no cable at %s:%s", sw, port)
}

// labVariants are changed lab models whose output the YANG test checks
// besides the goldens: a 4x breakout with a host on a sub-port, and two
// spines cabled to each other (iBGP inside the spine group).
func labVariants(t testing.TB) map[string]*Fabric {
	t.Helper()
	breakout := loadExample(t, "lab")
	findSwitch(t, breakout, "leaf-1").Breakouts = map[string]string{"Ethernet56": "4x25G"}
	recable(t, breakout, "leaf-1", "Ethernet3", "Ethernet57")

	spines := loadExample(t, "lab")
	spines.Network.Cables = append(spines.Network.Cables, &model.Cable{
		A: model.Endpoint{Device: "spine-1", Port: "Ethernet124"},
		B: model.Endpoint{Device: "spine-2", Port: "Ethernet124"},
	})
	return map[string]*Fabric{"breakout": mustFabric(t, breakout), "spine-group": mustFabric(t, spines)}
}
