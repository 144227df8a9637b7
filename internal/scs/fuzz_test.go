package scs

import (
	"reflect"
	"testing"
)

// FuzzParseFlavorName: the parser never panics, and a name that parses
// always round-trips through the generator (in both syntaxes, but
// v1 knows no chy); the other
// derived views (short name, extra specs, description) do not panic.
func FuzzParseFlavorName(f *testing.F) {
	for _, tc := range validNames {
		f.Add(tc.name)
	}
	for _, tc := range invalidNames {
		f.Add(tc.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		c := CheckFlavorName(name)
		if !c.Valid() {
			if _, ok := c.Err.(*ParseError); !ok {
				t.Fatalf("%q: error %T is not a *ParseError", name, c.Err)
			}
			return
		}
		fl := c.Flavor
		out, err := Generate(fl)
		if err != nil {
			t.Fatalf("%q parses but does not generate: %v", name, err)
		}
		want := fl
		want.Syntax = SyntaxV3
		back, err := ParseSyntax(out, SyntaxV3)
		if err != nil || !reflect.DeepEqual(back, want) {
			t.Fatalf("%q -> %q -> %+v, %v", name, out, back, err)
		}
		want.Syntax = SyntaxV1
		back, err = ParseSyntax(fl.NameV1(), SyntaxV1)
		if fl.Hypervisor != "chy" && (err != nil || !reflect.DeepEqual(back, want)) { // v1 has no chy
			t.Fatalf("%q -> %q -> %+v, %v", name, fl.NameV1(), back, err)
		}
		_ = fl.ExtraSpecs()
		_ = fl.Describe()
	})
}
