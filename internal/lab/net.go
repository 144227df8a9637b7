package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// netnsName is the network namespace of a node (`ip netns` name).
func (l *Lab) netnsName(node string) string { return l.Prefix + "-" + node }

// bridgeName is the management bridge on the machine.
func (l *Lab) bridgeName() string { return l.Prefix + "br0" }

// mgmtVeth is the machine's end of a node's management cable: the prefix
// and a digest of the node's name, so that it stays the same when nodes
// are added or removed, and fits in 15 characters.
func (l *Lab) mgmtVeth(node string) string {
	h := fnv.New32a()
	h.Write([]byte(node))
	return fmt.Sprintf("%s-%08x", l.Prefix, h.Sum32())
}

type link struct {
	Name  string   `json:"ifname"`
	Flags []string `json:"flags"`
	Kind  string   `json:"link_type"`
	Info  *struct {
		Kind string `json:"info_kind"`
	} `json:"linkinfo"`
}

// links lists the interfaces of a network namespace ("" = the machine's).
func (l *Lab) links(ctx context.Context, netns string) (map[string]link, error) {
	args := []string{"-j", "-d", "link", "show"}
	if netns != "" {
		args = append([]string{"-n", netns}, args...)
	}
	out, err := output(ctx, "ip", args...)
	if err != nil {
		return nil, err
	}
	var ls []link
	if err := json.Unmarshal([]byte(out), &ls); err != nil {
		return nil, fmt.Errorf("reading `ip -j link show`: %w", err)
	}
	m := map[string]link{}
	for _, x := range ls {
		m[x.Name] = x
	}
	return m, nil
}

func netnsExists(name string) bool { return exists(filepath.Join("/run/netns", name)) }

// ensureBridge creates the management bridge with the machine's address.
func (l *Lab) ensureBridge(ctx context.Context) error {
	br := l.bridgeName()
	have, err := l.links(ctx, "")
	if err != nil {
		return err
	}
	if _, ok := have[br]; !ok {
		if err := run(ctx, l.Log, "ip", "link", "add", br, "type", "bridge"); err != nil {
			return err
		}
	}
	if err := run(ctx, l.Log, "ip", "addr", "replace", l.Topo.Machine.String(), "dev", br); err != nil {
		return err
	}
	return run(ctx, l.Log, "ip", "link", "set", br, "up")
}

// ensureNetns creates a node's network namespace and management cable,
// and gives its management interface the node's address.
func (l *Lab) ensureNetns(ctx context.Context, n *Node) error {
	ns := l.netnsName(n.Name)
	if !netnsExists(ns) {
		if err := run(ctx, l.Log, "ip", "netns", "add", ns); err != nil {
			return err
		}
	}
	have, err := l.links(ctx, ns)
	if err != nil {
		return err
	}
	veth := l.mgmtVeth(n.Name)
	if _, ok := have[n.MgmtIf]; !ok {
		// A machine end left over without its node end goes first.
		_ = run(ctx, l.Log, "ip", "link", "del", veth)
		if err := run(ctx, l.Log, "ip", "link", "add", veth, "type", "veth", "peer", "name", n.MgmtIf, "netns", ns); err != nil {
			return err
		}
	}
	if mac := n.MACs[n.MgmtIf]; mac != "" {
		if err := run(ctx, l.Log, "ip", "-n", ns, "link", "set", n.MgmtIf, "address", mac); err != nil {
			return err
		}
	}
	for _, args := range [][]string{
		{"link", "set", veth, "master", l.bridgeName(), "up"},
		{"-n", ns, "link", "set", "lo", "up"},
		{"-n", ns, "addr", "replace", n.Mgmt.String(), "dev", n.MgmtIf},
		{"-n", ns, "link", "set", n.MgmtIf, "up"},
	} {
		if err := run(ctx, l.Log, "ip", args...); err != nil {
			return err
		}
	}
	return nil
}

