// Package apiservice is what every OpenStack API service on the kit
// (internal/service) builds the same way: its items collected host by
// host, the schema migrated once on the first host (after Galera made
// the database, guarded by the service's helper), the service's unit on
// every host in a rolling group of one host at a time, restarted on what
// it subscribes to, the previous database password retired after every
// host restarted; the helper script on the hosts (helper.py, the common
// part of every service's helper) and the health check it answers
// (health.go). A library, so that no component imports another for it.
package apiservice

import (
	_ "embed"
	"fmt"
	"net/netip"
	"strings"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/components/galera"
	"github.com/fundament-cloud/fundament/internal/components/hostnet"
	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
	"github.com/fundament-cloud/fundament/internal/service"
)

//go:embed helper.py
var common string

// Helper is a service's helper script: the common part (the database
// wait, the schema's guard, the health command) and the service's own
// (its name, version document and migration heads), which ends by
// calling main.
func Helper(own string) string {
	return strings.Replace(common, "# @own@\n", own, 1)
}

// Command is a command line that runs the helper at path with args
// (quoted).
func Command(path string, args ...string) string {
	return "python3 " + path + " " + resource.QuoteArgs(args...)
}

// BackendURL is the service's own URL on a host, past HAProxy.
func BackendURL(s *service.Service, addr netip.Addr) string {
	return "http://" + endpoint.HostPort(addr, s.API.Port) + s.API.Path
}

// Builder collects the items of a service's hosts.
type Builder struct {
	Service *service.Service
	Items   []*catalog.Item

	// Set by Connect.
	Addrs            []netip.Addr // each host's internal API address, where the service listens
	DatabaseURL      string       // through the internal virtual IP, with the password
	DatabasePassword string
}

// Connect reads what every API service's configuration names: each
// host's internal API address (HAProxy's backend) and the database URL
// with the service's password from the secrets.
func (b *Builder) Connect(in *catalog.Input, hosts []*model.Host) error {
	name := b.Service.Name
	backends, err := endpoint.Backends(in.Cloud, hosts, name+" listens there")
	if err != nil {
		return err
	}
	for _, a := range backends {
		b.Addrs = append(b.Addrs, a.Addr)
	}
	if b.DatabasePassword, err = in.SecretValue(b.Service.DatabaseSecret()); err != nil {
		return err
	}
	if b.DatabaseURL, err = galera.ConnectionURL(in.Cloud, name, b.DatabasePassword); err != nil {
		return fmt.Errorf("%s's database: %w", name, err)
	}
	return nil
}

// Add declares r on host after the items given.
func (b *Builder) Add(host string, r resource.Resource, after ...*catalog.Item) *catalog.Item {
	it := &catalog.Item{Host: host, Component: b.Service.Name, Resource: r}
	for _, a := range after {
		it.After = append(it.After, a.Ref())
	}
	b.Items = append(b.Items, it)
	return it
}

// Host is what a host of the service prepared for its unit: every item
// the unit starts after, and those it restarts on (its packages: an
// upgrade restarts nothing by itself, apt runs under a policy-rc.d that
// denies; its configuration).
type Host struct {
	Name               string
	Prepared, Restarts []*catalog.Item
	// After is what else the unit waits for, of other components (a Ceph
	// client's keyring: ceph.ClientReady).
	After []catalog.Ref
}

// Schema is the service's schema migration: Manage runs as the
// service's user (as root it would leave files the service cannot open)
// once the database answers through the virtual IP (HAProxy and Galera
// may still be starting in the same apply); the helper at HelperPath
// guards it (synced) with the database's URL in its environment.
type Schema struct {
	HelperPath, DatabaseURL string
	// Manage is the migration's command line ("placement-manage db sync").
	Manage string
}

func (s Schema) command(service string) resource.Command {
	return resource.Command{
		Name:  service + "/db-sync",
		Guard: Command(s.HelperPath, "synced"),
		Env:   map[string]string{"FM_DB_URL": s.DatabaseURL},
		Script: "set -e\n" +
			Command(s.HelperPath, "wait", "600") + "\n" +
			"runuser -u " + service + " -- " + s.Manage + "\n",
		Timeout: "30m",
	}
}

// Finish declares the rest on the hosts prepared: the schema migration on
// the first (after what it prepared and Galera's database); unit on every
// host (rolling group named after the service, after the migration, after
// authAfter, what its keystonemiddleware needs: keystone.AuthToken.After,
// the service's registration and every memcached, and after the host's
// network); the previous database password retired after every host
// restarted and after the migration, which may have used it
// (docs/galera.md). It returns the rolling group.
func (b *Builder) Finish(c *model.Cloud, hosts []Host, unit string, schema Schema, authAfter []catalog.Ref, dbPassword string) (*catalog.Group, error) {
	name := b.Service.Name
	dbRef, err := galera.DatabaseRef(c, name)
	if err != nil {
		return nil, fmt.Errorf("%s's database: %w", name, err)
	}
	sync := b.Add(hosts[0].Name, schema.command(name), hosts[0].Prepared...)
	sync.After = append(sync.After, dbRef)

	g := &catalog.Group{Name: name, BatchSize: 1}
	var done []*catalog.Item
	for _, h := range hosts {
		svc := resource.Service{Unit: unit, Enabled: true, Running: true}
		it := b.Add(h.Name, nil, h.Prepared...)
		it.After = append(append(append(it.After, sync.Ref(), hostnet.Ready(h.Name)), authAfter...), h.After...)
		for _, r := range h.Restarts {
			svc.Subscribes = append(svc.Subscribes, r.Resource.ID())
			it.Subscribes = append(it.Subscribes, r.Ref())
		}
		it.Resource, it.Group = svc, name
		g.Hosts = append(g.Hosts, h.Name)
		done = append(done, it)
	}
	retire, err := galera.RetirePreviousPassword(c, name, dbPassword, name, append(done, sync)...)
	if err != nil {
		return nil, fmt.Errorf("%s's database: %w", name, err)
	}
	b.Items = append(b.Items, retire)
	return g, nil
}
