package resource

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestUserPlan(t *testing.T) {
	u := User{Name: "svcuser", UID: 64060, Group: "svcuser", Home: "/var/lib/svcuser", Shell: "/usr/sbin/nologin", System: true, Groups: []string{"libvirt", "ceph"}}
	have := State{"present": "true", "uid": "64060", "group": "svcuser", "home": "/var/lib/svcuser", "shell": "/usr/sbin/nologin", "groups": "ceph,libvirt,svcuser"}
	with := func(k, v string) State {
		s := State{}
		for a, b := range have {
			s[a] = b
		}
		s[k] = v
		return s
	}
	tests := []struct {
		name     string
		u        User
		observed State
		op       Op
		fields   []FieldChange
	}{
		{"same", u, have, OpNone, nil},
		{"in more groups", u, with("groups", "ceph,kvm,libvirt,svcuser"), OpNone, nil},
		{"missing group", u, with("groups", "kvm,svcuser"), OpUpdate,
			[]FieldChange{{Field: "groups", Old: "kvm,svcuser", New: "ceph,kvm,libvirt,svcuser"}}},
		{"shell", u, with("shell", "/bin/bash"), OpUpdate, []FieldChange{{Field: "shell", Old: "/bin/bash", New: "/usr/sbin/nologin"}}},
		{"missing", u, State{"present": "false"}, OpCreate, nil},
		{"any uid", User{Name: "svcuser"}, with("uid", "1234"), OpNone, nil},
		{"user group", User{Name: "svcuser"}, with("group", "users"), OpUpdate, []FieldChange{{Field: "group", Old: "users", New: "svcuser"}}},
		{"absent", User{Name: "svcuser", Absent: true}, have, OpDelete, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.u.Plan(tt.observed)
			if c.Op != tt.op {
				t.Fatalf("op %s, want %s (%+v)", c.Op, tt.op, c)
			}
			if tt.fields != nil && !reflect.DeepEqual(c.Fields, tt.fields) {
				t.Fatalf("fields %+v, want %+v", c.Fields, tt.fields)
			}
		})
	}
	s, err := u.Parse("present=true\nuid=1\ngroup=svcuser\ngroups=svcuser,libvirt,ceph,\n", 0)
	if err != nil || s["groups"] != "ceph,libvirt,svcuser" {
		t.Fatalf("%v %v", s, err)
	}
	g := Group{Name: "ceph", GID: 64045}
	if c := g.Plan(State{"present": "true", "gid": "64045"}); c.Op != OpNone {
		t.Fatalf("%+v", c)
	}
	if c := g.Plan(State{"present": "true", "gid": "1000"}); c.Op != OpUpdate || c.Fields[0].Field != "gid" {
		t.Fatalf("%+v", c)
	}
}

func TestUserScripts(t *testing.T) {
	for _, r := range []Resource{
		User{Name: "svcuser", UID: 64060, Group: "svcuser", Home: "/var/lib/svcuser", Shell: "/usr/sbin/nologin", System: true, Groups: []string{"libvirt"}},
		User{Name: "ops"}, User{Name: "ops", Absent: true},
		Group{Name: "ceph", GID: 64045, System: true}, Group{Name: "ceph"}, Group{Name: "ceph", Absent: true},
	} {
		checkScripts(t, r)
	}
	if err := (User{Name: "1000"}).Validate(); err == nil {
		t.Fatal("a numeric user name is looked up as a uid: must be refused")
	}
}

// freeID finds a uid and gid that nothing uses.
func freeID(t *testing.T) int {
	for range 100 {
		id := 60000 + rand.IntN(4000)
		if exec.Command("getent", "passwd", strconv.Itoa(id)).Run() != nil &&
			exec.Command("getent", "group", strconv.Itoa(id)).Run() != nil {
			return id
		}
	}
	t.Fatal("no free id")
	return 0
}

func TestUserGroupReal(t *testing.T) {
	needRoot(t)
	for _, tool := range []string{"useradd", "groupadd", "getent"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	h := newHost(t)
	name := randName(t)
	g1, g2, g3, ug := name+"-a", name+"-b", name+"-c", name
	t.Cleanup(func() {
		exec.Command("userdel", name).Run()
		exec.Command("userdel", name+"-u2").Run()
		for _, g := range []string{g1, g2, g3, ug, name + "-u2"} {
			exec.Command("groupdel", g).Run()
		}
	})
	gid := freeID(t)
	h.converge(Group{Name: g1, System: true}, OpCreate)
	h.converge(Group{Name: g1, System: true}, OpNone)
	h.converge(Group{Name: g2, GID: gid}, OpCreate)
	if s := h.observe(Group{Name: g2}); s["gid"] != strconv.Itoa(gid) {
		t.Fatalf("%v", s)
	}
	c := h.converge(Group{Name: g2, GID: gid + 1}, OpUpdate)
	if c.Fields[0] != (FieldChange{Field: "gid", Old: strconv.Itoa(gid), New: strconv.Itoa(gid + 1)}) {
		t.Fatalf("%+v", c)
	}
	h.converge(Group{Name: g3}, OpCreate)
	// A repeated create is safe.
	h.apply(Group{Name: g3}, Change{Op: OpCreate})

	home := filepath.Join(t.TempDir(), "home")
	uid := freeID(t)
	u := User{Name: name, UID: uid, Group: g1, Groups: []string{g2}, Home: home, Shell: "/bin/sh"}
	h.converge(u, OpCreate)
	s := h.observe(u)
	want := State{"present": "true", "uid": strconv.Itoa(uid), "group": g1, "home": home, "shell": "/bin/sh", "groups": strings.Join(sortedSet([]string{g1, g2}), ",")}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("observed %v\nwant %v", s, want)
	}
	if st, err := os.Stat(home); err != nil || !st.IsDir() {
		t.Fatalf("home not made: %v", err)
	}
	h.converge(u, OpNone)
	h.apply(u, Change{Op: OpCreate}) // repeated create: usermod, harmless

	// Someone adds the user to another group: kept, no change.
	if out, err := exec.Command("usermod", "-a", "-G", g3, name).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	h.converge(u, OpNone)
	u.Shell = "/bin/bash"
	u.Groups = []string{g2, g3, ug}
	h.converge(Group{Name: ug}, OpCreate)
	c = h.converge(u, OpUpdate)
	if len(c.Fields) != 2 {
		t.Fatalf("%+v", c)
	}
	u.Group = g2
	h.converge(u, OpUpdate)

	// A user with its own user group, made with it (system user, no home).
	u2 := User{Name: name + "-u2", System: true, Shell: "/usr/sbin/nologin", Home: "/nonexistent"}
	h.converge(u2, OpCreate)
	if s := h.observe(u2); s["group"] != name+"-u2" {
		t.Fatalf("%v", s)
	}
	if _, err := os.Stat("/nonexistent"); err == nil {
		t.Fatal("a system user's home was made")
	}

	// Delete, twice; then the groups.
	h.converge(User{Name: name, Absent: true}, OpDelete)
	h.apply(User{Name: name, Absent: true}, Change{Op: OpDelete})
	h.converge(User{Name: name, Absent: true}, OpNone)
	h.converge(User{Name: name + "-u2", Absent: true}, OpDelete)
	// userdel removed the user group it made with the user.
	h.converge(Group{Name: name + "-u2", Absent: true}, OpNone)
	for _, g := range []string{g1, g2, g3, ug} {
		h.converge(Group{Name: g, Absent: true}, OpDelete)
	}
	h.converge(Group{Name: g1, Absent: true}, OpNone)
}
