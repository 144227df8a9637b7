package resource

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestAnsibleLocalCommand(t *testing.T) {
	a := Ansible{
		Name:      "ovn-central",
		Playbook:  "/usr/share/fundament/playbooks/ovn.yaml",
		Inventory: map[string]any{"all": map[string]any{"hosts": map[string]any{"h1": map[string]any{"ansible_host": "10.0.0.1"}}}},
		ExtraVars: map[string]any{"ovn_version": "24.09", "port": 6641},
		Limit:     []string{"h1", "controllers"},
	}
	argv, files := a.LocalCommand("/run/fundament/x")
	want := []string{"ansible-playbook", "-i", "/run/fundament/x/inventory.yaml", "-e", "@/run/fundament/x/extra-vars.json",
		"--limit", "h1,controllers", "/usr/share/fundament/playbooks/ovn.yaml"}
	if !reflect.DeepEqual(argv, want) {
		t.Fatalf("argv %q", argv)
	}
	var inv map[string]any
	if err := yaml.Unmarshal(files["/run/fundament/x/inventory.yaml"], &inv); err != nil || !reflect.DeepEqual(inv, a.Inventory) {
		t.Fatalf("inventory %v %v\n%s", inv, err, files["/run/fundament/x/inventory.yaml"])
	}
	mustContain(t, "vars", string(files["/run/fundament/x/extra-vars.json"]), `"port": 6641`)

	if a.Observe() != "" {
		t.Fatal("observes nothing")
	}
	c := a.Plan(State{})
	if c.Op != OpRun || !strings.Contains(c.Reason, a.Digest()) {
		t.Fatalf("%+v", c)
	}
	script, _ := a.Apply(c)
	checkSyntax(t, "ansible apply", script)
	mustContain(t, "ansible apply", script, "exit 1", "runs on the manager")
	b := a
	b.ExtraVars = map[string]any{"ovn_version": "24.09", "port": 6642}
	if a.Digest() == b.Digest() {
		t.Fatal("digest must follow the vars")
	}
	var _ LocalRunner = a
	var _ Recorded = a
}

func TestAnsibleReal(t *testing.T) {
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Skip("ansible-playbook is not installed (apt-get install ansible-core)")
	}
	dir := t.TempDir()
	playbook := filepath.Join(dir, "write.yaml")
	out := filepath.Join(dir, "out.txt")
	os.WriteFile(playbook, []byte(`- hosts: all
  gather_facts: false
  tasks:
    - name: write a file
      ansible.builtin.copy:
        dest: "{{ out }}"
        content: "{{ greeting }}\n"
        mode: "0640"
`), 0o644)
	a := Ansible{
		Name:     "write",
		Playbook: playbook,
		Inventory: map[string]any{"all": map[string]any{"hosts": map[string]any{
			"localhost": map[string]any{"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
			"elsewhere": map[string]any{"ansible_host": "192.0.2.1"},
		}}},
		ExtraVars: map[string]any{"out": out, "greeting": "hello from 'fundament'"},
		Limit:     []string{"localhost"},
	}
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o700)
	argv, files := a.LocalCommand(work)
	for p, b := range files {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"), "ANSIBLE_REMOTE_TEMP="+filepath.Join(dir, "rtmp"), "ANSIBLE_RETRY_FILES_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil || string(b) != "hello from 'fundament'\n" {
		t.Fatalf("%q %v", b, err)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", st.Mode())
	}
}
