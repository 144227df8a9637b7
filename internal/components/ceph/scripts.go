package ceph

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// helpers begin every script and guard: the ceph CLI as client.admin with
// timeouts (without them it waits for a monitor forever), the cluster's
// fsid from ceph.conf, a wait with a deadline, and JSON read with
// Python (ceph-volume is Python: every Ceph host has it).
const helpers = `cephc() { timeout 120 ceph --connect-timeout 20 "$@"; }
conf_fsid() { sed -n 's/^fsid = //p' /etc/ceph/ceph.conf; }
wait_for() {
	_what=$1 _secs=$2
	shift 2
	_deadline=$(($(date +%s) + _secs))
	until "$@"; do
		if [ "$(date +%s)" -ge "$_deadline" ]; then
			echo "fundament: $_what: still not after $_secs s" >&2
			return 1
		fi
		sleep 5
	done
}
json() {
	_code=$1
	shift
	python3 -c "$_code" "$@"
}
`

func script(body string) string { return "set -eu\n" + helpers + body }

// guard begins a guard with the helpers, the ceph CLI's timeouts shorter,
// within the plan's observation of a host (2 minutes): a host's guards run
// at once, a dozen ceph calls on the first monitor, each a Python start.
// With 20 s, on a machine at load 20 (CI, three labs), every cluster
// guard timed out and the re-plan ran them all again.
func guard(body string) string {
	return helpers + "cephc() { timeout 60 ceph --connect-timeout 30 \"$@\"; }\n" + body
}

// monDone marks a monitor whose store ceph-mon --mkfs finished.
func monDir(host string) string { return "/var/lib/ceph/mon/ceph-" + host }

// mkfsCommand makes member host's monitor store, once: the monmap of
// every monitor of the model (the same initial map on each, so that
// they form one quorum), with the initial keyring. A store that exists
// is never made again: it is the cluster's state. One left unfinished
// by an earlier attempt (no done file) is refused, for an operator to
// look at: Fundament removes no monitor's data.
func mkfsCommand(t *topology, host string) resource.Command {
	var addv []string
	for _, m := range t.Mons {
		addv = append(addv, "--addv "+resource.QuoteArgs(m.Host, m.addrvec()))
	}
	body := fmt.Sprintf(`host=%[1]s
dir=%[2]s
if [ -e "$dir/done" ]; then
	echo "fundament: the monitor store of $host exists"
	exit 0
fi
if [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
	echo "fundament: $dir holds an unfinished monitor store (no done file); Fundament removes no monitor's data: move it away and apply again" >&2
	exit 1
fi
install -d -o ceph -g ceph -m 0750 /var/lib/ceph/tmp "$dir"
tmp=$(mktemp -d /var/lib/ceph/tmp/fundament-mkfs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
monmaptool --create --clobber --fsid "$(conf_fsid)" \
	%[3]s \
	--enable-all-features --set-min-mon-release reef "$tmp/monmap"
chown -R ceph:ceph "$tmp"
ceph-mon --cluster ceph --mkfs -i "$host" --monmap "$tmp/monmap" --keyring %[4]s --setuser ceph --setgroup ceph
touch "$dir/done"
chown ceph:ceph "$dir/done"
echo "fundament: made the monitor store of $host (monitors: %[5]s)"
`, resource.Quote(host), resource.Quote(monDir(host)), strings.Join(addv, " \\\n\t"), resource.Quote(monKeyring), strings.Join(monNames(t), " "))
	return resource.Command{Name: "ceph/mon-mkfs", Script: script(body), Guard: guard("[ -e " + resource.Quote(monDir(host)+"/done") + " ]\n"),
		Timeout: "5m"}
}

func monNames(t *topology) []string {
	out := make([]string, len(t.Mons))
	for i, m := range t.Mons {
		out[i] = m.Host
	}
	return out
}

