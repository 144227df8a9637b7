package validate

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Rule ids of the prefix rules.
const (
	RulePrefixNotCanonical  = "prefix-not-canonical"
	RuleOverlappingPrefixes = "overlapping-prefixes"
)

func init() {
	register(
		Rule{ID: RulePrefixNotCanonical, Summary: "network prefixes and the Kubernetes pod_cidr and service_cidr have no host bits set", check: checkCanonicalPrefixes},
		Rule{ID: RuleOverlappingPrefixes, Summary: "logical networks do not overlap each other nor, with Kubernetes enabled, its pod_cidr and service_cidr", check: checkOverlappingPrefixes},
	)
}

func checkCanonicalPrefixes(ck *checker) {
	check := func(p netip.Prefix, pos diag.Pos) {
		if p.IsValid() && p != p.Masked() {
			ck.d.Errorf(pos, RulePrefixNotCanonical, "prefix %s has host bits set; did you mean %s?", p, p.Masked())
		}
	}
	for _, n := range ck.c.Network.Networks {
		check(n.Prefix, n.At("prefix"))
	}
	k := &ck.c.Services.Kubernetes
	for _, f := range []struct {
		key string
		p   netip.Prefix
	}{{"pod_cidr", k.PodCIDR}, {"service_cidr", k.ServiceCIDR}} {
		if k.Has(f.key) {
			check(f.p, k.At(f.key))
		}
	}
}

// ranged is a prefix taking part in the overlap check.
type ranged struct {
	first, last netip.Addr
	pos         diag.Pos
	name        string // `10.20.0.0/24 of network "internal"`
	k8sKey      string // pod_cidr or service_cidr for the Kubernetes ranges
	defaulted   bool
}

func checkOverlappingPrefixes(ck *checker) {
	var rs []ranged
	for _, n := range ck.c.Network.Networks {
		if n.Prefix.IsValid() {
			m := n.Prefix.Masked()
			rs = append(rs, ranged{first: m.Addr(), last: lastAddr(m), pos: n.At("prefix"),
				name: fmt.Sprintf("%s of network %q", n.Prefix, n.Name)})
		}
	}
	k := &ck.c.Services.Kubernetes
	if model.Enabled(k.Enabled, false) {
		for _, f := range []struct {
			key string
			p   netip.Prefix
		}{{"pod_cidr", k.PodCIDR}, {"service_cidr", k.ServiceCIDR}} {
			if f.p.IsValid() {
				m := f.p.Masked()
				rs = append(rs, ranged{first: m.Addr(), last: lastAddr(m), pos: k.At(f.key),
					name: fmt.Sprintf("the Kubernetes %s %s", f.key, f.p), k8sKey: f.key, defaulted: !k.Has(f.key)})
			}
		}
	}
	// Sorted by first address, wider prefixes first, CIDR ranges either
	// nest or are disjoint: a stack of the ranges enclosing the current
	// one finds, for each range, the innermost range it lies in.
	slices.SortStableFunc(rs, func(a, b ranged) int {
		if c := a.first.Compare(b.first); c != 0 {
			return c
		}
		if c := b.last.Compare(a.last); c != 0 {
			return c
		}
		return comparePos(a.pos, b.pos)
	})
	// Each overlapping pair is reported at whichever of the two is written
	// later; a range overlapping several is reported once, naming the
	// first of them.
	type overlap struct{ at, other *ranged }
	var found []overlap
	var stack []*ranged
	for i := range rs {
		r := &rs[i]
		for len(stack) > 0 && stack[len(stack)-1].last.Compare(r.first) < 0 {
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			at, other := r, stack[len(stack)-1]
			if comparePos(at.pos, other.pos) < 0 {
				at, other = other, at
			}
			found = append(found, overlap{at, other})
		}
		stack = append(stack, r)
	}
	slices.SortStableFunc(found, func(x, y overlap) int {
		return cmp.Or(comparePos(x.at.pos, y.at.pos), comparePos(x.other.pos, y.other.pos))
	})
	for i := 0; i < len(found); {
		j := i + 1
		for j < len(found) && found[j].at == found[i].at {
			j++
		}
		reportOverlap(ck, found[i].at, found[i].other, j-i-1)
		i = j
	}
}

func reportOverlap(ck *checker, a, b *ranged, more int) {
	also := ""
	if more > 0 {
		also = fmt.Sprintf(" and %d more prefix", more)
		if more > 1 {
			also += "es"
		}
	}
	what := a.name
	if a.k8sKey == "" {
		what = "prefix " + what
	}
	hint := ""
	if a.k8sKey != "" {
		if a.defaulted {
			what += " (the default)"
		}
		hint = fmt.Sprintf("; set kubernetes.%s to a range no network uses", a.k8sKey)
	}
	ck.d.Errorf(a.pos, RuleOverlappingPrefixes, "%s overlaps %s at %s%s%s", what, b.name, b.pos, also, hint)
}
