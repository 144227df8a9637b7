package memcached

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/health"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// layer is the health layer of Memcached's check.
const layer = "memcached"

// statsScript asks the instance on its address for its stats, in Perl
// (which Debian's memcached needs for its wrapper; core modules only),
// bounded in time.
func statsScript(in instance) string {
	return "exec timeout 20 perl -MIO::Socket::IP -e " + resource.Quote(statsPerl) + " " +
		resource.Quote(netip.AddrPortFrom(in.Addr, port).String()) + "\n"
}

const statsPerl = `my $s = IO::Socket::IP->new(PeerAddr => $ARGV[0], Timeout => 10) or die "cannot connect to $ARGV[0]: $@\n";
print $s "stats\r\n";
while (<$s>) { print; last if /^(END|ERROR)/ }
print $s "quit\r\n";
`

// HealthChecks is the check of every instance: each answers stats on
// its address (evaluateInstances). The rolling group gates on it.
func (Component) HealthChecks(c *model.Cloud) []health.Check {
	ins, err := instances(c)
	if err != nil {
		return health.Unavailable(layer, name, err)
	}
	if len(ins) == 0 {
		return nil
	}
	wantBytes := int64(c.Services.Memcached.MemoryMB) << 20
	return []health.Check{{Layer: layer, Name: "memcached-instances", Component: name,
		Run: func(ctx context.Context, env *health.Env) []health.Result {
			hosts := make([]string, len(ins))
			for i, in := range ins {
				hosts[i] = in.Host
			}
			answers := env.RunEach(ctx, hosts, func(i int) string { return statsScript(ins[i]) })
			views := make([]instanceView, len(ins))
			for i, a := range answers {
				views[i] = instanceView{Host: a.Host, Addr: ins[i].Addr.String(), Err: a.Err}
				if a.Err == nil {
					views[i].Stats, views[i].Err = parseStats(a.Out)
				}
			}
			return evaluateInstances(views, wantBytes)
		}}}
}

// instanceView is what an instance answered, or why it did not.
type instanceView struct {
	Host, Addr string
	Stats      map[string]string
	Err        error
}

// parseStats reads the answer to stats:
//
//	STAT pid 1234
//	STAT accepting_conns 1
//	END
//
// It fails on an answer without a pid (not memcached's stats).
func parseStats(out string) (map[string]string, error) {
	stats := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "STAT" {
			stats[f[1]] = f[2]
		}
	}
	if stats["pid"] == "" {
		return nil, fmt.Errorf("no stats in the answer: %q", health.FirstLine(out))
	}
	return stats, nil
}

// evaluateInstances: OK when every instance answers and accepts
// connections; DEGRADED naming the instances that do not (the clients
// spread keys over the others); DOWN when none answers (every token is
// validated anew). An instance that serves with another size than the
// configured one is a second, DEGRADED result marked PendingRestart:
// the rolling restart that applies the size must be able to start while
// the others still run with the old one.
func evaluateInstances(views []instanceView, wantBytes int64) []health.Result {
	r := health.Result{Target: "memcached"}
	var all, bad, problems, stale, sizes []string
	answering := 0
	version := ""
	for _, v := range views {
		all = append(all, v.Host)
		if v.Err != nil {
			bad = append(bad, v.Host)
			problems = append(problems, fmt.Sprintf("%s (%s): %v", v.Host, v.Addr, v.Err))
			continue
		}
		answering++
		version = v.Stats["version"]
		if v.Stats["accepting_conns"] == "0" {
			bad = append(bad, v.Host)
			problems = append(problems, v.Host+" accepts no connections (too many open)")
		}
		if got, err := strconv.ParseInt(v.Stats["limit_maxbytes"], 10, 64); err == nil && wantBytes > 0 && got != wantBytes {
			stale = append(stale, v.Host)
			sizes = append(sizes, fmt.Sprintf("%s runs with %d MiB", v.Host, got>>20))
		}
	}
	switch {
	case answering == 0:
		r.Status, r.Hosts = health.Down, all
		r.Reason = "no instance answers: " + strings.Join(problems, "; ")
	case len(bad) > 0:
		r.Status, r.Hosts = health.Degraded, bad
		r.Reason = fmt.Sprintf("%d/%d instances answer; %s", answering, len(views), strings.Join(problems, "; "))
	default:
		r.Status, r.Hosts = health.OK, all
		r.Reason = fmt.Sprintf("%d/%d instances answer (%s), memcached %s", answering, len(views), strings.Join(all, ", "), version)
	}
	out := []health.Result{r}
	if len(stale) > 0 {
		out = append(out, health.Result{Target: "memcached", Status: health.Degraded, Hosts: stale, PendingRestart: true,
			Reason: fmt.Sprintf("%s, configured %d MiB: not restarted since (a restart applies it)", strings.Join(sizes, ", "), wantBytes>>20)})
	}
	return out
}
