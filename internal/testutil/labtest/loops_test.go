package labtest

import (
	"slices"
	"testing"
)

func TestLeftLoops(t *testing.T) {
	list := `/dev/loop0 /tmp/TestLabKeystone111/002/lab/fks/nodes/stor-1/disks/dev_vdb.img (deleted)
/dev/loop1 /tmp/TestLabKeystone111/002/lab/fks/nodes/stor-2/disks/dev_vdb.img
/dev/loop2 /tmp/TestLabKeystone222/002/lab/fks/nodes/stor-1/disks/dev_vdb.img
/dev/loop3 /tmp/TestLabKeystoneUpgrade333/002/lab/fku/nodes/stor-1/disks/dev_vdb.img
/dev/loop4 /tmp/TestLabGalera444/002/lab/fgl/nodes/stor-1/disks/dev_vdb.img
/dev/loop5 /var/lib/fundament/lab/fm/nodes/stor-1/disks/dev_vdb.img
/dev/loop6 /tmp/TestLabKeystone555/002/lab/other/nodes/stor-1/disks/dev_vdb.img
/dev/loop7 /tmp/TestLabKeystone666/002/x.img

`
	got := leftLoops(list, "/tmp", "TestLabKeystone", "fks", "/tmp/TestLabKeystone222/002/lab")
	if want := []string{"/dev/loop0", "/dev/loop1"}; !slices.Equal(got, want) {
		t.Errorf("leftLoops = %v, want %v (a killed run's of this test and prefix; not this run's, another test's, another prefix's or make lab's)", got, want)
	}
}
