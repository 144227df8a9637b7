package ovn

import (
	"sort"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/components/hostnet"

	"github.com/fundament-cloud/fundament/internal/catalog"
	"github.com/fundament-cloud/fundament/internal/ovs"
	"github.com/fundament-cloud/fundament/internal/resource"
)

var chassisPackages = []string{"openvswitch-common", "openvswitch-switch", "ovn-common", "ovn-host"}

const (
	// systemIDFile is read by ovs-ctl each time it starts ovsdb-server,
	// which then sets external_ids:system-id from it (Debian's unit says
	// --system-id=random: a file it finds is kept, else a random one is
	// made). The chassis' name in the southbound database is that id.
	systemIDFile = "/etc/openvswitch/system-id.conf"
	// vswitchdDropIn starts ovs-vswitchd without ovs-ctl where the
	// datapath is netdev (see vswitchdNetdev).
	vswitchdDropIn = ovs.VswitchdDropIn
	// probeInterval (ms) is how long ovn-controller waits on a silent
	// southbound connection before it probes and then reconnects; OVS's
	// 5 s is short for a busy database (Neutron's own default is 60 s).
	probeInterval = 60000
)

// vswitchdNetdev starts ovs-vswitchd userspace-only where the datapath is
// netdev and host networking does not run Open vSwitch already.
const vswitchdNetdev = ovs.VswitchdNetdev

// chassis declares Open vSwitch and ovn-controller on a chassis:
//
//	system-id.conf, the vswitchd drop-in -> packages -> ovsdb-server,
//	ovs-vswitchd, openvswitch-switch -> br-phy (netdev) ->
//	external_ids -> ovn-controller, ovn-host
//
// The files come before the packages, so that whatever starts the
// daemons first (the service resources: installing the packages starts
// nothing), ovsdb-server takes the chassis' own system-id from the start
// and ovs-vswitchd starts without the kernel module. An upgrade of a
// package restarts the daemons it carries (Open vSwitch's, or
// ovn-controller, which Debian's ovn-host tells to exit on an upgrade).
func (b *builder) chassis(ch chassis) error {
	h := chassisComponent
	sysID := b.add(ch.Host, h, resource.File{Path: systemIDFile, Content: []byte(ch.Host + "\n")})
	if ch.HostnetOVS {
		// Open vSwitch, its datapath and br-phy come from host networking.
		pkgs, err := b.pkgs(ch.Host, h, []string{"ovn-common", "ovn-host"}, sysID)
		if err != nil {
			return err
		}
		ids := b.add(ch.Host, h, externalIDsCommand(b.t, ch), pkgs...)
		ids.After = append(ids.After, hostnet.Ready(ch.Host))
		controller := b.controller(ch, ids, pkgs)
		b.service(ch.Host, h, "ovn-host.service", nil, controller)
		return nil
	}
	dropIn := resource.File{Path: vswitchdDropIn, Absent: true}
	if ch.BrPhy {
		dropIn = resource.File{Path: vswitchdDropIn, Content: []byte(vswitchdNetdev)}
	}
	drop := b.add(ch.Host, h, dropIn)
	pkgs, err := b.pkgs(ch.Host, h, chassisPackages, sysID, drop)
	if err != nil {
		return err
	}
	// A package shared with the central part was declared first there:
	// it still comes after these files.
	for _, p := range pkgs {
		for _, f := range []*catalog.Item{sysID, drop} {
			if !hasRef(p.After, f.Ref()) {
				p.After = append(p.After, f.Ref())
			}
		}
	}
	var ovsPkgs, ovnPkgs []*catalog.Item
	for _, p := range pkgs {
		if strings.HasPrefix(p.Resource.ID().Name, "openvswitch-") {
			ovsPkgs = append(ovsPkgs, p)
		} else {
			ovnPkgs = append(ovnPkgs, p)
		}
	}
	ovsdb := b.service(ch.Host, h, "ovsdb-server.service", ovsPkgs, pkgs...)
	vswitchd := b.service(ch.Host, h, "ovs-vswitchd.service", append([]*catalog.Item{drop}, ovsPkgs...), append(pkgs, ovsdb)...)
	ovs := b.service(ch.Host, h, "openvswitch-switch.service", nil, ovsdb, vswitchd)
	last := ovs
	if ch.BrPhy {
		last = b.add(ch.Host, h, brPhyCommand(ch.Iface), ovs)
	}
	ids := b.add(ch.Host, h, externalIDsCommand(b.t, ch), last)
	controller := b.controller(ch, ids, ovnPkgs)
	b.service(ch.Host, h, "ovn-host.service", nil, controller)
	return nil
}

// controllerRestart keeps systemd restarting ovn-controller: 25.03 can
// crash at its first start while the southbound cluster is still forming
// (seen in the lab), and Debian's unit gives up after five quick restarts.
const controllerRestart = `# Written by Fundament from the configuration repository; changes here are overwritten.
[Unit]
StartLimitIntervalSec=0
[Service]
Restart=on-failure
RestartSec=2s
`

