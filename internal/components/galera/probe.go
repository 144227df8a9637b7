package galera

import (
	"fmt"
	"strings"
	"sync"

	"github.com/fundament-cloud/fundament/internal/health"
)

// Paths of Debian's MariaDB.
const (
	dataDir      = "/var/lib/mysql"
	grastatePath = dataDir + "/grastate.dat"
	gvwstatePath = dataDir + "/gvwstate.dat"
	unit         = "mariadb.service"
)

// probeScript reads a member's state at plan time, changing nothing but
// what a start of the server would do anyway:
//
//   - the unit's state and, while it is active, the wsrep status;
//   - grastate.dat, and whether gvwstate.dat (the last primary component,
//     kept for pc.recovery) exists;
//   - the position a running mariadbd was started from (Debian's unit
//     recovers it with galera_recovery and passes it as
//     --wsrep_start_position): while a member waits for its peers, its
//     SQL socket is not open yet, but this says how far it got. A server
//     still recovering it is waited for, up to 30 seconds;
//   - whether a state transfer (SST) runs;
//   - for a server that is down after a crash (seqno -1 in grastate.dat),
//     its last committed position by galera_recovery, which runs mariadbd
//     --wsrep-recover: InnoDB's crash recovery, the same the next start
//     does, about a second on a small database. It runs only while the
//     unit is inactive or failed, so it never races the server for its
//     files.
var probeScript = `u=$(systemctl is-active ` + unit + ` 2>/dev/null | head -n 1)
running() {
	for p in /proc/[0-9]*; do
		read -r comm 2>/dev/null <"$p/comm" || continue
		[ "$comm" != mariadbd ] || (tr '\0' ' ' <"$p/cmdline"; echo) 2>/dev/null
	done
}
r=$(running)
# A server that is starting recovers its position first (galera_recovery,
# seconds on a loaded host), then runs mariadbd with it: wait for that.
i=0
while [ "$u" = activating ] && [ "$i" -lt 30 ]; do
	case $r in *--wsrep_start_position=*) break ;; esac
	sleep 1
	i=$((i + 1))
	u=$(systemctl is-active ` + unit + ` 2>/dev/null | head -n 1)
	r=$(running)
done
echo "== unit"
echo "$u"
echo "== status"
if [ "$u" = active ]; then
	timeout 15 mariadb --connect-timeout=5 -N -B -e "` + statusQuery + `" 2>&1 || true
fi
echo "== grastate"
cat ` + grastatePath + ` 2>/dev/null || true
echo "== gvwstate"
[ -e ` + gvwstatePath + ` ] && echo present
echo "== running"
echo "$r"
echo "== sst"
# [_]: grep's own command line, and this script's, do not match.
grep -lsa 'wsrep[_]sst_' /proc/[0-9]*/cmdline >/dev/null && echo yes
echo "== recovered"
case $u in
inactive | failed | "")
	if grep -qs '^seqno: *-1' ` + grastatePath + ` && ! grep -qs '^uuid: *00000000-0000-0000-0000-000000000000' ` + grastatePath + ` && command -v galera_recovery >/dev/null; then
		timeout 300 galera_recovery 2>/dev/null || true
	fi
	;;
esac
echo "== end"
`

// observed is what the probe found on a member.
type observed struct {
	Host string
	// Err: the member could not be probed (unreachable, or the probe
	// failed); nothing else is known.
	Err  error
	Unit string // active, activating, inactive, failed, ...
	// Status is set when the server answered with its wsrep status;
	// StatusErr says why it did not, while the unit is active.
	Status    *wsrepStatus
	StatusErr error
	Grastate  *grastate
	GVWState  bool
	// Started is the position the running mariadbd started from.
	Started *position
	// Recovered is the position galera_recovery found.
	Recovered *position
	SST       bool
}

// parseProbe reads probeScript's output.
func parseProbe(host, out string) (*observed, error) {
	sec := health.Sections(out)
	if _, ok := sec["end"]; !ok {
		return nil, fmt.Errorf("the probe's output ends early")
	}
	o := &observed{Host: host, Unit: strings.TrimSpace(sec["unit"])}
	if s := strings.TrimSpace(sec["status"]); s != "" {
		st, err := parseStatus(s)
		if err != nil {
			o.StatusErr = err
		} else {
			o.Status = &st
		}
	}
	if s := strings.TrimSpace(sec["grastate"]); s != "" {
		g, err := parseGrastate(s)
		if err != nil {
			return nil, err
		}
		o.Grastate = &g
	}
	o.GVWState = strings.TrimSpace(sec["gvwstate"]) == "present"
	for _, line := range strings.Split(sec["running"], "\n") {
		for _, arg := range strings.Fields(line) {
			for _, opt := range []string{"--wsrep_start_position=", "--wsrep-start-position="} {
				if v, ok := strings.CutPrefix(arg, opt); ok {
					if p, err := parsePosition(v); err == nil {
						o.Started = &p
					}
				}
			}
		}
	}
	o.SST = strings.TrimSpace(sec["sst"]) == "yes"
	for _, line := range strings.Split(sec["recovered"], "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "--wsrep_start_position="); ok {
			p, err := parsePosition(v)
			if err != nil {
				return nil, err
			}
			o.Recovered = &p
		}
	}
	return o, nil
}

// probeAll probes the members in parallel; a member whose probe fails has
// Err set.
func probeAll(probe func(host, script string) (string, error), hosts []string) []*observed {
	out := make([]*observed, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw, err := probe(h, probeScript)
			if err == nil {
				var o *observed
				if o, err = parseProbe(h, raw); err == nil {
					out[i] = o
					return
				}
			}
			out[i] = &observed{Host: h, Err: err}
		}()
	}
	wg.Wait()
	return out
}
