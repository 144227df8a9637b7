package lab

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/fundament-cloud/fundament/internal/model"
	rfabric "github.com/fundament-cloud/fundament/internal/render/fabric"
)

// Route is a route the lab adds on the machine: to an external network
// (the public virtual IP, floating IPs) through the management address of
// a leaf that holds the network's anycast gateway. In production a border
// router announces these networks; in the lab the machine stands where
// the operators and the internet would be.
type Route struct {
	Network string
	Prefix  netip.Prefix
	// Via is the leaf's management address, Leaf its name.
	Via  netip.Addr
	Leaf string
}

func (r Route) String() string { return fmt.Sprintf("%s via %s (%s)", r.Prefix, r.Via, r.Leaf) }

// externalRoutes are the routes to every external network with a
// gateway, each through the first switch (network.yaml order) that holds
// the network's gateway on its management address.
func externalRoutes(c *model.Cloud, mgmt *model.LogicalNetwork) ([]Route, error) {
	var wanted []*model.LogicalNetwork
	for _, n := range c.Network.Networks {
		if n.Role == model.NetExternal && n.Gateway.IsValid() {
			wanted = append(wanted, n)
		}
	}
	if len(wanted) == 0 {
		return nil, nil
	}
	view, err := rfabric.Of(c)
	if err != nil {
		return nil, fmt.Errorf("the fabric's gateways: %w", err)
	}
	var out []Route
	for _, n := range wanted {
		for _, s := range c.Network.Switches {
			sw := view[s.Name]
			if sw == nil || !s.ManagementAddress.IsValid() || !mgmt.Prefix.Contains(s.ManagementAddress) {
				continue
			}
			if holdsGateway(sw, n.Name) {
				out = append(out, Route{Network: n.Name, Prefix: n.Prefix, Via: s.ManagementAddress, Leaf: s.Name})
				break
			}
		}
	}
	return out, nil
}

func holdsGateway(sw *rfabric.Switch, network string) bool {
	for _, g := range sw.Gateways {
		if g.Network == network {
			return true
		}
	}
	return false
}

// ensureRoutes adds (or corrects) the machine's routes to the external
// networks.
func (l *Lab) ensureRoutes(ctx context.Context) error {
	if l.Topo.RoutesProblem != nil && l.Log != nil {
		fmt.Fprintf(l.Log, "note: no routes from this machine to the external networks: %v\n", l.Topo.RoutesProblem)
	}
	for _, r := range l.Topo.Routes {
		if err := run(ctx, l.Log, "ip", "route", "replace", r.Prefix.String(), "via", r.Via.String(), "dev", l.bridgeName()); err != nil {
			return fmt.Errorf("route to %s: %w", r, err)
		}
	}
	return nil
}

// deleteRoutes removes them (deleting the bridge would as well; this
// also covers a bridge that stays).
func (l *Lab) deleteRoutes(ctx context.Context) {
	if l.Topo == nil {
		return
	}
	for _, r := range l.Topo.Routes {
		_ = run(ctx, l.Log, "ip", "route", "del", r.Prefix.String(), "via", r.Via.String(), "dev", l.bridgeName())
	}
}
