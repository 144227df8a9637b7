package validate

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/hwsku"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Rule ids of the switch hardware rules.
const (
	RuleHWSKUUnknown    = "hwsku-unknown"
	RuleBreakoutInvalid = "breakout-invalid"
)

func init() {
	register(
		Rule{ID: RuleHWSKUUnknown, Summary: "a switch's hwsku is one Fundament knows the port map of", check: checkHWSKUs},
		Rule{ID: RuleBreakoutInvalid, Summary: "breakouts name ports of the switch's HWSKU and modes the port supports, and make no port on exactly the lanes of another", check: checkBreakouts},
	)
}

func checkHWSKUs(ck *checker) {
	names := hwsku.Names()
	for _, s := range ck.c.Network.Switches {
		if s.HWSKU == "" {
			continue // schema.required
		}
		if _, ok := hwsku.Lookup(s.HWSKU); !ok {
			ck.d.Errorf(s.At("hwsku"), RuleHWSKUUnknown, "HWSKU %q is not supported (supported: %s)%s",
				s.HWSKU, strings.Join(names, ", "), diag.DidYouMean(s.HWSKU, names))
		}
	}
}

// switchPorts is what the cabling rules need of a switch's hardware.
type switchPorts struct {
	sku *hwsku.SKU
	// ports is the effective port list after the valid breakouts; nil when
	// the HWSKU is unknown or the breakouts cannot be applied together.
	ports map[string]bool
	names []string
	// breakouts are the entries that are valid on their own.
	breakouts map[string]string
}

// breakoutProblem is an invalid entry of a switch's breakouts.
type breakoutProblem struct {
	pos diag.Pos
	msg string
}

// analyzeSwitch applies a switch's breakouts to its HWSKU's port map.
func analyzeSwitch(s *model.Switch) (switchPorts, []breakoutProblem) {
	var sp switchPorts
	sku, ok := hwsku.Lookup(s.HWSKU)
	if !ok {
		return sp, nil
	}
	sp.sku = sku
	sp.breakouts = map[string]string{}
	var problems []breakoutProblem
	for _, port := range slices.Sorted(maps.Keys(s.Breakouts)) {
		mode := s.Breakouts[port]
		if _, err := sku.Breakout(port, mode); err != nil {
			problems = append(problems, breakoutProblem{s.At("breakouts." + port), breakoutMessage(sku, port, mode, err)})
			continue
		}
		sp.breakouts[port] = mode
	}
	ports, err := sku.PortsWithBreakouts(sp.breakouts)
	if err != nil {
		// Two breakouts that are fine alone produce one port name twice.
		problems = append(problems, breakoutProblem{s.At("breakouts"),
			fmt.Sprintf("the breakouts of switch %q cannot be applied together: %s", s.Name, strings.TrimPrefix(err.Error(), hwsku.ErrUnsupportedBreakout.Error()+": "))})
		return sp, problems
	}
	sp.ports = make(map[string]bool, len(ports))
	for _, p := range ports {
		sp.ports[p.Name] = true
		sp.names = append(sp.names, p.Name)
	}
	return sp, append(problems, laneClashes(s, sku, sp.breakouts, ports)...)
}

// laneClashes reports sub-ports that take exactly the lanes of another
// port. SONiC's orchagent keys ports by their lanes, so it rejects two
// ports on one lane set; the HWSKU's own map may share a lane between
// different sets (Accton-AS7726-32X's Ethernet129 is lane 128, the last
// lane of Ethernet124), which a breakout of Ethernet124 into single lanes
// turns into a clash.
func laneClashes(s *model.Switch, sku *hwsku.SKU, breakouts map[string]string, ports []hwsku.Port) []breakoutProblem {
	parent := map[string]string{} // sub-port -> the port broken out
	for _, p := range slices.Sorted(maps.Keys(breakouts)) {
		subs, _ := sku.Breakout(p, breakouts[p])
		for _, q := range subs {
			parent[q.Name] = p
		}
	}
	var problems []breakoutProblem
	owner := map[string]string{} // lane set -> first port on it
	for _, p := range ports {
		lanes := slices.Sorted(slices.Values(p.Lanes))
		k := fmt.Sprint(lanes)
		other, clash := owner[k]
		if !clash {
			owner[k] = p.Name
			continue
		}
		sub, with := p.Name, other
		if _, ok := parent[sub]; !ok {
			sub, with = other, p.Name
		}
		par := parent[sub]
		problems = append(problems, breakoutProblem{s.At("breakouts." + par), fmt.Sprintf(
			"breakout %s of %s is not supported by %s: it makes %s on lane(s) %s, which %s already uses; SONiC keys ports by their lanes",
			breakouts[par], par, sku.Name, sub, strings.ReplaceAll(strings.Trim(k, "[]"), " ", ","), with)})
	}
	return problems
}

