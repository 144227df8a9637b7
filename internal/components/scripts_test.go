package components_test

// Every script the compiled examples would run is valid sh: each host's
// observation batch, each resource's observe fragment and action (for
// every operation it can plan), each command's script and guard, each
// service's restart. A component that builds a script by concatenation
// and gets a quote wrong fails here, offline, rather than on a host.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/cli"
	"github.com/fundament-cloud/fundament/internal/components"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/secrets"
	"github.com/fundament-cloud/fundament/internal/validate"
)

// compileExample compiles a copy of examples/<name> with every component
// and secrets generated for it (no hosts: offline, as render does).
func compileExample(t *testing.T, name string) *catalog.Catalog {
	t.Helper()
	repo := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(repo, os.DirFS(filepath.Join("..", "..", "examples", name))); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{secrets.DirName, cli.StateDir} { // what make lab left
		os.RemoveAll(filepath.Join(repo, dir))
	}
	c, diags := validate.Check(repo)
	if diags.HasErrors() {
		t.Fatal(diags.Items())
	}
	t.Setenv(secrets.IdentityEnv, filepath.Join(t.TempDir(), "id.agekey"))
	st, err := secrets.Open(secrets.Options{RepoDir: repo, CloudName: c.Spec.Name})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Generate(secrets.Required(c), nil); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Compile(&catalog.Input{Cloud: c, RepoDir: repo, Secret: st.Get}, components.All()...)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// scripts are what a resource can run, by name.
func scripts(r resource.Resource) map[string]string {
	out := map[string]string{"observe": r.Observe()}
	if cmd, ok := r.(resource.Command); ok {
		out["script"], out["guard"] = cmd.Script, cmd.Guard
	}
	for _, op := range []resource.Op{resource.OpCreate, resource.OpUpdate, resource.OpDelete, resource.OpRun} {
		s, _ := r.Apply(resource.Change{Op: op})
		out["apply "+string(op)] = s
	}
	if rs, ok := r.(resource.Restarter); ok {
		out["restart"] = rs.RestartScript()
	}
	return out
}

func TestExampleScriptsParse(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to check the scripts with")
	}
	// parses runs sh -n with the script on its standard input: scripts
	// carry secrets in their exports, never on a command line.
	parses := func(script string) (string, bool) {
		cmd := exec.Command(sh, "-n")
		cmd.Stdin = strings.NewReader(script)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err == nil
	}
	for _, name := range []string{"lab", "production"} {
		t.Run(name, func(t *testing.T) {
			cat := compileExample(t, name)
			// Each different script once: most are the same on many hosts.
			seen := map[string]bool{}
			check := func(script, where string) {
				if script == "" || seen[script] {
					return
				}
				seen[script] = true
				if out, ok := parses(script); !ok {
					t.Errorf("%s: %s", where, out)
				}
			}
			for _, h := range cat.Hosts() {
				var rs []resource.Resource
				for _, it := range cat.HostItems(h) {
					rs = append(rs, it.Resource)
					for what, s := range scripts(it.Resource) {
						check(s, h+"/"+it.Resource.ID().String()+" ("+it.Component+"): "+what)
					}
				}
				check(resource.ObserveBatch(rs).Script, h+": the observation batch")
			}
			t.Logf("%d different scripts of %d hosts parse", len(seen), len(cat.Hosts()))
		})
	}
}