// monConfig is what the cluster keeps in its configuration database,
// name by name: section, option, value.
func monConfig(t *topology) [][3]string {
	cfg := [][3]string{
		{"mon", "auth_allow_insecure_global_id_reclaim", "false"},
		{"mon", "mon_allow_pool_delete", "false"},
		{"mon", "osd_pool_default_pg_autoscale_mode", "on"},
	}
	for _, p := range t.Pools {
		if p.Size == 1 {
			cfg = append(cfg, [3]string{"mon", "mon_allow_pool_size_one", "true"})
			break
		}
	}
	if t.Lab {
		// Every daemon sees the machine's whole memory, which the lab's
		// cloud shares: the smallest targets Ceph accepts.
		cfg = append(cfg, [3]string{"osd", "osd_memory_target", "939524096"},
			[3]string{"mon", "mon_memory_target", "536870912"})
		// The lab's monitors keep their store on the machine's own file
		// system, which the whole lab shares with everything else on it:
		// Ceph's default (warn below 30 % free) warned on a machine with
		// 27 % free. 10 % still warns before the critical 5 %.
		cfg = append(cfg, [3]string{"mon", "mon_data_avail_warn", "10"})
	}
	return cfg
}

// knownMute is a health warning of the release stream's Ceph that no
// configuration clears: muted (sticky, so that a manager failover that
// clears it for a moment does not end the mute), and named with its
// reason by the status check.
type knownMute struct{ Code, Reason string }

// knownMutes: Debian 13's ceph-mgr 18.2.7 loads its Python modules in
// subinterpreters, and every module imports bcrypt, a PyO3 extension that
// refuses them ("PyO3 modules do not yet support subinterpreters"): no
// module loads (pg_autoscaler, balancer, rbd_support, crash, progress,
// ...). The managers' C++ part (PG statistics, ceph df, osd ok-to-stop)
// works. Ceph 20 adds an option to load modules in the main interpreter
// (ceph/ceph#66244); reef has none.
var knownMutes = []knownMute{{Code: "MGR_MODULE_DEPENDENCY",
	Reason: "Debian 13's ceph-mgr 18.2.7 cannot load its Python modules (PyO3 in subinterpreters)"}}

func mutedReason(code string) string {
	for _, m := range knownMutes {
		if m.Code == code {
			return m.Reason
		}
	}
	return ""
}

// monConfigCommand waits, on the first monitor, for the quorum (the
// monitors start on their hosts at once on a new cluster), then enables
// msgr2 and sets the configuration. Its guard compares every option with
// one `ceph config dump`.
func monConfigCommand(t *topology) resource.Command {
	var set strings.Builder
	want := []string{"cephc config dump -f json | json 'import json, sys\n" +
		"have = set((o.get(\"section\"), o.get(\"name\"), str(o.get(\"value\"))) for o in json.load(sys.stdin))\n" +
		"want = sys.argv[1:]\n" +
		"sys.exit(0 if all(tuple(want[i:i + 3]) in have for i in range(0, len(want), 3)) else 1)'"}
	for _, c := range monConfig(t) {
		fmt.Fprintf(&set, "cephc config set %s\n", resource.QuoteArgs(c[0], c[1], c[2]))
		want = append(want, resource.QuoteArgs(c[0], c[1], c[2]))
	}
	var mutes []string
	for _, m := range knownMutes {
		fmt.Fprintf(&set, "cephc health mute %s --sticky\n", resource.Quote(m.Code))
		mutes = append(mutes, m.Code)
	}
	if len(mutes) > 0 {
		want = append(want, "&& cephc health -f json | json 'import json, sys\n"+
			"have = set(m.get(\"code\") for m in json.load(sys.stdin).get(\"mutes\", []) if m.get(\"sticky\"))\n"+
			"sys.exit(0 if set(sys.argv[1:]) <= have else 1)' "+resource.QuoteArgs(mutes...))
	}
	body := `quorum() { cephc quorum_status >/dev/null 2>&1; }
wait_for "the monitors form a quorum" 900 quorum
cephc mon enable-msgr2
` + set.String()
	return resource.Command{Name: "ceph/mon-config", Script: script(body), Guard: guard(strings.Join(want, " \\\n\t") + "\n"),
		Timeout: "20m", Idempotent: true}
}

