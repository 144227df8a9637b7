package yang

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The community models and sonic-yang-models' own positive test vector,
// next to the repository (../shared/sonic).
const (
	sharedModels = "../../../../../shared/sonic/yang-models"
	sharedSample = "../../../../../shared/sonic/sample_config_db.json"
)

// sample loads the full model set and the sample's tables, or skips.
func sample(t *testing.T) (*Schema, string, map[string]json.RawMessage) {
	t.Helper()
	yl, err := Yanglint()
	if err != nil {
		t.Skip("yanglint is not installed (Debian package libyang2-tools)")
	}
	data, err := os.ReadFile(sharedSample)
	if err != nil {
		t.Skipf("the SONiC sample config is not next to the repository: %v", err)
	}
	s, err := Load(sharedModels)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return s, yl, doc
}

// TestSampleConfigDB converts upstream's sample_config_db.json (198
// tables, every key shape) and has yanglint accept it: a converter bug
// in key splitting, list choice or value typing would make it fail.
func TestSampleConfigDB(t *testing.T) {
	s, yl, doc := sample(t)
	r, err := s.Convert(doc["SAMPLE_CONFIG_DB_JSON"])
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cropped) != 0 {
		t.Errorf("tables without a model: %v", r.Cropped)
	}
	if len(r.Modules) < 100 {
		t.Errorf("only %d modules used", len(r.Modules))
	}
	if err := s.Lint(context.Background(), yl, r); err != nil {
		t.Fatal(err)
	}

	// Tables no module defines are cropped, as SONiC does.
	r, err = s.Convert(doc["SAMPLE_CONFIG_DB_UNKNOWN"])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Cropped, ",") != "UNKNOWN_TABLE" || len(r.Modules) != 0 {
		t.Errorf("unknown table: cropped %v, modules %v", r.Cropped, r.Modules)
	}
}

// TestSampleConfigDBBroken breaks the sample in ways only the models
// catch; each must fail.
func TestSampleConfigDBBroken(t *testing.T) {
	s, yl, doc := sample(t)
	tests := []struct{ name, table, key, row, want string }{
		{"VLAN member on a port that does not exist", "VLAN_MEMBER", "Vlan111|Ethernet999", `{"tagging_mode": "tagged"}`, "Ethernet999"},
		{"unknown tagging mode", "VLAN_MEMBER", "Vlan111|Ethernet0", `{"tagging_mode": "trunk"}`, "trunk"},
		{"loopback address of the wrong family", "LOOPBACK_INTERFACE", "Loopback0|10.9.9.9/32", `{"family": "IPv6"}`, "family"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var db map[string]map[string]json.RawMessage
			if err := json.Unmarshal(doc["SAMPLE_CONFIG_DB_JSON"], &db); err != nil {
				t.Fatal(err)
			}
			db[tt.table][tt.key] = json.RawMessage(tt.row)
			data, _ := json.Marshal(db)
			r, err := s.Convert(data)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Lint(context.Background(), yl, r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a rejection mentioning %q", err, tt.want)
			}
		})
	}
}
