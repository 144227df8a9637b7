package sonic

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/render/sonic/yang"
)

// yangDir holds the community SONiC YANG modules the output needs (their
// import closure), copied from ../shared/sonic/yang-models so the test
// runs where that checkout is absent; see testdata/yang/README.md.
const yangDir = "testdata/yang"

// sharedYANG is the full set of models, next to the repository.
const sharedYANG = "../../../../shared/sonic/yang-models"

// linter returns the schema and yanglint, or skips the test.
func linter(t *testing.T) (*yang.Schema, string) {
	t.Helper()
	yl, err := yang.Yanglint()
	if err != nil {
		t.Skip("yanglint is not installed (Debian package libyang2-tools); cannot check the output against the SONiC YANG models")
	}
	s, err := yang.Load(yangDir)
	if err != nil {
		t.Fatal(err)
	}
	return s, yl
}

// TestOutputIsValidYANG converts every golden file and the lab variants
// to YANG-JSON and has yanglint validate them against the community
// models. No table may be cropped: each one Fundament writes must be
// modelled, or it is not validated.
func TestOutputIsValidYANG(t *testing.T) {
	s, yl := linter(t)
	docs := map[string][]byte{}
	for _, ex := range examples {
		files, _ := filepath.Glob(filepath.Join("testdata", "golden", ex, "*", "config_db.json"))
		if len(files) == 0 {
			t.Fatalf("no golden files for %s", ex)
		}
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			docs[p] = data
		}
	}
	for variant, f := range labVariants(t) {
		files, err := f.Render()
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			docs[variant+"/"+name] = data
		}
	}
	for name, data := range docs {
		t.Run(name, func(t *testing.T) {
			r, err := s.Convert(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Cropped) > 0 {
				t.Errorf("tables without a YANG model (not validated): %v", r.Cropped)
			}
			if err := s.Lint(context.Background(), yl, r); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestYANGRejects proves the check can fail: each change breaks a rule of
// the models that a renderer bug could break, and yanglint must say so.
func TestYANGRejects(t *testing.T) {
	s, yl := linter(t)
	tests := []struct {
		name   string
		change func(db ConfigDB)
		want   string // in yanglint's message
	}{
		{"AF row of a neighbor that does not exist", func(db ConfigDB) {
			db.set("BGP_NEIGHBOR_AF", "default|Ethernet8|ipv4_unicast", Fields{"admin_status": "up"})
		}, "leafref"},
		{"Enterprise SONiC's admin_status true", func(db ConfigDB) {
			db.set("BGP_NEIGHBOR_AF", "default|Ethernet48|ipv4_unicast", Fields{"admin_status": "true"})
		}, "admin_status"},
		{"a field community SONiC does not define (v6only)", func(db ConfigDB) {
			db.set("BGP_NEIGHBOR", "default|Ethernet48", Fields{"v6only": "true"})
		}, "v6only"},
		{"a VLAN member that is also a routed interface", func(db ConfigDB) {
			db.set("INTERFACE", "Ethernet0", Fields{})
		}, "Ethernet0"},
		{"a VLAN member that is a PortChannel member", func(db ConfigDB) {
			db.set("PORTCHANNEL", "PortChannel9", Fields{"admin_status": "up"})
			db.set("PORTCHANNEL_MEMBER", "PortChannel9|Ethernet0", Fields{})
		}, "Ethernet0"},
		{"a VLAN id that is not its name's", func(db ConfigDB) {
			db.set("VLAN", "Vlan20", Fields{"vlanid": "21"})
		}, "vlanid"},
		{"MGMT_INTERFACE without a prefix in the key", func(db ConfigDB) {
			db.set("MGMT_INTERFACE", "eth0", Fields{"gwaddr": "10.199.0.1"})
		}, "MGMT_INTERFACE"},
		{"a port speed out of range", func(db ConfigDB) {
			db.set("PORT", "Ethernet0", Fields{"speed": "0"})
		}, "speed"},
		{"anycast gateway without SAG", func(db ConfigDB) {
			delete(db, "SAG")
		}, "static_anycast_gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustSwitch(t, mustFabric(t, loadExample(t, "lab")), "leaf-1")
			tt.change(db)
			data, err := db.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			// A key the models have no list for fails the conversion
			// already; anything else is yanglint's to reject.
			r, err := s.Convert(data)
			if err == nil {
				err = s.Lint(context.Background(), yl, r)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("the message does not mention %q:\n%v", tt.want, err)
			}
		})
	}
}

// TestYANGCopiesAreUpstream keeps testdata/yang identical to the shared
// models it was copied from, when those are present.
func TestYANGCopiesAreUpstream(t *testing.T) {
	if _, err := os.Stat(sharedYANG); err != nil {
		t.Skipf("%s not present: %v", sharedYANG, err)
	}
	files, _ := filepath.Glob(filepath.Join(yangDir, "*.yang"))
	if len(files) == 0 {
		t.Fatal("no .yang files in testdata/yang")
	}
	for _, f := range files {
		ours, _ := os.ReadFile(f)
		theirs, err := os.ReadFile(filepath.Join(sharedYANG, filepath.Base(f)))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("%s differs from %s; copy it again", f, sharedYANG)
		}
	}
}
