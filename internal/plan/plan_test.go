package plan

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/transport"
)

func testCatalog(t *testing.T, dir, secret string) *catalog.Catalog {
	t.Helper()
	items := []*catalog.Item{
		{Host: "h1", Component: "test", Resource: resource.Directory{Path: filepath.Join(dir, "etc")}},
		{Host: "h1", Component: "test", Resource: resource.File{Path: filepath.Join(dir, "etc", "motd"), Content: []byte("hello\n"), Mode: "0644"},
			After: []catalog.Ref{{Host: "h1", ID: resource.ID{Kind: resource.KindDirectory, Name: filepath.Join(dir, "etc")}}}},
		{Host: "h1", Component: "test", Resource: resource.File{Path: filepath.Join(dir, "etc", "token"), Content: []byte(secret), Mode: "0600", Secret: true},
			After: []catalog.Ref{{Host: "h1", ID: resource.ID{Kind: resource.KindDirectory, Name: filepath.Join(dir, "etc")}}}},
		{Host: "h1", Component: "test", Resource: resource.Command{Name: "once", Script: "echo ran >> " + filepath.Join(dir, "ran")}},
	}
	cat, err := catalog.New(items, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestMakeRenderAndFreshness(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: files are created with owner root")
	}
	dir := t.TempDir()
	const secret = "s3cr3t-value-never-shown"
	cat := testCatalog(t, dir, secret)
	hosts := map[string]transport.Transport{"h1": &transport.Local{Name: "h1"}}
	ctx := context.Background()

	p, err := Make(ctx, cat, hosts, Options{Cloud: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	Render(&out, p)
	text := out.String()
	for _, want := range []string{"# h1", "+ create   directory:" + dir + "/etc", "+ create   file:" + dir + "/etc/motd", "> run      command:once", "Plan: 3 to create, 0 to change, 0 to delete, 1 to run, 0 to restart."} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	var saved bytes.Buffer
	if err := p.Write(&saved); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text+saved.String(), secret) {
		t.Fatal("a sensitive value is in the plan output or file")
	}
	back, err := Read(&saved)
	if err != nil || back.Hash() != p.Hash() {
		t.Fatalf("read back: %v", err)
	}

	// Fresh: nothing changed since.
	again, _ := Make(ctx, cat, hosts, Options{})
	if err := CheckFresh(back, cat, again); err != nil {
		t.Errorf("fresh plan refused: %v", err)
	}
	// A host changed: refused.
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc", "motd"), []byte("by hand\n"), 0o644)
	now, _ := Make(ctx, cat, hosts, Options{})
	if err := CheckFresh(back, cat, now); err == nil || !strings.Contains(err.Error(), "stale: h1 changed") {
		t.Errorf("want a stale plan refused for h1, got %v", err)
	}
	// The repository changed: refused.
	other := testCatalog(t, dir, "another secret")
	if err := CheckFresh(back, other, now); err == nil || !strings.Contains(err.Error(), "configuration repository changed") {
		t.Errorf("want a stale plan refused for the repository, got %v", err)
	}
	// An update shows field diffs, the sensitive one without values.
	os.WriteFile(filepath.Join(dir, "etc", "token"), []byte("old"), 0o644)
	out.Reset()
	Render(&out, now)
	Render(&out, mustMake(t, cat, hosts))
	if !strings.Contains(out.String(), `~ content: (sensitive value changes)`) || !strings.Contains(out.String(), `~ mode: "0644" -> "0600"`) {
		t.Errorf("update rendering:\n%s", out.String())
	}
}

func mustMake(t *testing.T, cat *catalog.Catalog, hosts map[string]transport.Transport) *Plan {
	t.Helper()
	p, err := Make(context.Background(), cat, hosts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUnreachableHost(t *testing.T) {
	cat := testCatalog(t, t.TempDir(), "x")
	down := &downHost{}
	p, err := Make(context.Background(), cat, map[string]transport.Transport{"h1": down}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Counts(); c.Unreachable != 1 || p.HasChanges() {
		t.Errorf("counts %+v", c)
	}
	var out bytes.Buffer
	Render(&out, p)
	if !strings.Contains(out.String(), "# h1: cannot plan: host h1 unreachable") {
		t.Errorf("render:\n%s", out.String())
	}
}

func TestReadRejectsOtherFiles(t *testing.T) {
	for _, in := range []string{"", "{}", `{"format_version": 99}`, `{"format_version": 1, "bogus": true}`, "not json"} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("Read(%q) accepted", in)
		}
	}
}

type downHost struct{}

func (*downHost) Run(context.Context, string, io.Reader) (transport.Result, error) {
	return transport.Result{}, &transport.UnreachableError{Host: "h1", Err: errors.New("connection refused")}
}
func (*downHost) Host() string { return "h1" }
func (*downHost) Close() error { return nil }

// A command without a guard leaves no trace on the host: when another
// apply ran it after the plan was made, the hosts look the same, but the
// plan is stale all the same (applying it would run the command again).
func TestStaleWhenRecordedMeanwhile(t *testing.T) {
	cmd := resource.Command{Name: "once", Script: "true"}
	cat, err := catalog.New([]*catalog.Item{{Host: "h1", Component: "test", Resource: cmd}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]transport.Transport{"h1": &transport.Local{Name: "h1"}}
	applied := map[string]string{}
	opts := Options{Applied: func(string) (map[string]string, error) { return applied, nil }}
	saved, err := Make(context.Background(), cat, hosts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckFresh(saved, cat, mustMakeOpts(t, cat, hosts, opts)); err != nil {
		t.Fatalf("fresh plan refused: %v", err)
	}
	applied["command:once"] = cmd.Digest()
	err = CheckFresh(saved, cat, mustMakeOpts(t, cat, hosts, opts))
	if err == nil || !strings.Contains(err.Error(), "the plan is stale: h1 (command:once: run when planned, none now)") {
		t.Errorf("got %v", err)
	}
}

func mustMakeOpts(t *testing.T, cat *catalog.Catalog, hosts map[string]transport.Transport, opts Options) *Plan {
	t.Helper()
	p, err := Make(context.Background(), cat, hosts, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A subscriber that changes anyway is marked Restart when what it
// subscribes to changes too; one that would not change acts because of it.
func TestSubscribersOfAChange(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: files are created with owner root")
	}
	dir := t.TempDir()
	conf := resource.File{Path: filepath.Join(dir, "app.conf"), Content: []byte("new\n"), Mode: "0644"}
	sub := []catalog.Ref{{Host: "h1", ID: conf.ID()}}
	cat, err := catalog.New([]*catalog.Item{
		{Host: "h1", Component: "test", Resource: conf},
		{Host: "h1", Component: "test", Resource: resource.Command{Name: "pending", Script: "true", Guard: "false"}, Subscribes: sub},
		{Host: "h1", Component: "test", Resource: resource.Command{Name: "done", Script: "true", Guard: "true"}, Subscribes: sub},
		{Host: "h1", Component: "test", Resource: resource.Command{Name: "unrelated", Script: "true", Guard: "false"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := mustMake(t, cat, map[string]transport.Transport{"h1": &transport.Local{Name: "h1"}})
	got := map[string]resource.Change{}
	for _, it := range p.Hosts[0].Items {
		got[it.Ref.ID.Name] = it.Change
	}
	if c := got["pending"]; c.Op != resource.OpRun || !c.Restart {
		t.Errorf("pending: %+v, want run marked Restart", c)
	}
	if c := got["done"]; c.Op != resource.OpRun || c.Restart || !strings.Contains(c.Reason, "app.conf changes") {
		t.Errorf("done: %+v, want run because app.conf changes", c)
	}
	if c := got["unrelated"]; c.Op != resource.OpRun || c.Restart {
		t.Errorf("unrelated: %+v, want run, not marked", c)
	}
}