// breakoutMessage turns an error of hwsku.Breakout into a diagnostic
// message, without the repetition hwsku's errors carry for logs.
func breakoutMessage(sku *hwsku.SKU, port, mode string, err error) string {
	switch {
	case errors.Is(err, hwsku.ErrUnknownPort):
		if parent, ok := parentPort(sku, port); ok {
			return fmt.Sprintf("cannot break out %q: it is not a port of %s but a sub-port of %s; break out %s instead", port, sku.Name, parent.Name, parent.Name)
		}
		names := make([]string, len(sku.Ports))
		for i, p := range sku.Ports {
			names[i] = p.Name
		}
		return fmt.Sprintf("cannot break out %q: %s has no such port%s", port, sku.Name, diag.DidYouMean(port, names))
	case errors.Is(err, hwsku.ErrInvalidMode):
		if reason := strings.TrimPrefix(err.Error(), fmt.Sprintf("%s %q: ", hwsku.ErrInvalidMode, mode)); reason != err.Error() {
			return fmt.Sprintf("invalid breakout mode %q for %s: %s", mode, port, reason)
		}
		return fmt.Sprintf("invalid breakout mode %q for %s; write it as <ports>x<speed>, e.g. 4x25G, 2x50G or 1x50G(2)+2x25G(2)", mode, port)
	case errors.Is(err, hwsku.ErrUnsupportedBreakout):
		reason := strings.TrimPrefix(err.Error(), fmt.Sprintf("%s: %s %s on %s: ", hwsku.ErrUnsupportedBreakout, port, mode, sku.Name))
		return fmt.Sprintf("breakout %s of %s is not supported by %s: %s", mode, port, sku.Name, reason)
	}
	return err.Error()
}

func checkBreakouts(ck *checker) {
	for _, s := range ck.c.Network.Switches {
		_, problems := analyzeSwitch(s)
		for _, p := range problems {
			ck.d.Errorf(p.pos, RuleBreakoutInvalid, "%s", p.msg)
		}
	}
}

// missingPortHint explains why port is not on a switch when a breakout is
// involved: the port is a sub-port a breakout of its parent does not make,
// or a sub-port that exists only once the parent is broken out.
func missingPortHint(s *model.Switch, sp switchPorts, port string) string {
	if p, ok := parentPort(sp.sku, port); ok {
		if mode, ok := sp.breakouts[p.Name]; ok {
			subs, _ := sp.sku.Breakout(p.Name, mode)
			names := make([]string, len(subs))
			for i, q := range subs {
				names[i] = q.Name
			}
			return fmt.Sprintf(": breakout %s of %s at %s makes %s", mode, p.Name, s.At("breakouts."+p.Name), strings.Join(names, ", "))
		}
		hint := fmt.Sprintf("; it exists only when %s is broken out", p.Name)
		if n := len(p.Lanes); p.Speed > 0 && p.Speed%(n*1000) == 0 {
			hint += fmt.Sprintf(" (breakouts: {%s: %dx%dG})", p.Name, n, p.Speed/n/1000)
		}
		return hint
	}
	return ""
}

// parentPort finds the multi-lane port of the SKU's default map whose
// breakout would make a sub-port called port (Ethernet49 -> Ethernet48).
func parentPort(sku *hwsku.SKU, port string) (hwsku.Port, bool) {
	prefix, num, ok := splitPortName(port)
	if !ok {
		return hwsku.Port{}, false
	}
	for _, p := range sku.Ports {
		pp, pn, ok := splitPortName(p.Name)
		if ok && pp == prefix && num > pn && num < pn+len(p.Lanes) {
			return p, true
		}
	}
	return hwsku.Port{}, false
}

// splitPortName splits "Ethernet48" into ("Ethernet", 48).
func splitPortName(name string) (string, int, bool) {
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	digits := name[i:]
	if digits == "" || len(digits) > 6 {
		return "", 0, false
	}
	n := 0
	for _, c := range digits {
		n = n*10 + int(c-'0')
	}
	return name[:i], n, true
}
