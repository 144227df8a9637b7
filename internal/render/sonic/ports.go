package sonic

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// portMTU is every front-panel port's MTU: the largest SONiC's orchagent
// commonly accepts, so that any host MTU up to 9000 plus VLAN and VXLAN
// headers passes the fabric.
const portMTU = "9100"

// portTables writes PORT from the HWSKU's port map after breakouts, and
// BREAKOUT_CFG for the broken-out parents. Only cabled ports are up.
func (b *builder) portTables() error {
	links := b.f.links[b.sw.Name]
	for _, p := range b.ports {
		if p.Speed <= 0 {
			return fmt.Errorf("port %s of %s has no speed in its port_config.ini", p.Name, b.sku.Name)
		}
		lanes := make([]string, len(p.Lanes))
		for i, l := range p.Lanes {
			lanes[i] = strconv.Itoa(l)
		}
		row := Fields{
			"alias":        p.Alias,
			"index":        strconv.Itoa(p.Index),
			"lanes":        strings.Join(lanes, ","),
			"speed":        strconv.Itoa(p.Speed),
			"mtu":          portMTU,
			"admin_status": "down",
		}
		if peer, ok := links[p.Name]; ok {
			row["admin_status"] = "up"
			row["description"] = peer.String()
		}
		b.db.set("PORT", p.Name, row)
	}
	for _, parent := range slices.Sorted(maps.Keys(b.sw.Breakouts)) {
		b.db.set("BREAKOUT_CFG", parent, Fields{"brkout_mode": b.sw.Breakouts[parent]})
	}
	return nil
}
