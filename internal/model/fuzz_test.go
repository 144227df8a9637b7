package model

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"testing/fstest"
	"time"
)

// fuzzSeparator splits a fuzz input into the files of a repository.
const fuzzSeparator = "\n#---file---\n"

// fuzzFiles are the files the parts of a fuzz input become, in order;
// parts beyond the last go into the last.
var fuzzFiles = []string{CloudFile, NetworkFile, "inventory/a.yaml", "services/x.yaml", "inventory/rack/b.yaml", "services/y.yml"}

// fuzzRepo turns a fuzz input into a repository.
func fuzzRepo(data []byte) fstest.MapFS {
	fsys := fstest.MapFS{}
	parts := bytes.SplitN(data, []byte(fuzzSeparator), len(fuzzFiles))
	for i, p := range parts {
		fsys[fuzzFiles[i]] = &fstest.MapFile{Data: p}
	}
	return fsys
}

// FuzzLoad loads arbitrary files: the loader must not panic or hang, every
// diagnostic must name its file, and the model must hold no nil where the
// checks expect a value.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(okCloud + fuzzSeparator + okNetwork + fuzzSeparator + okInventory))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		c, diags := LoadFS(fuzzRepo(data))
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("LoadFS took %s", d)
		}
		for _, d := range diags.Items() {
			if d.File == "" || d.Line < 0 || d.Column < 0 || (d.Column > 0 && d.Line == 0) {
				t.Errorf("diagnostic without a proper position: %#v", d)
			}
			_ = d.String()
		}
		if c == nil {
			t.Fatal("LoadFS returned no model")
		}
		// Files are parsed concurrently: the outcome must not depend on it.
		if _, again := LoadFS(fuzzRepo(data)); !slices.Equal(again.Items(), diags.Items()) {
			t.Errorf("a second load differs:\n%v\n%v", again.Items(), diags.Items())
		}
		if path := findNil(reflect.ValueOf(c).Elem(), "cloud"); path != "" {
			t.Errorf("nil in the model at %s", path)
		}
	})
}

// findNil returns the path of the first nil pointer element of a slice or
// map in v, or "".
func findNil(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			return findNil(v.Elem(), path)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				if p := findNil(v.Field(i), path+"."+f.Name); p != "" {
					return p
				}
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			if e.Kind() == reflect.Pointer && e.IsNil() {
				return path + "[" + strconv.Itoa(i) + "]"
			}
			if p := findNil(e, path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			e := iter.Value()
			if e.Kind() == reflect.Pointer && e.IsNil() {
				return path + "." + iter.Key().String()
			}
			if p := findNil(e, path+"."+iter.Key().String()); p != "" {
				return p
			}
		}
	}
	return ""
}
