package ceph

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
)

// layer is the health layer of Ceph's check.
const layer = "ceph"

// healthScript asks the cluster, as client.admin, what `fundament status`
// reports: each command's JSON in its section. The echo ends each
// output's line: some of Ceph's JSON (mgr stat) ends without a newline,
// and the next header would join its last line.
const healthScript = `c() { timeout 20 ceph --connect-timeout 10 "$@" -f json 2>&1; echo; }
echo "== status"
c status
echo "== mgr"
c mgr stat
echo "== tree"
c osd tree
echo "== df"
c df
echo "== end"
`

// HealthChecks is the cluster check, on the monitor hosts at once (the
// first that answers counts). The rolling group ceph gates on it. A
// model the component cannot read has one check that says why.
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	t, err := newTopology(c)
	if err != nil {
		return health.Unavailable(layer, name, err)
	}
	if t == nil {
		return nil
	}
	return []health.Check{{Layer: layer, Name: "ceph-cluster", Component: name,
		Run: func(ctx context.Context, env *health.Env) []health.Result {
			answers := env.RunEach(ctx, monNames(t), func(int) string { return healthScript })
			return []health.Result{evaluate(t, answers)}
		}}}
}

// view is what one monitor host said of the cluster.
type view struct {
	Status *cephStatus
	Mgr    *mgrStat
	OSDs   []hostOSDs
	Pools  []poolUsage
}

// viewOf reads an answer; an error says why it tells nothing.
func viewOf(a health.Answer) (*view, error) {
	if a.Err != nil {
		return nil, a.Err
	}
	sec := health.Sections(a.Out)
	if _, ok := sec["end"]; !ok {
		return nil, fmt.Errorf("the status script's output ends early")
	}
	st, err := parseStatus(sec["status"])
	if err != nil {
		return nil, fmt.Errorf("the cluster does not answer: %s", health.FirstLine(sec["status"]))
	}
	v := &view{Status: st}
	// The rest is detail: a status without it still judges the cluster.
	v.Mgr, _ = parseMgrStat(sec["mgr"])
	v.OSDs, _ = parseOSDTree(sec["tree"])
	v.Pools, _ = parseDF(sec["df"])
	return v, nil
}

// expectedWarnings are the health checks the model asks for: one copy of
// a pool's data when the pool acknowledges it (allow_size_one).
func expectedWarnings(t *topology) map[string]bool {
	out := map[string]bool{}
	for _, p := range t.Pools {
		if p.Size == 1 && p.AllowSizeOne {
			out["POOL_NO_REDUNDANCY"] = true
		}
	}
	return out
}

