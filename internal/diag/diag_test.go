package diag

import (
	"encoding/json"
	"testing"
)

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "cloud.yaml", Line: 3, Column: 7, Severity: Error, Rule: "schema.type", Message: "bad"}, "cloud.yaml:3:7: error: bad [schema.type]"},
		{Diagnostic{File: "inventory/a.yaml", Severity: Warning, Rule: "load.empty-file", Message: "file is empty"}, "inventory/a.yaml: warning: file is empty [load.empty-file]"},
		{Diagnostic{File: "x.yaml", Line: 2, Severity: Error, Message: "no rule"}, "x.yaml:2: error: no rule"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestListSortsAndDeduplicates(t *testing.T) {
	var l List
	l.Errorf(Pos{File: "b.yaml", Line: 1, Column: 1}, "r", "second file")
	l.Warnf(Pos{File: "a.yaml", Line: 9, Column: 1}, "r", "later line")
	l.Errorf(Pos{File: "a.yaml", Line: 2, Column: 5}, "r", "earlier line")
	l.Errorf(Pos{File: "a.yaml", Line: 2, Column: 5}, "r", "earlier line")
	items := l.Items()
	if len(items) != 3 {
		t.Fatalf("want 3 items after removing the duplicate, got %d", len(items))
	}
	if items[0].Message != "earlier line" || items[1].Message != "later line" || items[2].File != "b.yaml" {
		t.Errorf("wrong order: %v", items)
	}
	if !l.HasErrors() {
		t.Error("HasErrors false with errors")
	}
	var w List
	w.Warnf(Pos{File: "a"}, "r", "only a warning")
	if w.HasErrors() {
		t.Error("a warning is not an error")
	}
}

func TestReportJSONShape(t *testing.T) {
	var l List
	got, _ := json.Marshal(NewReport(&l))
	if string(got) != `{"valid":true,"diagnostics":[]}` {
		t.Errorf("empty report: %s", got)
	}
	l.Errorf(Pos{File: "cloud.yaml", Line: 1, Column: 2}, "schema.required", "missing")
	got, _ = json.Marshal(NewReport(&l))
	want := `{"valid":false,"diagnostics":[{"file":"cloud.yaml","line":1,"column":2,"severity":"error","rule":"schema.required","message":"missing"}]}`
	if string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	var back Report
	if err := json.Unmarshal(got, &back); err != nil || back.Diagnostics[0].Severity != Error {
		t.Errorf("round trip: %v %+v", err, back)
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"address", "addresses", "interfaces", "roles", "rack"}
	tests := map[string]string{
		"adress":     "address",
		"Roles":      "roles",
		"interfacs":  "interfaces",
		"rac":        "rack",
		"completely": "",
		"address":    "", // exact: nothing to suggest
		"x":          "",
	}
	for word, want := range tests {
		if got := Suggest(word, names); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", word, got, want)
		}
	}
	if DidYouMean("adress", names) != `; did you mean "address"?` {
		t.Errorf("DidYouMean: %q", DidYouMean("adress", names))
	}
}
