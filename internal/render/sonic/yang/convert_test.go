package yang

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const baseModule = `module t-base {
  namespace "urn:t-base"; prefix b;
  typedef myint { type uint16; }
  grouping g { leaf gl { type boolean; } }
}`

const mainModule = `module t-main {
  namespace "urn:t-main"; prefix m;
  import t-base { prefix b; }
  import ietf-inet-types { prefix inet; }
  container t-main {
    container DEVICE { container localhost { leaf name { type string; } leaf n { type b:myint; } } }
    container TAB {
      list TAB_LIST {
        key "name";
        leaf name { type string; }
        leaf num { type uint32; }
        leaf big { type uint64; }
        leaf flag { type boolean; }
        leaf-list tags { type string; }
        leaf-list speeds { type union { type uint32; type string { pattern "all"; } } }
        uses b:g;
        choice c { case a { leaf ca { type int8; } } }
        leaf ref { type leafref { path "../../../REF/REF_LIST/id"; } }
        leaf absref { type leafref { path "/m:t-main/m:REF/m:REF_LIST[m:id=current()]/m:id"; } }
        leaf asn { type inet:as-number; }
        leaf e { type empty; }
      }
      list TAB_PREFIX_LIST { key "name prefix"; leaf name { type string; } leaf prefix { type string; } }
    }
    container REF { list REF_LIST { key "id"; leaf id { type uint16; } } }
    container NEST {
      list NEST_LIST {
        key "name"; leaf name { type string; }
        list NEST { key "port"; leaf port { type string; } leaf len { type string; } }
      }
    }
  }
}`

func testSchema(t *testing.T) *Schema {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{"t-base.yang": baseModule, "t-main.yang": mainModule} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConvert(t *testing.T) {
	s := testSchema(t)
	r, err := s.Convert([]byte(`{
		"DEVICE": {"localhost": {"name": "x", "n": "007"}},
		"TAB": {
			"a": {"num": "5", "big": "5", "flag": "true", "tags": ["x", "y"], "speeds": "all",
			      "gl": "false", "ca": "-3", "ref": "7", "absref": "7", "asn": "4200000011", "e": ""},
			"a|10.0.0.0/8": {},
			"b": {"num": "five", "flag": "True", "speeds": "100,200", "invented": "1"}
		},
		"REF": {"7": {}},
		"NEST": {"AZURE": {"Ethernet1": "5m", "Ethernet0": "40m"}},
		"UNKNOWN": {"k": {}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	const want = `{
  "t-main:t-main": {
    "DEVICE": {
      "localhost": {
        "n": 7,
        "name": "x"
      }
    },
    "NEST": {
      "NEST_LIST": [
        {
          "NEST": [
            {
              "len": "40m",
              "port": "Ethernet0"
            },
            {
              "len": "5m",
              "port": "Ethernet1"
            }
          ],
          "name": "AZURE"
        }
      ]
    },
    "REF": {
      "REF_LIST": [
        {
          "id": 7
        }
      ]
    },
    "TAB": {
      "TAB_LIST": [
        {
          "absref": 7,
          "asn": 4200000011,
          "big": "5",
          "ca": -3,
          "e": [
            null
          ],
          "flag": true,
          "gl": false,
          "name": "a",
          "num": 5,
          "ref": 7,
          "speeds": [
            "all"
          ],
          "tags": [
            "x",
            "y"
          ]
        },
        {
          "flag": "True",
          "invented": "1",
          "name": "b",
          "num": "five",
          "speeds": [
            100,
            200
          ]
        }
      ],
      "TAB_PREFIX_LIST": [
        {
          "name": "a",
          "prefix": "10.0.0.0/8"
        }
      ]
    }
  }
}`
	if string(r.JSON) != want {
		t.Errorf("got:\n%s", r.JSON)
	}
	if !slices.Equal(r.Modules, []string{"t-main"}) || !slices.Equal(r.Cropped, []string{"UNKNOWN"}) {
		t.Errorf("modules %v, cropped %v", r.Modules, r.Cropped)
	}
	closure := s.Closure(r.Modules)
	if len(closure) != 2 || filepath.Base(closure[0]) != "t-base.yang" || filepath.Base(closure[1]) != "t-main.yang" {
		t.Errorf("closure %v, want t-base before t-main", closure)
	}
}

func TestConvertErrors(t *testing.T) {
	s := testSchema(t)
	tests := []struct{ name, in, want string }{
		{"key with no matching list", `{"TAB": {"a|b|c": {}}}`, `table TAB: key "a|b|c" has 3 part(s), but no list of the table has that many keys: TAB_LIST (name), TAB_PREFIX_LIST (name|prefix)`},
		{"not JSON", `{"TAB": `, "config_db JSON"},
		{"a field that is an object", `{"TAB": {"a": {"num": {}}}}`, "field num: value map[] is not a string"},
		{"a list item that is not a string", `{"TAB": {"a": {"tags": [1]}}}`, "field tags: list item 1 is not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Convert([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no .yang files") {
		t.Errorf("empty dir: %v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.yang"), []byte("module x {"), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "bad.yang") {
		t.Errorf("bad module: %v", err)
	}
	dir = t.TempDir()
	for _, m := range []string{"a", "b"} {
		os.WriteFile(filepath.Join(dir, m+".yang"), []byte("module "+m+" { container "+m+" { container T { } } }"), 0o644)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "table T is defined by both a and b") {
		t.Errorf("table twice: %v", err)
	}
}
