package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/service"
	"github.com/fundament-cloud/fundament/internal/validate"
)

type inventoryJSON struct {
	Cloud    string        `json:"cloud"`
	Profile  string        `json:"profile"`
	Hosts    []hostJSON    `json:"hosts"`
	Switches []switchJSON  `json:"switches"`
	Services []serviceJSON `json:"services"`
}

type hostJSON struct {
	Name              string            `json:"name"`
	Roles             []string          `json:"roles"`
	Rack              string            `json:"rack,omitempty"`
	ManagementAddress string            `json:"management_address,omitempty"`
	SSHUser           string            `json:"ssh_user"`
	SSHPort           int               `json:"ssh_port"`
	Labels            map[string]string `json:"labels,omitempty"`
	Services          []string          `json:"services"`
	File              string            `json:"file"`
}

type switchJSON struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	HWSKU    string `json:"hwsku"`
	Rack     string `json:"rack,omitempty"`
	Loopback string `json:"loopback"`
	ASN      uint32 `json:"asn"`
}

type serviceJSON struct {
	Name      string   `json:"name"`
	Component string   `json:"component"`
	Enabled   bool     `json:"enabled"`
	Quorum    bool     `json:"quorum,omitempty"`
	Hosts     []string `json:"hosts"`
}

func newInventoryCmd(g *globals) *cobra.Command {
	return offers(&cobra.Command{
		Use:   "inventory",
		Short: "Show the hosts, their roles and the services placed on each",
		Long: `Inventory shows every host with its roles, rack, management address and the
services the model places on it, then every switch with its ASN. The configuration
must be valid; run 'fundament validate' to see why it is not.`,
		Example: examples(
			"fundament inventory --repo examples/production",
			"fundament inventory -o json | jq -r '.services[] | select(.name==\"galera\") | .hosts[]'"),
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, diags := validate.Check(g.repo)
			if diags.HasErrors() {
				return invalidConfig(g, diags, fmt.Sprintf("the configuration in %s is invalid; fix the errors above", g.repo))
			}
			inv := buildInventory(c)
			if g.json() {
				return printJSON(g.stdout, inv)
			}
			t := newTable(g.stdout, "HOST", "ROLES", "RACK", "ADDRESS", "SERVICES")
			for _, h := range inv.Hosts {
				t.row(h.Name, strings.Join(h.Roles, ","), dash(h.Rack), dash(h.ManagementAddress), strings.Join(h.Services, ", "))
			}
			t.flush()
			if len(inv.Switches) > 0 {
				fmt.Fprintln(g.stdout)
				t = newTable(g.stdout, "SWITCH", "ROLE", "HWSKU", "RACK", "LOOPBACK", "ASN")
				for _, s := range inv.Switches {
					t.row(s.Name, s.Role, s.HWSKU, dash(s.Rack), s.Loopback, s.ASN)
				}
				t.flush()
			}
			if n := diags.Len(); n > 0 {
				fmt.Fprintf(g.stderr, "%s; run 'fundament validate' to see them\n", plural(n, "warning"))
			}
			return nil
		},
	}, "json")
}

func buildInventory(c *model.Cloud) inventoryJSON {
	inv := inventoryJSON{Cloud: c.Spec.Name, Profile: string(c.Spec.Profile), Hosts: []hostJSON{}, Switches: []switchJSON{}, Services: []serviceJSON{}}
	perHost := map[string][]string{}
	for _, s := range service.Placed(c) {
		sj := serviceJSON{Name: s.Name, Component: s.Component, Enabled: s.Enabled, Quorum: s.Quorum, Hosts: []string{}}
		for _, h := range s.Hosts {
			sj.Hosts = append(sj.Hosts, h.Name)
			perHost[h.Name] = append(perHost[h.Name], s.Name)
		}
		inv.Services = append(inv.Services, sj)
	}
	for _, h := range c.Hosts {
		addr, _ := c.ManagementAddress(h)
		services := perHost[h.Name]
		if services == nil {
			services = []string{}
		}
		inv.Hosts = append(inv.Hosts, hostJSON{
			Name: h.Name, Roles: roleNames(h.Roles), Rack: h.Rack, ManagementAddress: addr,
			SSHUser: h.SSH.User, SSHPort: h.SSH.Port, Labels: h.Labels, Services: services, File: h.File,
		})
	}
	asns := c.EffectiveASNs()
	for _, s := range c.Network.Switches {
		inv.Switches = append(inv.Switches, switchJSON{
			Name: s.Name, Role: string(s.Role), HWSKU: s.HWSKU, Rack: s.Rack, Loopback: s.Loopback.String(), ASN: asns[s.Name],
		})
	}
	return inv
}

func roleNames(rs []model.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
