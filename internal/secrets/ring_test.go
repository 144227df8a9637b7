package secrets

import (
	"slices"
	"testing"
)

func TestInRing(t *testing.T) {
	for name, want := range map[string]bool{
		"keystone-fernet-0":          true,
		"keystone-fernet-12":         true,
		"keystone-fernet-":           false,
		"keystone-fernet-x":          false,
		"keystone-fernet-1a":         false,
		"keystone-fernet-01":         false, // Keystone would not read it as key 1
		"keystone-fernet-1234567890": false,
		"keystone-db":                false,
	} {
		if got := InRing("keystone-fernet-", name); got != want {
			t.Errorf("InRing(%s) = %v", name, got)
		}
	}
	if InRing("", "keystone-fernet-0") {
		t.Error("no ring holds everything")
	}
}

// A rotated ring keeps its members: generate does not bring back the
// first members a rotation pruned.
func TestGenerateLeavesARotatedRingAlone(t *testing.T) {
	s := setStore(t)
	specs := []Spec{
		{Name: "keystone-fernet-0", Kind: FernetKey, Ring: "keystone-fernet-"},
		{Name: "keystone-fernet-1", Kind: FernetKey, Ring: "keystone-fernet-"},
	}
	if created, _, err := s.Generate(specs, nil); err != nil || len(created) != 2 {
		t.Fatalf("first generate: %v, %v", created, err)
	}
	// A rotation: 0 became 2, a new 0, 1 dropped.
	staged, _ := s.Get("keystone-fernet-0")
	if err := s.Set("keystone-fernet-2", staged); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("keystone-fernet-0", "bmV3IHN0YWdlZCBrZXkgZm9yIHRoZSB0ZXN0IG9ubHk="); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("keystone-fernet-1"); err != nil {
		t.Fatal(err)
	}
	created, rotated, err := s.Generate(specs, nil)
	if err != nil || len(created)+len(rotated) != 0 {
		t.Fatalf("generate after a rotation created %v, rotated %v, %v", created, rotated, err)
	}
	present, _ := s.List()
	if !slices.Equal(present, []string{"keystone-fernet-0", "keystone-fernet-2"}) {
		t.Errorf("ring %v", present)
	}
	if !Satisfied(specs[1], present) || Satisfied(Spec{Name: "keystone-db"}, present) {
		t.Error("Satisfied")
	}
}
