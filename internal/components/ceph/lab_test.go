package ceph_test

// The Ceph integration test (issue 14): a lab of examples/lab (its own
// prefix and addresses) with the fabric and Ceph applied on the storage
// hosts. It checks: ceph -s says HEALTH_OK with 3 monitors in quorum,
// every OSD up and in and every PG active+clean; the pools and the
// consumers' clients exist with their settings and caps; an RBD image of
// random data written with a client's key stays readable and identical
// while a storage host is stopped (status DEGRADED naming it) and after
// it started again (status OK once recovered); a change of ceph.conf
// restarts every Ceph daemon through apply, one host at a time, while a
// client writes without a failure; a re-apply changes nothing; no key in
// any output, nor in the hosts' journals and Ceph's logs. It logs the time
// from the first apply to HEALTH_OK and the recovery time.
//
//	go test ./internal/components/ceph -run TestLabCeph -v -timeout 45m

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/testutil/labtest"
)

const (
	labPrefix = "fce"
	// labNet replaces examples/lab's 10.199.: clear of the other tests'.
	labNet = "10.181."
	cloud  = "cephtest"
	// client is the consumer whose key the test writes and reads with
	// (cinder: the volumes pool).
	client  = "cinder"
	keyring = "/var/lib/ceph/fundament/client.cinder.keyring"
	// asClient are rbd's arguments that make it that client.
	asClient = "--id " + client + " --keyring " + keyring
	// rbdc is the rbd tool as that client.
	rbdc = "timeout 180 rbd " + asClient
)

var storage = []string{"stor-1", "stor-2", "stor-3"}

type cephLab struct{ *labtest.Lab }

// in runs a script on a storage host; its output is recorded for the
// secrets check.
func (l *cephLab) in(t *testing.T, host, script string) string {
	t.Helper()
	out, err := l.In(host, script)
	l.Record(out)
	if err != nil {
		t.Fatalf("on %s: %v\n%s", host, err, out)
	}
	return out
}

func cephOK(rs []health.Result) bool {
	return len(rs) == 1 && rs[0].Status == health.OK
}

// clusterStatus is the part of `ceph status -f json` the test reads.
type clusterStatus struct {
	Health struct {
		Status string `json:"status"`
	} `json:"health"`
	QuorumNames []string `json:"quorum_names"`
	OSDMap      struct {
		NumOSDs   int `json:"num_osds"`
		NumUpOSDs int `json:"num_up_osds"`
		NumInOSDs int `json:"num_in_osds"`
	} `json:"osdmap"`
	PGMap struct {
		NumPGs     int `json:"num_pgs"`
		PGsByState []struct {
			State string `json:"state_name"`
			Count int    `json:"count"`
		} `json:"pgs_by_state"`
	} `json:"pgmap"`
}