// ensureLink creates a cable's veth pair, one end in each node, and sets
// both ends up unless the cable is cut or an end's node is stopped.
func (l *Lab) ensureLink(ctx context.Context, k Link, up bool) error {
	nsA, nsB := l.netnsName(k.A.Node), l.netnsName(k.B.Node)
	haveA, err := l.links(ctx, nsA)
	if err != nil {
		return err
	}
	haveB, err := l.links(ctx, nsB)
	if err != nil {
		return err
	}
	_, okA := haveA[k.A.Port]
	_, okB := haveB[k.B.Port]
	if okA != okB {
		// Half a pair cannot be: the other end was moved or renamed by
		// something else. Start the cable afresh.
		if okA {
			_ = run(ctx, l.Log, "ip", "-n", nsA, "link", "del", k.A.Port)
		} else {
			_ = run(ctx, l.Log, "ip", "-n", nsB, "link", "del", k.B.Port)
		}
		okA = false
	}
	if !okA {
		if err := run(ctx, l.Log, "ip", "link", "add", k.A.Port, "netns", nsA, "type", "veth", "peer", "name", k.B.Port, "netns", nsB); err != nil {
			return err
		}
	}
	for _, e := range []End{k.A, k.B} {
		if n := l.Topo.Node(e.Node); n != nil && n.MACs[e.Port] != "" {
			if err := run(ctx, l.Log, "ip", "-n", l.netnsName(e.Node), "link", "set", e.Port, "address", n.MACs[e.Port]); err != nil {
				return err
			}
		}
	}
	return l.setLink(ctx, k, up)
}

func (l *Lab) setLink(ctx context.Context, k Link, up bool) error {
	state := "down"
	if up {
		state = "up"
	}
	for _, e := range []End{k.A, k.B} {
		if err := run(ctx, l.Log, "ip", "-n", l.netnsName(e.Node), "link", "set", e.Port, state); err != nil {
			return err
		}
	}
	return nil
}

// resetNodeLinks brings a powered-off node's network back to what fresh
// hardware has: its cables down (the other ends lose carrier), no address
// on them, and no interface that its software made (bonds, VLANs,
// bridges, tunnels) left behind.
func (l *Lab) resetNodeLinks(ctx context.Context, n *Node) error {
	ns := l.netnsName(n.Name)
	if !netnsExists(ns) {
		return nil
	}
	have, err := l.links(ctx, ns)
	if err != nil {
		return err
	}
	keep := map[string]bool{"lo": true, n.MgmtIf: true}
	for _, p := range n.Ports {
		keep[p] = true
	}
	for name, lk := range have {
		if keep[name] {
			continue
		}
		if lk.Info == nil || lk.Info.Kind == "" {
			continue // not a virtual interface: nothing a host's software made
		}
		_ = run(ctx, l.Log, "ip", "-n", ns, "link", "del", name)
	}
	for _, p := range n.Ports {
		_ = run(ctx, l.Log, "ip", "-n", ns, "addr", "flush", "dev", p)
		_ = run(ctx, l.Log, "ip", "-n", ns, "link", "set", p, "down", "nomaster")
	}
	return nil
}

// deleteNetwork removes every namespace, veth and the bridge of the lab,
// also those of nodes no longer in the topology.
func (l *Lab) deleteNetwork(ctx context.Context) error {
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), l.Prefix+"-") {
			if err := run(ctx, l.Log, "ip", "netns", "del", e.Name()); err != nil {
				return err
			}
		}
	}
	// The kernel removes a namespace's veths (and their machine ends) in
	// the background: wait for them, deleting what would stay.
	deadline := time.Now().Add(10 * time.Second)
	for {
		have, err := l.links(ctx, "")
		if err != nil {
			return err
		}
		var left []string
		for name := range have {
			if name == l.bridgeName() || strings.HasPrefix(name, l.Prefix+"-") {
				left = append(left, name)
				_ = run(ctx, io.Discard, "ip", "link", "del", name)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("interfaces %s are still there 10 s after their namespaces were deleted", strings.Join(left, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
