package validate

import (
	"strings"

	"github.com/fundament-cloud/fundament/internal/diag"
	"github.com/fundament-cloud/fundament/internal/model"
)

// Rule ids of the cabling rules.
const (
	RuleCableUnknownDevice = "cable-unknown-device"
	RuleCableUnknownPort   = "cable-unknown-port"
	RuleCablePortReused    = "cable-port-reused"
	RuleCableInvalid       = "cable-invalid"
)

func init() {
	register(
		Rule{ID: RuleCableUnknownDevice, Summary: "both ends of a cable name a host or a switch", check: checkCableDevices},
		Rule{ID: RuleCableUnknownPort, Summary: "a cable's switch port exists on the switch's HWSKU after its breakouts, and its host port is an interface of the host", check: checkCablePorts},
		Rule{ID: RuleCablePortReused, Summary: "no port is cabled twice", check: checkCablePortReuse},
		Rule{ID: RuleCableInvalid, Summary: "a cable connects two different devices, at least one a switch, and no bond interface (cable its members)", check: checkCableShape},
	)
}

// end is one end of a cable with its position.
type end struct {
	model.Endpoint
	pos diag.Pos
}

func cableEnds(c *model.Cable) [2]end {
	return [2]end{{c.A, c.At("a")}, {c.B, c.At("b")}}
}

func checkCableDevices(ck *checker) {
	var names []string
	suggest := map[string]string{} // unknown name -> hint, computed once
	for _, c := range ck.c.Network.Cables {
		for _, e := range cableEnds(c) {
			if e.Device == "" || ck.hosts[e.Device] != nil || ck.switches[e.Device] != nil {
				continue
			}
			hint, ok := suggest[e.Device]
			if !ok {
				if names == nil {
					names = make([]string, 0, len(ck.hosts)+len(ck.switches))
					for n := range ck.hosts {
						names = append(names, n)
					}
					for n := range ck.switches {
						names = append(names, n)
					}
				}
				hint = diag.DidYouMean(e.Device, names)
				suggest[e.Device] = hint
			}
			ck.d.Errorf(e.pos, RuleCableUnknownDevice, "cable end %s: no host or switch is called %q%s", e.Endpoint, e.Device, hint)
		}
	}
}

func checkCablePorts(ck *checker) {
	ports := map[*model.Switch]switchPorts{}
	for _, c := range ck.c.Network.Cables {
		for _, e := range cableEnds(c) {
			if h := ck.hosts[e.Device]; h != nil {
				if h.Interface(e.Port) == nil {
					names := make([]string, len(h.Interfaces))
					for i, x := range h.Interfaces {
						names[i] = x.Name
					}
					ck.d.Errorf(e.pos, RuleCableUnknownPort, "host %q has no interface %q%s", h.Name, e.Port, diag.DidYouMean(e.Port, names))
				}
				continue
			}
			s := ck.switches[e.Device]
			if s == nil {
				continue
			}
			sp, ok := ports[s]
			if !ok {
				sp, _ = analyzeSwitch(s)
				ports[s] = sp
			}
			if sp.ports == nil || sp.ports[e.Port] {
				continue // unknown HWSKU or unusable breakouts: reported elsewhere
			}
			hint := missingPortHint(s, sp, e.Port)
			if hint == "" {
				hint = diag.DidYouMean(e.Port, sp.names)
			}
			ck.d.Errorf(e.pos, RuleCableUnknownPort, "switch %q (%s) has no port %q%s", s.Name, s.HWSKU, e.Port, hint)
		}
	}
}

func checkCablePortReuse(ck *checker) {
	first := map[string]diag.Pos{}
	for _, c := range ck.c.Network.Cables {
		ends := cableEnds(c)
		for i, e := range ends {
			if e.Device == "" || (ck.hosts[e.Device] == nil && ck.switches[e.Device] == nil) {
				continue
			}
			if i == 1 && e.Endpoint == ends[0].Endpoint {
				continue // cable-invalid
			}
			key := e.Endpoint.String()
			if p, dup := first[key]; dup {
				ck.d.Errorf(e.pos, RuleCablePortReused, "port %s is already cabled at %s", key, p)
				continue
			}
			first[key] = e.pos
		}
	}
}

func checkCableShape(ck *checker) {
	for _, c := range ck.c.Network.Cables {
		ends := cableEnds(c)
		a, b := ends[0], ends[1]
		if a.Device == "" || b.Device == "" {
			continue
		}
		switch ha, hb := ck.hosts[a.Device], ck.hosts[b.Device]; {
		case a.Device == b.Device:
			ck.d.Errorf(b.pos, RuleCableInvalid, "both ends of the cable are on %q; a cable connects two different devices", a.Device)
		case ha != nil && hb != nil:
			ck.d.Errorf(b.pos, RuleCableInvalid, "cable connects host %q to host %q; hosts are cabled to switches", a.Device, b.Device)
		}
		for _, e := range ends {
			h := ck.hosts[e.Device]
			if h == nil {
				continue
			}
			if i := h.Interface(e.Port); i != nil && i.Bond != nil {
				ck.d.Errorf(e.pos, RuleCableInvalid, "interface %q of host %q is a bond; cable its members (%s) instead",
					i.Name, h.Name, strings.Join(i.Bond.Members, ", "))
			}
		}
	}
}
