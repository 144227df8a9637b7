package yang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // the tree as keyword(arg){...}; "" wants an error
		err       string
	}{
		{"statements and blocks", `module m { prefix p; container c { leaf l { type string; } } }`,
			`module(m){prefix(p) container(c){leaf(l){type(string)}}}`, ""},
		{"comments", "module m { // one\n /* two\n lines */ prefix p; }",
			`module(m){prefix(p)}`, ""},
		{"quoted and concatenated", `module m { description "a \"b\"" + 'c\d' + "\n"; }`,
			"module(m){description(a \"b\"c\\d\n)}", ""},
		{"unquoted path with slashes", `module m { path /a:b/c:d; }`, `module(m){path(/a:b/c:d)}`, ""},
		{"keyword without argument", `module m { input { } }`, `module(m){input}`, ""},
		{"prefixed extension keyword", `module m { ext:key "x"; }`, `module(m){ext:key(x)}`, ""},
		{"unterminated block", `module m { prefix p;`, "", "missing '}'"},
		{"unterminated string", `module m { description "abc }`, "", "unterminated string"},
		{"unterminated comment", `module m { /* x }`, "", "unterminated comment"},
		{"stray brace", `module m { } }`, "", "unexpected '}'"},
		{"two modules", `module a { } module b { }`, "", "want one top-level statement"},
		{"nothing", ``, "", "want one top-level statement"},
		{"missing semicolon", `module m { prefix p }`, "", "expected ';' or '{'"},
		{"plus without string", `module m { description "a" + b; }`, "", "'+' must be followed"},
		{"quoted keyword", `module m { "prefix" p; }`, "", "expected a keyword"},
		{"statement cut off", `module m { prefix`, "", "missing ';' or '{'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.src))
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := dump(s); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseLineNumbers(t *testing.T) {
	s, err := Parse([]byte("module m {\n  /* a\n  b */\n  leaf x {\n    type \"a\nb\";\n  }\n  leaf y;\n}"))
	if err != nil {
		t.Fatal(err)
	}
	if x, y := s.Sub[0], s.Sub[1]; x.Line != 4 || y.Line != 8 {
		t.Errorf("lines %d and %d, want 4 and 8", x.Line, y.Line)
	}
	if _, err := Parse([]byte("module m {\n\n  leaf x {\n")); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("err = %v, want line 4", err)
	}
}

func dump(s *Stmt) string {
	var b strings.Builder
	b.WriteString(s.Keyword)
	if s.Arg != "" {
		b.WriteString("(" + s.Arg + ")")
	}
	if len(s.Sub) > 0 {
		b.WriteString("{")
		for i, c := range s.Sub {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(dump(c))
		}
		b.WriteString("}")
	}
	return b.String()
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../testdata/yang/sonic-v*.yang")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`module m { description "a" + 'b'; /* c */ leaf x { type string; } }`))
	f.Add([]byte("module m {\n// x\n}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		if s == nil || s.Keyword == "" {
			t.Fatalf("parsed to %+v", s)
		}
	})
}