func TestLabCeph(t *testing.T) {
	l := &cephLab{labtest.New(t, labtest.Config{Prefix: labPrefix, Net: labNet, CloudName: cloud, Secrets: true, Components: "ceph"})}
	l.Timed("lab up", func() { t.Log(labtest.LastLine(l.Up())) })
	// The storage VLANs cross the lab's switches; nothing of a host
	// depends on them, so the fabric is applied first.
	l.Timed("apply fabric", func() { l.Must("apply", "--auto-approve", "--component", "fabric") })
	var toHealthy time.Duration
	l.Timed("apply ceph until status OK", func() {
		start := time.Now()
		out := l.Must("apply", "--auto-approve")
		t.Logf("first apply in %s: %s", time.Since(start).Round(time.Second), labtest.LastLine(out))
		l.WaitStatus("ceph OK", 10*time.Minute, cephOK, "ceph", "ceph")
		toHealthy = time.Since(start)
	})
	t.Logf("from the foundation (hosts up, networks applied) to HEALTH_OK: %s", toHealthy.Round(time.Second))

	t.Run("ceph -s", func(t *testing.T) {
		var st clusterStatus
		out := l.in(t, "stor-2", "ceph status -f json")
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("ceph status: %v\n%s", err, out)
		}
		clean := 0
		for _, s := range st.PGMap.PGsByState {
			if s.State == "active+clean" {
				clean += s.Count
			}
		}
		slices.Sort(st.QuorumNames)
		if st.Health.Status != "HEALTH_OK" || !slices.Equal(st.QuorumNames, storage) ||
			st.OSDMap.NumOSDs != 3 || st.OSDMap.NumUpOSDs != 3 || st.OSDMap.NumInOSDs != 3 ||
			st.PGMap.NumPGs == 0 || clean != st.PGMap.NumPGs {
			t.Errorf("ceph status: %s, quorum %v, OSDs %d/%d up %d in, %d/%d PGs active+clean",
				st.Health.Status, st.QuorumNames, st.OSDMap.NumUpOSDs, st.OSDMap.NumOSDs, st.OSDMap.NumInOSDs, clean, st.PGMap.NumPGs)
		}
		t.Log(l.in(t, "stor-2", "ceph -s"))
	})

	t.Run("pools and clients", func(t *testing.T) {
		out := l.in(t, "stor-1", "ceph osd pool ls detail -f json")
		var pools []struct {
			Name         string          `json:"pool_name"`
			Size         int             `json:"size"`
			MinSize      int             `json:"min_size"`
			Autoscale    string          `json:"pg_autoscale_mode"`
			Applications json.RawMessage `json:"application_metadata"`
		}
		if err := json.Unmarshal([]byte(out), &pools); err != nil {
			t.Fatalf("pool ls detail: %v\n%s", err, out)
		}
		found := map[string]bool{}
		for _, p := range pools {
			found[p.Name] = true
			if p.Name == ".mgr" {
				continue
			}
			if p.Size != 3 || p.MinSize != 2 || p.Autoscale != "on" || !strings.Contains(string(p.Applications), `"rbd"`) {
				t.Errorf("pool %s: size %d, min_size %d, autoscale %s, applications %s", p.Name, p.Size, p.MinSize, p.Autoscale, p.Applications)
			}
		}
		for _, want := range []string{"images", "volumes", "vms", "backups"} {
			if !found[want] {
				t.Errorf("no pool %s", want)
			}
		}
		// The caps only: ceph auth get prints the key too.
		caps := l.in(t, "stor-1", `for c in glance cinder cinder-backup nova; do
	ceph auth get client.$c -f json | python3 -c 'import json, sys; e = json.load(sys.stdin)[0]; print(e["entity"], json.dumps(e["caps"], sort_keys=True))'
done`)
		for _, want := range []string{
			`client.glance {"mgr": "profile rbd pool=images", "mon": "profile rbd", "osd": "profile rbd pool=images"}`,
			`client.cinder {"mgr": "profile rbd pool=volumes, profile rbd pool=vms", "mon": "profile rbd", "osd": "profile rbd pool=volumes, profile rbd pool=vms, profile rbd-read-only pool=images"}`,
			`client.cinder-backup {"mgr": "profile rbd pool=backups", "mon": "profile rbd", "osd": "profile rbd pool=backups"}`,
		} {
			if !strings.Contains(caps, want) {
				t.Errorf("caps lack %s:\n%s", want, caps)
			}
		}
	})

	// The data written before the stop, and its checksum.
	var sum string
	t.Run("RBD across a storage host's stop", func(t *testing.T) {
		sum = l.in(t, "stor-1", "head -c 32M /dev/urandom > /root/before && "+rbdc+" import --no-progress /root/before volumes/fm-before && sha256sum < /root/before")
		if got := l.in(t, "stor-1", rbdc+" export --no-progress volumes/fm-before - | sha256sum"); got != sum {
			t.Fatalf("read back %s, wrote %s", got, sum)
		}
		l.Timed("lab stop stor-3", func() { l.Must("lab", "stop", "stor-3") })
		var during string
		l.Timed("write and read degraded", func() {
			during = l.in(t, "stor-1", "head -c 16M /dev/urandom > /root/during && "+rbdc+" import --no-progress /root/during volumes/fm-during && sha256sum < /root/during")
			if got := l.in(t, "stor-1", rbdc+" export --no-progress volumes/fm-during - | sha256sum"); got != during {
				t.Errorf("with stor-3 stopped: read back %s, wrote %s", got, during)
			}
			if got := l.in(t, "stor-1", rbdc+" export --no-progress volumes/fm-before - | sha256sum"); got != sum {
				t.Errorf("with stor-3 stopped: the image written before reads %s, wrote %s", got, sum)
			}
		})
		// The reason names the host; the result's hosts are every Ceph
		// host, since degraded PGs are the whole cluster's: no gate may
		// restart another host's OSDs meanwhile.
		rs := l.WaitStatus("ceph DEGRADED naming stor-3", 3*time.Minute, func(rs []health.Result) bool {
			return len(rs) == 1 && rs[0].Status == health.Degraded && strings.Contains(rs[0].Reason, "out of quorum: stor-3") &&
				strings.Contains(rs[0].Reason, " down on stor-3")
		}, "ceph", "ceph")
		t.Logf("with stor-3 stopped:\n%s", labtest.Describe(rs))
		l.Must("lab", "start", "stor-3")
		started := time.Now()
		rs = l.WaitStatus("ceph OK after stor-3 started", 10*time.Minute, cephOK, "ceph", "ceph")
		t.Logf("stor-3 started: recovered (status OK) after %s:\n%s", time.Since(started).Round(time.Second), labtest.Describe(rs))
		for img, want := range map[string]string{"fm-before": sum, "fm-during": during} {
			if got := l.in(t, "stor-1", rbdc+" export --no-progress volumes/"+img+" - | sha256sum"); got != want {
				t.Errorf("after recovery %s reads %s, wrote %s", img, got, want)
			}
		}
	})

	t.Run("no-op re-apply", func(t *testing.T) {
		start := time.Now()
		out := l.Must("plan")
		t.Logf("plan in %s", time.Since(start).Round(time.Millisecond))
		if !strings.Contains(out, "No changes.") {
			t.Errorf("a re-plan changes something:\n%s", out)
		}
	})

	t.Run("rolling restart under writes", func(t *testing.T) {
		l.rollingRestart(t)
	})

	t.Run("no key in the hosts' journals and Ceph's logs", func(t *testing.T) {
		for _, h := range storage {
			// The keys are read into a file on the host: never an argument.
			out := l.in(t, h, `sed -n 's/^[[:space:]]*key = //p' /etc/ceph/ceph.client.admin.keyring /var/lib/ceph/fundament/*.keyring /var/lib/ceph/bootstrap-osd/ceph.keyring 2>/dev/null | sort -u > /root/keys
[ -s /root/keys ] || { echo "no keys read"; exit 1; }
journalctl --no-pager -o cat > /root/journal 2>/dev/null
cat /var/log/ceph/*.log >> /root/journal 2>/dev/null || true
echo "lines $(wc -l < /root/journal) found $(grep -c -F -f /root/keys /root/journal)"
rm -f /root/keys /root/journal`)
			if !strings.HasSuffix(out, "found 0") || strings.HasPrefix(out, "lines 0 ") {
				t.Errorf("%s: %s", h, out)
			} else {
				t.Logf("%s: %s", h, out)
			}
		}
	})

	t.Run("no secret in any output", l.NoSecretShown)
}