// monOKToStopCommand runs before the monitor restarts (it subscribes to
// what the unit does): it waits until Ceph says the quorum survives
// stopping it. A monitor that does not run (a new cluster) has nothing
// to wait for.
func monOKToStopCommand(host string) resource.Command {
	body := fmt.Sprintf(`host=%s
if ! systemctl is-active -q "ceph-mon@$host"; then
	echo "fundament: the monitor of $host does not run: nothing to wait for"
	exit 0
fi
ok() { cephc mon ok-to-stop "$host" >/dev/null 2>&1; }
wait_for "ceph mon ok-to-stop $host" 600 ok
echo "fundament: the quorum survives restarting the monitor of $host"
`, resource.Quote(host))
	return resource.Command{Name: "ceph/mon-ok-to-stop", Script: script(body), Guard: ":\n", Timeout: "11m", Idempotent: true}
}

// mgrKeyringCommand makes mgr.HOST's key inside the cluster and writes
// it into the manager's keyring, never printed.
func mgrKeyringCommand(host string) resource.Command {
	dir := "/var/lib/ceph/mgr/ceph-" + host
	body := fmt.Sprintf(`dir=%s
install -d -o ceph -g ceph -m 0750 "$dir"
umask 077
cephc auth get-or-create %s mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$dir/keyring.new"
chown ceph:ceph "$dir/keyring.new"
mv "$dir/keyring.new" "$dir/keyring"
`, resource.Quote(dir), resource.Quote("mgr."+host))
	return resource.Command{Name: "ceph/mgr-keyring", Script: script(body), Guard: guard("[ -s " + resource.Quote(dir+"/keyring") + " ]\n"),
		Timeout: "5m", Idempotent: true}
}

// osdLabel prints "CEPH_FSID OSD_ID" of the BlueStore OSD on a device,
// from ceph-volume raw list's JSON (by OSD uuid: ceph_fsid, osd_id,
// device, type), nothing when it holds none.
const osdLabel = `osd_label() {
	ceph-volume raw list --format json "$1" 2>/dev/null |
		json 'import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for v in d.values():
    print(v.get("ceph_fsid", ""), v.get("osd_id", ""))
    break'
}
`

// osdCommandName names the command of one device.
func osdCommandName(dev string) string { return "ceph/osd-" + strings.TrimPrefix(dev, "/dev/") }

// osdCommand turns a device into an OSD of this cluster, or adopts the
// one it holds, and starts it. What the device holds is decided here, on
// the host (docs/ceph.md, "OSDs"): this cluster's OSD is adopted (never
// written to), another cluster's OSD or any other signature (a file
// system, a partition table, an LVM or RAID member) is refused naming
// host and device, and only a blank device is prepared. Never a wipe.
func osdCommand(host, dev string) resource.Command {
	body := fmt.Sprintf(`host=%[1]s
dev=%[2]s
%[3]s
refuse() {
	echo "fundament: host $host: $dev $1; Fundament never wipes a disk: if it is meant for this Ceph cluster, wipe it by hand (wipefs -a $dev) and apply again, else take it out of services/ceph.yaml" >&2
	exit 1
}
if [ ! -b "$dev" ]; then
	echo "fundament: host $host has no block device $dev (services/ceph.yaml names it)" >&2
	exit 1
fi
fsid=$(conf_fsid)
set -- $(osd_label "$dev")
if [ $# -ge 2 ]; then
	if [ "$1" != "$fsid" ]; then
		refuse "holds OSD $2 of another Ceph cluster (fsid $1)"
	fi
	id=$2
	echo "fundament: $dev holds OSD $id of this cluster: adopting it"
else
	rc=0
	sig=$(blkid -p -o export "$dev" 2>&1) || rc=$?
	case $rc in
	2) ;;
	0)
		what=$(printf '%%s\n' "$sig" | sed -n 's/^TYPE=//p; s/^PTTYPE=/a partition table of type /p' | head -n 1)
		refuse "holds ${what:-data}"
		;;
	*) refuse "cannot be probed (blkid exit $rc: $(printf '%%s' "$sig" | head -n 1))" ;;
	esac
	echo "fundament: $dev is blank: preparing a BlueStore OSD"
	ceph-volume raw prepare --bluestore --data "$dev" --no-tmpfs
	set -- $(osd_label "$dev")
	if [ $# -lt 2 ] || [ "$1" != "$fsid" ]; then
		echo "fundament: host $host: ceph-volume prepared $dev but lists no OSD of this cluster on it" >&2
		exit 1
	fi
	id=$2
fi
ceph-volume raw activate --device "$dev" --no-systemd --no-tmpfs
systemctl enable "ceph-osd@$id"
systemctl start "ceph-osd@$id"
echo "fundament: OSD $id runs on $dev"
`, resource.Quote(host), resource.Quote(dev), osdLabel)
	// Done: an OSD directory whose block device is this one, of this
	// cluster, with its daemon running. The same device by its numbers,
	// not its path: activate links the kernel's name (/dev/sdb, in the
	// lab /dev/loop12), the model may name a by-id link or another node.
	g := fmt.Sprintf(`dev=%s
[ -b "$dev" ] || exit 1
want=$(stat -L -c %%t:%%T "$dev") || exit 1
fsid=$(conf_fsid)
for d in /var/lib/ceph/osd/ceph-*; do
	[ -b "$d/block" ] && [ "$(stat -L -c %%t:%%T "$d/block")" = "$want" ] || continue
	[ "$(cat "$d/ceph_fsid" 2>/dev/null)" = "$fsid" ] || exit 1
	systemctl is-active -q "ceph-osd@$(cat "$d/whoami")" && exit 0
	exit 1
done
exit 1
`, resource.Quote(dev))
	// Not idempotent: prepare writes the device; after an attempt cut
	// short its guard is asked again, and the script adopts what prepare
	// finished.
	return resource.Command{Name: osdCommandName(dev), Script: script(body), Guard: guard(g), Timeout: "15m"}
}