// controller declares ovn-controller: after the chassis' external_ids,
// with its restart drop-in, and after the southbound cluster exists on
// its first member (another host), so that it starts against a database;
// restarted when its drop-in or one of its packages (pkgs) changes.
func (b *builder) controller(ch chassis, ids *catalog.Item, pkgs []*catalog.Item) *catalog.Item {
	drop := b.add(ch.Host, chassisComponent, resource.File{Path: "/etc/systemd/system/ovn-controller.service.d/fundament-restart.conf",
		Content: []byte(controllerRestart)})
	controller := b.service(ch.Host, chassisComponent, "ovn-controller.service", append([]*catalog.Item{drop}, pkgs...), ids)
	if len(b.t.Members) > 0 {
		controller.After = append(controller.After, catalog.Ref{Host: b.t.Members[0].Host,
			ID: resource.Command{Name: "ovn/sb-cluster"}.ID()})
	}
	return controller
}

func hasRef(refs []catalog.Ref, r catalog.Ref) bool {
	for _, x := range refs {
		if x == r {
			return true
		}
	}
	return false
}

// externalIDs are the Open_vSwitch table's external_ids that make the
// host a chassis (ovn-controller reads them, and follows their changes);
// "" removes a key.
func externalIDs(t *topology, ch chassis) map[string]string {
	ids := map[string]string{
		"system-id":                 ch.Host,
		"ovn-remote":                t.remotes(sbPort),
		"ovn-encap-type":            t.Encap,
		"ovn-encap-ip":              ch.EncapIP.String(),
		"ovn-remote-probe-interval": strconv.Itoa(probeInterval),
		"ovn-bridge-datapath-type":  "",
		"ovn-cms-options":           "",
	}
	if t.Netdev {
		ids["ovn-bridge-datapath-type"] = "netdev"
	}
	if ch.Gateway {
		ids["ovn-cms-options"] = "enable-chassis-as-gw"
	}
	return ids
}

// getExternalID prints a key of the Open_vSwitch table's external_ids
// without ovs-vsctl's quotes ("" when the key is not set).
const getExternalID = `_fm_ext() {
	_fm_v=$(ovs-vsctl --timeout=20 --if-exists get Open_vSwitch . "external_ids:$1") || return 1
	_fm_v=${_fm_v#\"}
	printf '%s' "${_fm_v%\"}"
}
`

// externalIDsCommand sets the chassis' external_ids; its guard compares
// each one, so the command runs when one differs.
func externalIDsCommand(t *topology, ch chassis) resource.Command {
	ids := externalIDs(t, ch)
	keys := make([]string, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var checks, set, remove []string
	for _, k := range keys {
		v := ids[k]
		checks = append(checks, "[ \"$(_fm_ext "+k+")\" = "+resource.Quote(v)+" ]")
		if v == "" {
			remove = append(remove, k)
		} else {
			set = append(set, resource.Quote("external_ids:"+k+"="+strconv.Quote(v)))
		}
	}
	script := "set -e\novs-vsctl --timeout=60 set Open_vSwitch . " + strings.Join(set, " ")
	if len(remove) > 0 {
		script += " -- remove Open_vSwitch . external_ids " + strings.Join(remove, " ")
	}
	return resource.Command{
		Name:       "ovn/chassis",
		Script:     script + "\n",
		Guard:      getExternalID + strings.Join(checks, " &&\n\t"),
		Idempotent: true, // ovs-vsctl set
	}
}

// brPhyCommand makes the OVS bridge of userspace tunnelling: br-phy with
// the tunnel network's interface as its port. Host networking puts the
// tunnel address on br-phy (see TunnelLayout). br-phy takes the
// interface's MAC, so the neighbours' ARP entries for the tunnel address
// outlive a restart of ovs-vswitchd, which would give br-phy a new one.
func brPhyCommand(iface string) resource.Command {
	q := resource.Quote(iface)
	sys := resource.Quote("/sys/class/net/" + iface + "/address")
	return resource.Command{
		Name: "ovn/br-phy",
		Script: "set -e\n" +
			"if [ ! -e " + sys + " ]; then\n" +
			"\techo " + resource.Quote("fundament: the tunnel interface "+iface+" does not exist (host networking makes it)") + " >&2\n\texit 1\nfi\n" +
			"mac=$(cat " + sys + ")\n" +
			"ovs-vsctl --timeout=60 --may-exist add-br br-phy -- set Bridge br-phy datapath_type=netdev \"other_config:hwaddr=\\\"$mac\\\"\" -- --may-exist add-port br-phy " + q + "\n" +
			"ip link set br-phy up\n",
		Guard: "[ \"$(ovs-vsctl --timeout=20 --if-exists get Bridge br-phy datapath_type)\" = netdev ] &&\n" +
			"\t[ \"$(ovs-vsctl --timeout=20 port-to-br " + q + ")\" = br-phy ] &&\n" +
			"\t[ \"$(ovs-vsctl --timeout=20 --if-exists get Bridge br-phy other_config:hwaddr | tr -d '\"')\" = \"$(cat " + sys + ")\" ]",
		Idempotent: true, // --may-exist
	}
}