// evaluate judges the cluster from the first monitor host that answered:
//
//   - DOWN: no monitor answers (no quorum: nothing can be read or
//     written), HEALTH_ERR, or PGs inactive (their I/O blocks);
//   - DEGRADED: HEALTH_WARN (each warning's code and message), a monitor
//     out of quorum, an OSD down or out, PGs not active+clean, no active
//     manager or fewer managers than placed; Hosts names the hosts at fault where Ceph
//     says which (a monitor's, a down OSD's), else every Ceph host;
//   - OK: HEALTH_OK (or only the warnings the model expects), every
//     monitor in quorum, every OSD up and in, every PG active+clean.
func evaluate(t *topology, answers []health.Answer) health.Result {
	r := health.Result{Target: t.Cloud, Hosts: t.Hosts}
	var v *view
	var errs []string
	for _, a := range answers {
		got, err := viewOf(a)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", a.Host, err))
			continue
		}
		if v == nil {
			v = got
		}
	}
	if v == nil {
		r.Status = health.Down
		r.Reason = "no monitor answers (no quorum: no I/O): " + strings.Join(errs, "; ")
		return r
	}
	st := v.Status
	var down, problems []string
	faulty := map[string]bool{}
	attributed := true // every problem names its hosts

	inQuorum := map[string]bool{}
	for _, n := range st.QuorumNames {
		inQuorum[n] = true
	}
	var missing []string
	for _, m := range t.Mons {
		if !inQuorum[m.Host] {
			missing = append(missing, m.Host)
			faulty[m.Host] = true
		}
	}
	quorum := fmt.Sprintf("%d/%d monitors in quorum", len(t.Mons)-len(missing), len(t.Mons))
	if len(missing) > 0 {
		problems = append(problems, "out of quorum: "+strings.Join(missing, ", "))
	}

	mgr := "no manager status"
	switch {
	case v.Mgr == nil:
	case !v.Mgr.Available || v.Mgr.ActiveName == "":
		mgr = "no active manager"
		problems = append(problems, "no active manager (PG statistics and the autoscaler stop)")
		attributed = false
	default:
		mgr = fmt.Sprintf("manager %s active, %d standby", v.Mgr.ActiveName, v.Mgr.NumStandby)
		// Ceph itself does not warn while one manager serves: a manager
		// that did not come back (its host restarted) is said here.
		if running := 1 + v.Mgr.NumStandby; running < len(t.Mgrs) {
			problems = append(problems, fmt.Sprintf("%d of %d managers run", running, len(t.Mgrs)))
			attributed = false
		}
	}

	var perHost []string
	for _, h := range v.OSDs {
		perHost = append(perHost, fmt.Sprintf("%s %d/%d up, %d in", h.Host, h.Up, h.Total, h.In))
		if len(h.Down)+len(h.Out) > 0 {
			faulty[h.Host] = true
		}
		if len(h.Down) > 0 {
			problems = append(problems, fmt.Sprintf("%s down on %s", strings.Join(h.Down, ", "), h.Host))
		}
		if len(h.Out) > 0 {
			problems = append(problems, fmt.Sprintf("%s out on %s", strings.Join(h.Out, ", "), h.Host))
		}
	}
	osds := fmt.Sprintf("OSDs %d/%d up, %d in", st.OSDMap.NumUpOSDs, st.OSDMap.NumOSDs, st.OSDMap.NumInOSDs)
	if len(perHost) > 0 {
		osds += " (" + strings.Join(perHost, "; ") + ")"
	}
	if v.OSDs == nil && (st.OSDMap.NumUpOSDs < st.OSDMap.NumOSDs || st.OSDMap.NumInOSDs < st.OSDMap.NumOSDs) {
		problems = append(problems, "OSDs down or out")
		attributed = false
	}

	p := st.pgs()
	pgs := fmt.Sprintf("%d/%d PGs active+clean", p.Clean, p.Total)
	if len(p.Other) > 0 {
		var states []string
		for s, n := range p.Other {
			states = append(states, fmt.Sprintf("%d %s", n, s))
		}
		sort.Strings(states)
		pgs += " (" + strings.Join(states, ", ") + ")"
		attributed = false
		if p.Inactive > 0 {
			down = append(down, fmt.Sprintf("%d PGs inactive: their I/O blocks", p.Inactive))
		} else {
			problems = append(problems, "PGs not active+clean")
		}
	}

	warnings := st.warnings(expectedWarnings(t))
	switch st.Health.Status {
	case "HEALTH_OK":
	case "HEALTH_ERR":
		down = append(down, "HEALTH_ERR")
	default:
		if len(warnings) > 0 {
			attributed = false
		}
	}
	var usage []string
	for _, pu := range v.Pools {
		usage = append(usage, fmt.Sprintf("%s %.1f%%", pu.Name, pu.PercentUsed*100))
	}
	summary := []string{st.Health.Status, quorum, mgr, osds, pgs}
	if len(usage) > 0 {
		summary = append(summary, "pools "+strings.Join(usage, ", "))
	}
	if len(warnings) > 0 {
		summary = append(summary, "warnings: "+strings.Join(warnings, "; "))
	}
	// A muted warning is still said, with why it is muted when
	// Fundament muted it: a mute must not hide what it costs.
	var muted []string
	for _, code := range st.muted() {
		if why := mutedReason(code); why != "" {
			code += " (" + why + ")"
		}
		muted = append(muted, code)
	}
	if len(muted) > 0 {
		summary = append(summary, "muted: "+strings.Join(muted, "; "))
	}
	reason := strings.Join(summary, "; ")
	switch {
	case len(down) > 0:
		r.Status = health.Down
		r.Reason = strings.Join(down, "; ") + ": " + reason
	case len(problems) > 0 || len(warnings) > 0:
		r.Status = health.Degraded
		r.Reason = strings.Join(problems, "; ")
		if r.Reason != "" {
			r.Reason += ": "
		}
		r.Reason += reason
		if attributed && len(faulty) > 0 {
			r.Hosts = nil
			for _, h := range t.Hosts {
				if faulty[h] {
					r.Hosts = append(r.Hosts, h)
				}
			}
		}
	default:
		r.Status = health.OK
		r.Reason = reason
	}
	return r
}
