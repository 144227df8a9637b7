package galera

import (
	"fmt"
	"sort"
	"strings"
)

// mode is how the members come together into one primary component.
type mode int

const (
	// running: a member is in a primary component; the others join it
	// (a plain start of mariadb.service). Also what a compile without
	// probes assumes (a healthy cloud).
	running mode = iota
	// fresh: no member has ever been part of a cluster; the seed
	// (the first member) creates one with galera_new_cluster.
	fresh
	// recover: every member is down or outside a primary component and
	// some hold data; the seed, the member with the most recent
	// position, bootstraps the cluster from its data.
	recover
	// blocked: no primary component, and the state does not say safely
	// which member may bootstrap (a member cannot be reached, or members
	// hold different clusters' data). Nothing is bootstrapped; the plan
	// says why.
	blocked
)

func (m mode) String() string {
	return [...]string{"running", "fresh", "recover", "blocked"}[m]
}

// decision is how the cluster is brought up: which member goes first
// (the seed) and in which order the others join, one after another.
type decision struct {
	Mode  mode
	Seed  string
	Order []string // Seed first, then the joiners
	// Reason explains the decision in the plan (no secrets: hosts,
	// states and positions only).
	Reason string
}

// decide chooses from what the probes found (obs in the members' order;
// nil when compiling without reaching hosts, which assumes a healthy,
// running cluster). It never bootstraps while a member reports a primary
// component, and bootstraps from data only when every member's position
// is known: a member that cannot be asked may hold the newest
// transactions.
func decide(hosts []string, obs []*observed) decision {
	if len(hosts) == 0 {
		return decision{Mode: blocked, Reason: "galera.placement selects no host"}
	}
	if obs == nil {
		return decision{Mode: running, Seed: hosts[0], Order: hosts}
	}
	// A primary component somewhere: everybody joins it.
	var primaries []*observed
	uuids := map[string]bool{}
	for _, o := range obs {
		if o.Err == nil && o.Status != nil && o.Status.ClusterStatus == "Primary" {
			primaries = append(primaries, o)
			uuids[o.Status.StateUUID] = true
		}
	}
	if len(uuids) > 1 {
		return blockedBecause(hosts, fmt.Sprintf("the members are in %d primary components with different cluster state UUIDs (%s): split brain; keep the component with the data you want, stop the others, delete their grastate.dat and let them rejoin",
			len(uuids), strings.Join(primaryList(primaries), ", ")))
	}
	if len(primaries) > 0 {
		seed := primaries[0]
		for _, p := range primaries {
			if p.Status.LocalState == "Synced" {
				seed = p
				break
			}
		}
		return decision{Mode: running, Seed: seed.Host, Order: chain(hosts, seed.Host, obs),
			Reason: fmt.Sprintf("%s is in the primary component (%s, cluster size %d): the other members join it", seed.Host, seed.Status.LocalState, seed.Status.ClusterSize)}
	}
	// No primary component: every member must be known.
	var problems []string
	for _, o := range obs {
		if o.Err != nil {
			problems = append(problems, fmt.Sprintf("%s cannot be probed (%v)", o.Host, o.Err))
		}
	}
	if len(problems) > 0 {
		return blockedBecause(hosts, "no member is in a primary component and "+strings.Join(problems, "; ")+
			": its data may be the newest, so no member is bootstrapped until every member answers")
	}
	type candidate struct {
		o     *observed
		index int
		pos   position
	}
	var withData []candidate
	for i, o := range obs {
		p, known, why := lastPosition(o)
		if !known {
			problems = append(problems, fmt.Sprintf("the position of %s is unknown (%s)", o.Host, why))
			continue
		}
		if p.hasData() {
			withData = append(withData, candidate{o: o, index: i, pos: p})
		}
	}
	if len(problems) > 0 {
		return blockedBecause(hosts, "no member is in a primary component and "+strings.Join(problems, "; ")+"; plan again once it is known")
	}
	if len(withData) == 0 {
		return decision{Mode: fresh, Seed: hosts[0], Order: chain(hosts, hosts[0], obs),
			Reason: fmt.Sprintf("no member has been part of a cluster: %s creates it, the others join one after another", hosts[0])}
	}
	histories := map[string][]string{}
	for _, c := range withData {
		histories[c.pos.UUID] = append(histories[c.pos.UUID], c.o.Host)
	}
	if len(histories) > 1 {
		var parts []string
		for uuid, hs := range histories {
			parts = append(parts, uuid+" on "+strings.Join(hs, ", "))
		}
		sort.Strings(parts)
		return blockedBecause(hosts, "no member is in a primary component and the members hold the data of different clusters ("+strings.Join(parts, "; ")+
			"): decide which to keep, bootstrap it by hand (galera_new_cluster) and let the others rejoin")
	}
	var positions []string
	for _, c := range withData {
		positions = append(positions, fmt.Sprintf("%s at %d", c.o.Host, c.pos.Seqno))
	}
	// The most recent position wins; among equals the member that says
	// it is safe to bootstrap (it left last, cleanly), then one whose
	// server is down (after a crash of them all, the servers that run
	// wait for it to restore their last primary component: starting it
	// completes that, where bootstrapping one that waits means killing
	// it), then the first in placement order.
	sort.SliceStable(withData, func(i, j int) bool {
		a, b := withData[i], withData[j]
		if a.pos.Seqno != b.pos.Seqno {
			return a.pos.Seqno > b.pos.Seqno
		}
		as, bs := a.o.Grastate != nil && a.o.Grastate.SafeToBootstrap, b.o.Grastate != nil && b.o.Grastate.SafeToBootstrap
		if as != bs {
			return as
		}
		if ad, bd := isDown(a.o), isDown(b.o); ad != bd {
			return ad
		}
		return a.index < b.index
	})
	seed := withData[0]
	return decision{Mode: recover, Seed: seed.o.Host, Order: chain(hosts, seed.o.Host, obs),
		Reason: fmt.Sprintf("no member is in a primary component; positions in cluster %s: %s; %s has the most recent one and bootstraps the cluster, the others join it",
			seed.pos.UUID, strings.Join(positions, ", "), seed.o.Host)}
}

