package hwsku

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
)

// modeRE matches one term of a SONiC breakout mode, as in portconfig.py's
// BRKOUT_PATTERN but anchored: "<ports>x<speed>[<alt speeds>](<lanes>)".
// A speed is Gb/s with a G suffix, else Mb/s.
var modeRE = regexp.MustCompile(`^([0-9]{1,6})x([0-9]{1,6}G?)(?:\[([0-9]{1,6}G?(?:,[0-9]{1,6}G?)*)\])?(?:\(([0-9]{1,6})\))?$`)

// modeTerm is one "+"-separated term of a breakout mode.
type modeTerm struct {
	ports int
	speed int // Mb/s
	lanes int // lanes assigned to this term; 0 = all lanes of the port
}

// parseMode parses modes like "4x25G", "1x100G[40G]", "4x10G[1G]" and SONiC's
// mixed form "1x50G(2)+2x25G(2)". The bracketed alternative speeds are
// validated but dropped: the PORT table only carries the default speed.
func parseMode(mode string) ([]modeTerm, error) {
	var terms []modeTerm
	for _, t := range splitPlus(mode) {
		m := modeRE.FindStringSubmatch(t)
		if m == nil {
			return nil, fmt.Errorf("%w %q", ErrInvalidMode, mode)
		}
		var mt modeTerm
		mt.ports, _ = atoi(m[1])
		mt.speed = speedMbps(m[2])
		if m[4] != "" {
			mt.lanes, _ = atoi(m[4])
		}
		if mt.ports == 0 || mt.speed == 0 || (m[4] != "" && mt.lanes == 0) {
			return nil, fmt.Errorf("%w %q: zero ports, speed or lanes", ErrInvalidMode, mode)
		}
		if len(terms) > 0 && (mt.lanes == 0 || terms[0].lanes == 0) {
			// Without an explicit lane count every term claims all lanes.
			return nil, fmt.Errorf("%w %q: mixed modes need a lane count per term, e.g. 1x50G(2)+2x25G(2)", ErrInvalidMode, mode)
		}
		terms = append(terms, mt)
	}
	return terms, nil
}

func splitPlus(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '+' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// speedMbps converts a regex-checked speed ("25G" or "25000") to Mb/s.
func speedMbps(s string) int {
	if s[len(s)-1] == 'G' {
		n, _ := atoi(s[:len(s)-1])
		return n * 1000
	}
	n, _ := atoi(s)
	return n
}

// Breakout splits port into sub-ports the way SONiC's dynamic port breakout
// does: the lanes are dealt out in file order, and each sub-port is named
// after the parent's number plus its first lane's offset, so a 4-lane
// Ethernet0 in "4x25G" becomes Ethernet0..Ethernet3 with one lane and 25000
// Mb/s each, and in "2x50G" Ethernet0 (lanes 1,2) and Ethernet2 (lanes 3,4).
// A "1x" mode keeps the port whole but changes its speed.
//
// Sub-ports keep the parent's Index. A single resulting port keeps the
// parent's Alias; split sub-ports get their own name as alias (SONiC's
// default), because the vendor's sub-port aliases live in platform.json,
// which is not embedded.
//
// It fails with ErrUnknownPort, ErrInvalidMode, or ErrUnsupportedBreakout when
// the lanes do not divide evenly, a sub-port name would collide with another
// port of the SKU, or a sub-port would run its lanes faster than the parent's
// default speed does (the port_config.ini speed is taken as the per-lane
// ceiling, which holds for the embedded SKUs).
func (s *SKU) Breakout(port, mode string) ([]Port, error) {
	p, ok := s.Port(port)
	if !ok {
		return nil, fmt.Errorf("%w %q on %s", ErrUnknownPort, port, s.Name)
	}
	terms, err := parseMode(mode)
	if err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s %s on %s: %s", ErrUnsupportedBreakout, port, mode, s.Name, fmt.Sprintf(format, a...))
	}

	used := 0
	for _, t := range terms {
		if t.lanes == 0 {
			t.lanes = len(p.Lanes)
		}
		used += t.lanes
	}
	if used > len(p.Lanes) {
		return nil, fail("needs %d lanes, port has %d", used, len(p.Lanes))
	}

	total := 0
	for _, t := range terms {
		total += t.ports
	}
	var out []Port
	off := 0
	for _, t := range terms {
		assigned := t.lanes
		if assigned == 0 {
			assigned = len(p.Lanes)
		}
		if assigned < t.ports || assigned%t.ports != 0 {
			return nil, fail("%d lanes cannot be split into %d ports", assigned, t.ports)
		}
		per := assigned / t.ports
		if p.Speed > 0 && t.speed*len(p.Lanes) > p.Speed*per {
			return nil, fail("%d Mb/s on %d of %d lanes exceeds the port's %d Mb/s", t.speed, per, len(p.Lanes), p.Speed)
		}
		for range t.ports {
			sub := Port{
				Name:  p.Name,
				Lanes: slices.Clone(p.Lanes[off : off+per]),
				Alias: p.Alias,
				Index: p.Index,
				Speed: t.speed,
			}
			if off > 0 {
				prefix, num, ok := splitName(p.Name)
				if !ok {
					return nil, fail("port name has no number to derive sub-port names from")
				}
				sub.Name = fmt.Sprintf("%s%d", prefix, num+off)
				if _, clash := s.Port(sub.Name); clash {
					return nil, fail("sub-port %s would collide with an existing port", sub.Name)
				}
			}
			if total > 1 {
				sub.Alias = sub.Name
			}
			out = append(out, sub)
			off += per
		}
	}
	return out, nil
}

// PortsWithBreakouts returns the SKU's effective port list after applying
// modes (port name -> breakout mode, as in hwsku.json's default_brkout_mode
// or the config_db BREAKOUT_CFG table). Ports not in modes are returned
// unchanged; order follows port_config.ini, with sub-ports in lane order.
func (s *SKU) PortsWithBreakouts(modes map[string]string) ([]Port, error) {
	for _, name := range slices.Sorted(maps.Keys(modes)) { // sorted: stable error
		if _, ok := s.Port(name); !ok {
			return nil, fmt.Errorf("%w %q on %s", ErrUnknownPort, name, s.Name)
		}
	}
	var out []Port
	seen := map[string]bool{}
	for _, p := range s.Ports {
		ports := []Port{p.clone()}
		if mode, ok := modes[p.Name]; ok {
			var err error
			if ports, err = s.Breakout(p.Name, mode); err != nil {
				return nil, err
			}
		}
		for _, q := range ports {
			// Breakout checks against the default map; this also catches
			// sub-ports of two different parents landing on one name.
			if seen[q.Name] {
				return nil, fmt.Errorf("%w: port name %s produced twice", ErrUnsupportedBreakout, q.Name)
			}
			seen[q.Name] = true
			out = append(out, q)
		}
	}
	return out, nil
}