// osdIDs prints the ids of the host's OSDs (the CRUSH map's host bucket).
const osdIDs = `osd_ids() { cephc osd ls-tree "$host" 2>/dev/null | tr '\n' ' '; }
`

// localOSDIDs are the OSDs whose directories the host has: on a first
// start an OSD is in no host bucket of the CRUSH map until it booted.
const localOSDIDs = `local_osd_ids() { cat /var/lib/ceph/osd/ceph-*/whoami 2>/dev/null | tr '\n' ' '; }
`

// noout is the guard of osd-up: the host's OSDs have no noout flag.
const nooutSet = `noout_set() {
	cephc osd dump -f json | json 'import json, sys
flags = json.load(sys.stdin).get("crush_node_flags") or {}
sys.exit(0 if "noout" in flags.get(sys.argv[1], []) else 1)' "$host"
}
`

// osdNooutCommand runs before the host's OSDs restart (it subscribes to
// what ceph-osd.target does): it waits until Ceph says stopping them
// leaves every PG available, then sets noout on the host, so that the
// cluster does not start moving their data while they restart.
func osdNooutCommand(host string) resource.Command {
	body := fmt.Sprintf(`host=%s
%s
ids=$(osd_ids)
if [ -z "$ids" ] || ! systemctl is-active -q 'ceph-osd@*'; then
	echo "fundament: no OSD of $host runs: nothing to wait for"
	exit 0
fi
ok() { cephc osd ok-to-stop $ids >/dev/null 2>&1; }
wait_for "ceph osd ok-to-stop $ids (host $host)" 600 ok
cephc osd set-group noout "$host"
echo "fundament: noout set on $host (OSDs $ids)"
`, resource.Quote(host), osdIDs)
	return resource.Command{Name: "ceph/osd-noout", Script: script(body), Guard: ":\n", Timeout: "11m", Idempotent: true}
}

// osdUpCommand runs after the host's OSDs restarted: it waits until they
// (the host's OSD directories: a new OSD is in the CRUSH map's host
// bucket only once it booted) are up again, then unsets the host's noout
// where it is set (a first start set none). Its guard (no noout on the
// host) also makes an apply unset a flag an interrupted one left.
func osdUpCommand(host string) resource.Command {
	body := fmt.Sprintf(`host=%s
%s%s
up() {
	cephc osd dump -f json | json 'import json, sys
want = set(int(i) for i in sys.argv[1:])
up = set(o["osd"] for o in json.load(sys.stdin).get("osds", []) if o.get("up") == 1)
sys.exit(0 if want <= up else 1)' $(local_osd_ids)
}
wait_for "the OSDs of $host are up" 600 up
if noout_set; then
	cephc osd unset-group noout "$host"
	echo "fundament: the OSDs of $host are up; noout unset"
else
	echo "fundament: the OSDs of $host are up"
fi
`, resource.Quote(host), localOSDIDs, nooutSet)
	return resource.Command{Name: "ceph/osd-up", Script: script(body),
		Guard: guard("host=" + resource.Quote(host) + "\n" + nooutSet + "! noout_set\n"), Timeout: "11m", Idempotent: true}
}