// lastPosition is the last committed position a member knows, and whether
// it is known: from the running server, from the position a starting
// server recovered, from grastate.dat after a clean shutdown, or from
// galera_recovery after a crash. A member without grastate.dat has no
// data (known, empty position).
func lastPosition(o *observed) (position, bool, string) {
	switch {
	case o.Status != nil && o.Status.StateUUID != "":
		return position{UUID: o.Status.StateUUID, Seqno: o.Status.LastCommitted}, true, ""
	case o.Started != nil:
		return *o.Started, true, ""
	case o.Grastate == nil:
		return position{}, true, ""
	case !o.Grastate.Pos.hasData():
		return o.Grastate.Pos, true, ""
	case o.Grastate.Pos.Seqno >= 0:
		return o.Grastate.Pos, true, ""
	case o.Recovered != nil:
		return *o.Recovered, true, ""
	case o.Unit == "activating":
		return position{}, false, "its server is starting; it has not recovered its position yet"
	default:
		return position{}, false, "grastate.dat says -1 and galera_recovery found nothing (unit " + orUnknown(o.Unit) + ")"
	}
}

// chain orders the members for joining: the seed, then the others in
// placement order, those that could not be probed last (their steps are
// skipped, and nothing should wait behind them).
func chain(hosts []string, seed string, obs []*observed) []string {
	down := map[string]bool{}
	for _, o := range obs {
		if o.Err != nil {
			down[o.Host] = true
		}
	}
	out := []string{seed}
	var last []string
	for _, h := range hosts {
		switch {
		case h == seed:
		case down[h]:
			last = append(last, h)
		default:
			out = append(out, h)
		}
	}
	return append(out, last...)
}

// isDown: the member's server neither runs nor starts.
func isDown(o *observed) bool {
	switch o.Unit {
	case "active", "activating", "reloading", "deactivating":
		return false
	}
	return true
}

func blockedBecause(hosts []string, reason string) decision {
	return decision{Mode: blocked, Order: hosts, Reason: reason}
}

func primaryList(ps []*observed) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Host+" in "+p.Status.StateUUID)
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
