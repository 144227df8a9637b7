package validate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/fundament-cloud/fundament/internal/model"
)

// fuzzSeparator splits a fuzz input into the files of a repository, as in
// model's FuzzLoad (whose seed corpus format this shares).
const fuzzSeparator = "\n#---file---\n"

var fuzzFiles = []string{model.CloudFile, model.NetworkFile, "inventory/a.yaml", "services/x.yaml", "inventory/rack/b.yaml", "services/y.yml"}

func fuzzRepo(data []byte) fstest.MapFS {
	fsys := fstest.MapFS{}
	parts := bytes.SplitN(data, []byte(fuzzSeparator), len(fuzzFiles))
	for i, p := range parts {
		fsys[fuzzFiles[i]] = &fstest.MapFile{Data: p}
	}
	return fsys
}

// baseSeed is testdata/base as one fuzz input.
func baseSeed(tb testing.TB) []byte {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata/base", name))
		if err != nil {
			tb.Fatal(err)
		}
		return data
	}
	// Two inventory slots for three files: storage joins control's list.
	inv := append(read("inventory/control.yaml"), bytes.TrimPrefix(read("inventory/storage.yaml"), []byte("hosts:\n"))...)
	return bytes.Join([][]byte{
		read("cloud.yaml"), read("network.yaml"), inv, read("services/ceph.yaml"),
		read("inventory/compute.yaml"), read("services/openstack.yaml"),
	}, []byte(fuzzSeparator))
}

// FuzzCheck validates arbitrary repositories: no rule may panic, whatever
// partial model the loader hands it.
func FuzzCheck(f *testing.F) {
	f.Add(baseSeed(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := model.LoadFS(fuzzRepo(data))
		for _, d := range Validate(c).Items() {
			_ = d.String()
		}
	})
}

// The base repository as a fuzz input is as valid as the base itself.
func TestBaseSeedIsValid(t *testing.T) {
	c, d := model.LoadFS(fuzzRepo(baseSeed(t)))
	d.Append(Validate(c))
	if got := render(d); got != "" {
		t.Errorf("base seed: %s", got)
	}
	if len(c.Hosts) != 7 {
		t.Errorf("base seed has %d hosts, want 7", len(c.Hosts))
	}
}