// writerScript writes with the client's key until /root/writer.stop
// exists: each round a small rbd bench of random 4 KiB writes, bounded by
// a minute; a failed or timed-out round is logged. It prints nothing; the
// counts are in /root/writer.count ("rounds failures max-ms").
const writerScript = `i=0 fail=0 max=0
while [ ! -e /root/writer.stop ]; do
	i=$((i + 1))
	s=$(date +%s%N)
	if ! timeout 60 rbd ` + asClient + ` bench --io-type write --io-size 4096 --io-threads 1 --io-total 131072 --io-pattern rand volumes/fm-writer >/dev/null 2>>/root/writer.err; then
		fail=$((fail + 1))
		echo "$(date +%T) round $i failed" >> /root/writer.err
	fi
	ms=$((($(date +%s%N) - s) / 1000000))
	[ "$ms" -gt "$max" ] && max=$ms
	echo "$i $fail $max" > /root/writer.count
done
`

// rollingRestart changes ceph.conf through the model (ceph.config) and
// applies it while a client writes on stor-1: every Ceph daemon restarts,
// host after host, and no write fails.
func (l *cephLab) rollingRestart(t *testing.T) {
	l.in(t, "stor-1", rbdc+" create --size 64M volumes/fm-writer && rm -f /root/writer.stop /root/writer.err /root/writer.count && "+
		"cat > /root/writer.sh <<'EOF'\n"+writerScript+"EOF\n"+
		"systemd-run --unit fm-rbd-writer --quiet sh /root/writer.sh")
	defer l.In("stor-1", "touch /root/writer.stop")
	time.Sleep(10 * time.Second)

	f := filepath.Join(l.Repo, "services", "ceph.yaml")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, append(b, []byte("  config:\n    osd: {osd_max_backfills: \"1\"}\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := l.Must("plan")
	for _, h := range storage {
		for _, unit := range []string{"ceph-mon@" + h, "ceph-mgr@" + h} {
			if !strings.Contains(plan, unit) {
				t.Errorf("the plan does not restart %s:\n%s", unit, plan)
			}
		}
	}
	if strings.Count(plan, "ceph-osd.target") != 3 {
		t.Errorf("the plan does not restart ceph-osd.target on the 3 storage hosts:\n%s", plan)
	}
	applied := time.Now()
	l.Timed("apply the ceph.conf change (rolling restart)", func() {
		t.Log(labtest.LastLine(l.Must("apply", "--auto-approve")))
	})

	// Each host's daemons restarted after the apply began, and a host's
	// restarts began only after the previous host's ended.
	var prevEnd int64
	for _, h := range storage {
		out := l.in(t, h, `for u in ceph-mon@`+h+` ceph-mgr@`+h+` $(systemctl list-units --plain --no-legend 'ceph-osd@*' | cut -d' ' -f1); do
	echo "$u $(systemctl show -P ActiveEnterTimestamp --timestamp=unix "$u" | tr -d @)"
done`)
		var first, last int64
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) != 2 {
				t.Fatalf("%s: %q", h, line)
			}
			at, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", h, line, err)
			}
			if at < applied.Unix()-1 {
				t.Errorf("%s: %s did not restart (active since %s, the apply began %s)", h, f[0], time.Unix(at, 0).Format(time.TimeOnly), applied.Format(time.TimeOnly))
			}
			if first == 0 || at < first {
				first = at
			}
			last = max(last, at)
		}
		if first < prevEnd {
			t.Errorf("%s's daemons restarted at %s, before the previous host's last restart at %s", h, time.Unix(first, 0).Format(time.TimeOnly), time.Unix(prevEnd, 0).Format(time.TimeOnly))
		}
		t.Logf("%s restarted %s-%s", h, time.Unix(first, 0).Format(time.TimeOnly), time.Unix(last, 0).Format(time.TimeOnly))
		prevEnd = last
	}

	l.in(t, "stor-1", "touch /root/writer.stop; for i in $(seq 90); do systemctl is-active -q fm-rbd-writer || break; sleep 1; done")
	count := strings.Fields(l.in(t, "stor-1", "cat /root/writer.count"))
	if len(count) != 3 {
		t.Fatalf("the writer's counts: %v", count)
	}
	rounds, _ := strconv.Atoi(count[0])
	failed, _ := strconv.Atoi(count[1])
	if rounds < 10 || failed > 0 {
		errs, _ := l.In("stor-1", "tail -20 /root/writer.err")
		t.Errorf("the writer: %d rounds, %d failed:\n%s", rounds, failed, errs)
	}
	t.Logf("a client writing all along: %d rounds of 32 random 4-KiB writes, %d failed, the slowest round %s ms", rounds, failed, count[2])

	if out := l.Must("plan"); !strings.Contains(out, "No changes.") {
		t.Errorf("after the rolling restart a re-plan changes something:\n%s", out)
	}
	rs := l.Status("ceph", "ceph")
	if !cephOK(rs) {
		t.Errorf("after the rolling restart:\n%s", labtest.Describe(rs))
	}
}
