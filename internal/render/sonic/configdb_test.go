package sonic

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseConfigDB(t *testing.T) {
	tests := []struct {
		name, in string
		want     ConfigDB // nil: an error containing err
		err      string
	}{
		{"strings and lists", `{"PORT": {"Ethernet0": {"mtu": "9100", "adv_speeds": ["all"]}}}`,
			ConfigDB{"PORT": {"Ethernet0": {"mtu": "9100", "adv_speeds": []string{"all"}}}}, ""},
		{"numbers and booleans become strings", `{"PORT": {"Ethernet0": {"mtu": 9100, "x": true, "l": [1, false]}}}`,
			ConfigDB{"PORT": {"Ethernet0": {"mtu": "9100", "x": "true", "l": []string{"1", "false"}}}}, ""},
		{"empty rows and tables", `{"DNS_NAMESERVER": {"1.1.1.1": {}}, "EMPTY": {}}`,
			ConfigDB{"DNS_NAMESERVER": {"1.1.1.1": {}}, "EMPTY": {}}, ""},
		{"not JSON", `{"PORT": `, nil, "not a config_db.json"},
		{"null", `null`, nil, "top level is null"},
		{"a list at the top", `[]`, nil, "not a config_db.json"},
		{"two documents", `{} {}`, nil, "data after"},
		{"table not an object", `{"PORT": []}`, nil, "table PORT: want an object of rows, got a list"},
		{"row not an object", `{"PORT": {"Ethernet0": "up"}}`, nil, "PORT|Ethernet0: want an object of fields, got a string"},
		{"null field", `{"PORT": {"Ethernet0": {"mtu": null}}}`, nil, "PORT|Ethernet0 field mtu: want a string or a list, got null"},
		{"nested object", `{"PORT": {"Ethernet0": {"mtu": {}}}}`, nil, "got an object"},
		{"object in a list", `{"PORT": {"Ethernet0": {"l": [{}]}}}`, nil, "list item 0: want a string, got an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfigDB([]byte(tt.in))
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestMarshalIsConfigSaveStyle(t *testing.T) {
	db := ConfigDB{"PORT": {"Ethernet0": {"mtu": "9100", "description": "a<b>&c"}}, "DNS_NAMESERVER": {"1.1.1.1": {}}}
	got, err := db.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	const want = `{
    "DNS_NAMESERVER": {
        "1.1.1.1": {}
    },
    "PORT": {
        "Ethernet0": {
            "description": "a<b>&c",
            "mtu": "9100"
        }
    }
}
`
	if string(got) != want {
		t.Errorf("got:\n%s", got)
	}
}

func FuzzParseConfigDB(f *testing.F) {
	goldens, _ := filepath.Glob("testdata/golden/lab/spine-1/config_db.json")
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"PORT": {"Ethernet0": {"mtu": 9100, "l": [1, true, "x"]}}}`))
	f.Add([]byte(`{"A": {"k": {"f": null}}}`))
	f.Add([]byte(`{"A": []}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := ParseConfigDB(data)
		if err != nil {
			return
		}
		out, err := db.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed document: %v", err)
		}
		again, err := ParseConfigDB(out)
		if err != nil {
			t.Fatalf("re-parse of Marshal output: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(db, again) {
			t.Fatalf("round trip changed the document:\n%#v\n%#v", db, again)
		}
		// Diffing anything must not panic.
		Diff(db, again)
	})
}