// poolCommandName names the command of one pool.
func poolCommandName(name string) string { return "ceph/pool-" + name }

// poolCommand makes a pool or brings its settings to the model's: size,
// min_size, the autoscaler (off only where the model gives pg_num), the
// application. It never deletes one. Its guard compares the settings, so
// a change of size is a plan line.
func poolCommand(p *model.CephPool) resource.Command {
	autoscale := "on"
	if p.PGNum > 0 {
		autoscale = "off"
	}
	pgs := strconv.Itoa(max(p.PGNum, 32))
	minSize := max(p.MinSize, 1) // the model leaves it 0 for size 1
	var sizeFlag string
	if p.Size == 1 {
		sizeFlag = " --yes-i-really-mean-it"
	}
	body := fmt.Sprintf(`pool=%[1]s
if ! cephc osd pool ls | grep -qxF "$pool"; then
	cephc osd pool create "$pool" %[2]s %[2]s replicated
	echo "fundament: pool $pool created"
fi
cephc osd pool set "$pool" size %[3]d%[4]s
cephc osd pool set "$pool" min_size %[5]d
cephc osd pool set "$pool" pg_autoscale_mode %[6]s
`, resource.Quote(p.Name), pgs, p.Size, sizeFlag, minSize, autoscale)
	if p.PGNum > 0 {
		body += fmt.Sprintf("cephc osd pool set \"$pool\" pg_num %d\n", p.PGNum)
	}
	body += fmt.Sprintf("cephc osd pool application enable \"$pool\" %s\n", resource.Quote(p.Application))
	if p.Application == "rbd" {
		body += "timeout 300 rbd pool init \"$pool\"\n"
	}
	body += "echo \"fundament: pool $pool: size " + strconv.Itoa(p.Size) + ", min_size " + strconv.Itoa(minSize) + ", application " + p.Application + "\"\n"
	g := fmt.Sprintf(`cephc osd pool ls detail -f json | json 'import json, sys
name, size, min_size, mode, pgs, app = sys.argv[1:]
for p in json.load(sys.stdin):
    if p.get("pool_name") != name:
        continue
    ok = (str(p.get("size")) == size and str(p.get("min_size")) == min_size
          and p.get("pg_autoscale_mode") == mode and app in (p.get("application_metadata") or {})
          and (pgs == "0" or str(p.get("pg_num")) == pgs))
    sys.exit(0 if ok else 1)
sys.exit(1)' %s %d %d %s %d %s
`, resource.Quote(p.Name), p.Size, minSize, autoscale, p.PGNum, resource.Quote(p.Application))
	return resource.Command{Name: poolCommandName(p.Name), Script: script(body), Guard: guard(g), Timeout: "10m", Idempotent: true}
}

// clientCommand creates or updates a client from its keyring file (key
// and caps): ceph auth import never puts the key on a command line. Its
// guard compares the cluster's key and caps with the file's, inside the
// host, printing neither.
func clientCommand(cl client) resource.Command {
	file := clientKeyring(cl.Name)
	body := fmt.Sprintf("cephc auth import -i %s\necho \"fundament: %s has its key and caps\"\n", resource.Quote(file), cl.entity())
	g := fmt.Sprintf(`cephc auth get %[1]s -f json 2>/dev/null | json 'import json, re, sys
want = {"caps": {}}
for line in open(sys.argv[1]):
    m = re.match(r"\s*key\s*=\s*(\S+)", line)
    if m:
        want["key"] = m.group(1)
    m = re.match(r"\s*caps\s+(\S+)\s*=\s*\"(.*)\"", line)
    if m:
        want["caps"][m.group(1)] = m.group(2)
got = json.load(sys.stdin)
got = got[0] if isinstance(got, list) and got else {}
sys.exit(0 if got.get("key") == want.get("key") and got.get("caps") == want["caps"] else 1)' %[2]s
`, resource.Quote(cl.entity()), resource.Quote(file))
	return resource.Command{Name: "ceph/client-" + cl.Name, Script: script(body), Guard: guard(g), Timeout: "5m", Idempotent: true}
}
