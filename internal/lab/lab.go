// Package lab builds a whole cloud's hosts and switches on one Linux
// machine: each node is a set of namespaces with its own overlay root file
// system on a Debian image, booting systemd as PID 1 and reached over SSH
// on a management bridge; each cable is a veth pair. It also injects
// faults (power off, cable cut). It needs root and Linux.
package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// DefaultDir holds the labs' nodes (their layers and disks).
const DefaultDir = "/var/lib/fundament/lab"

// DefaultCacheDir holds the built images.
const DefaultCacheDir = "/var/cache/fundament/images"

// DefaultPrefix begins the name of every namespace, interface and cgroup
// of a lab; two labs with different prefixes can run side by side when
// their management networks differ.
const DefaultPrefix = "fm"

// Lab is one lab on this machine.
type Lab struct {
	Prefix string
	Dir    string // DefaultDir/Prefix
	Topo   *Topology
	// OperatorKey is the public key authorized for root on every node.
	OperatorKey string
	Log         io.Writer
	// Progress hears which nodes Up boots and which answer WaitSSH (nil:
	// nothing).
	Progress Progress
}

var prefixSyntax = regexp.MustCompile(`^[a-z][a-z0-9]{0,4}$`)

// New returns the lab of topology t under baseDir (DefaultDir). Without a
// topology (the repository cannot be read) only Down works.
func New(prefix, baseDir string, t *Topology, operatorKey string, log io.Writer) (*Lab, error) {
	if !prefixSyntax.MatchString(prefix) {
		return nil, fmt.Errorf("lab prefix %q: want 1 to 5 lowercase letters and digits, starting with a letter", prefix)
	}
	if log == nil {
		log = io.Discard
	}
	return &Lab{Prefix: prefix, Dir: filepath.Join(baseDir, prefix), Topo: t, OperatorKey: operatorKey, Log: log}, nil
}

// record is what the lab keeps between commands (lab.json): enough to
// recognise it and to undo faults.
type record struct {
	Cloud  string    `json:"cloud"`
	Repo   string    `json:"repo,omitempty"`
	Layers []string  `json:"layers"`
	Cuts   []Link    `json:"cuts,omitempty"`
	Since  time.Time `json:"since"`
}

func (l *Lab) recordPath() string { return filepath.Join(l.Dir, "lab.json") }

func (l *Lab) load() (*record, error) {
	b, err := os.ReadFile(l.recordPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", l.recordPath(), err)
	}
	return &r, nil
}

func (l *Lab) save(r *record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(l.recordPath(), append(b, '\n'), 0o644)
}

// Up creates what is missing of the lab and boots every node that is not
// running: on a fresh machine it builds everything, on a lab that is up it
// changes nothing, and on one half-made by a crash it completes it.
func (l *Lab) Up(ctx context.Context, img *Image, repo string) error {
	if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		return err
	}
	rec, err := l.load()
	if err != nil {
		return err
	}
	if rec != nil && rec.Cloud != l.Topo.Cloud {
		return fmt.Errorf("lab %q on this machine belongs to cloud %s (%s); take it down first (fundament lab down) or use another --prefix", l.Prefix, rec.Cloud, rec.Repo)
	}
	if rec == nil {
		rec = &record{Cloud: l.Topo.Cloud, Since: time.Now().UTC()}
	}
	if rec.Layers != nil && !slices.Equal(rec.Layers, img.Layers) {
		for _, n := range l.Topo.Nodes {
			if l.Running(n.Name) {
				return fmt.Errorf("the lab's nodes run another image than %s (the package list changed); take the lab down first (fundament lab down), or stop every node", img.Layers[0])
			}
		}
	}
	rec.Repo, rec.Layers = repo, img.Layers
	if err := l.save(rec); err != nil {
		return err
	}
	if err := l.raiseMachineLimits(); err != nil {
		return err
	}
	if err := l.ensureBridge(ctx); err != nil {
		return err
	}
	if err := l.ensureRoutes(ctx); err != nil {
		return err
	}
	for _, n := range l.Topo.Nodes {
		if err := l.ensureNetns(ctx, n); err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
	}
	for _, k := range l.Topo.Links {
		if err := l.ensureLink(ctx, k, !isCut(rec.Cuts, k)); err != nil {
			return fmt.Errorf("cable %s: %w", k, err)
		}
	}
	start := time.Now()
	var booted []string
	for _, n := range l.Topo.Nodes {
		if _, ok := l.initPID(n.Name); ok {
			continue
		}
		// Whatever is left of an earlier boot goes first.
		if err := l.kill(ctx, n.Name); err != nil {
			return err
		}
		if err := l.boot(ctx, n, img.Layers); err != nil {
			return err
		}
		booted = append(booted, n.Name)
	}
	l.Progress.Emit(StageNodes, start, Event{Type: EventNodesBooted, Nodes: booted, Done: len(booted), Total: len(l.Topo.Nodes), Unit: "nodes"})
	return nil
}

// Down stops every node and removes everything the lab made: namespaces,
// interfaces, the bridge, cgroups, loop devices, the nodes' layers and
// disks. Only the image cache stays.
func (l *Lab) Down(ctx context.Context) error {
	var errs []error
	names := map[string]bool{}
	if l.Topo != nil {
		for _, n := range l.Topo.Nodes {
			names[n.Name] = true
		}
	}
	// Nodes of an earlier topology too.
	entries, _ := os.ReadDir(filepath.Join(l.Dir, "nodes"))
	for _, e := range entries {
		names[e.Name()] = true
	}
	for name := range names {
		errs = append(errs, l.kill(ctx, name), l.detachDisks(ctx, name))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	l.deleteRoutes(ctx)
	if err := l.deleteNetwork(ctx); err != nil {
		return err
	}
	v2, mem, err := cgroupMounts()
	if err != nil {
		return err
	}
	for _, root := range []string{v2, mem} {
		if root != "" {
			if err := removeCgroupTree(filepath.Join(root, l.cgroupName())); err != nil {
				return err
			}
		}
	}
	return os.RemoveAll(l.Dir)
}

// Stop powers nodes off: every process of the node dies at once, its
// cables lose carrier; its layer and disks stay for Start.
func (l *Lab) Stop(ctx context.Context, nodes ...string) error {
	for _, name := range nodes {
		n := l.Topo.Node(name)
		if n == nil {
			return l.unknown(name)
		}
		if err := l.kill(ctx, name); err != nil {
			return err
		}
		if err := l.detachDisks(ctx, name); err != nil {
			return err
		}
		if err := l.resetNodeLinks(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// Start powers stopped nodes on again, with their disks.
func (l *Lab) Start(ctx context.Context, nodes ...string) error {
	rec, err := l.requireUp()
	if err != nil {
		return err
	}
	img := &Image{Layers: rec.Layers}
	if err := l.raiseMachineLimits(); err != nil {
		return err
	}
	for _, name := range nodes {
		n := l.Topo.Node(name)
		if n == nil {
			return l.unknown(name)
		}
		if _, ok := l.initPID(name); ok {
			continue
		}
		if err := l.ensureNetns(ctx, n); err != nil {
			return err
		}
		for _, k := range l.Topo.Links {
			if k.A.Node == name || k.B.Node == name {
				if err := l.ensureLink(ctx, k, !isCut(rec.Cuts, k) && l.peerRunning(k, name)); err != nil {
					return err
				}
			}
		}
		if err := l.boot(ctx, n, img.Layers); err != nil {
			return err
		}
	}
	return nil
}

// peerRunning: a cable carries only when the node at its other end is on.
func (l *Lab) peerRunning(k Link, self string) bool {
	other := k.A.Node
	if other == self {
		other = k.B.Node
	}
	_, ok := l.initPID(other)
	return ok
}

// Cut takes the cables between a and b (node names or NODE:PORT) down.
func (l *Lab) Cut(ctx context.Context, a, b string) ([]Link, error) {
	rec, err := l.requireUp()
	if err != nil {
		return nil, err
	}
	links := l.Topo.LinksBetween(a, b)
	if len(links) == 0 {
		return nil, fmt.Errorf("no cable between %s and %s in network.yaml", a, b)
	}
	for _, k := range links {
		if err := l.setLink(ctx, k, false); err != nil {
			return nil, err
		}
		if !isCut(rec.Cuts, k) {
			rec.Cuts = append(rec.Cuts, k)
		}
	}
	return links, l.save(rec)
}

// Heal puts every cut cable back (of running nodes).
func (l *Lab) Heal(ctx context.Context) ([]Link, error) {
	rec, err := l.requireUp()
	if err != nil {
		return nil, err
	}
	healed := rec.Cuts
	for _, k := range rec.Cuts {
		_, okA := l.initPID(k.A.Node)
		_, okB := l.initPID(k.B.Node)
		if err := l.setLink(ctx, k, okA && okB); err != nil {
			return nil, err
		}
	}
	rec.Cuts = nil
	return healed, l.save(rec)
}

func isCut(cuts []Link, k Link) bool {
	for _, c := range cuts {
		if c == k {
			return true
		}
	}
	return false
}

func (l *Lab) requireUp() (*record, error) {
	rec, err := l.load()
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, fmt.Errorf("no lab %q on this machine: fundament lab up first", l.Prefix)
	}
	if rec.Cloud != l.Topo.Cloud {
		return nil, fmt.Errorf("lab %q on this machine is cloud %s (%s), not %s; choose the lab with --prefix", l.Prefix, rec.Cloud, rec.Repo, l.Topo.Cloud)
	}
	return rec, nil
}

// Check says why commands on the lab cannot work: it is not up, or it is
// another cloud's.
func (l *Lab) Check() error {
	_, err := l.requireUp()
	return err
}

func (l *Lab) unknown(name string) error {
	return fmt.Errorf("no host or switch %s in the lab (it has %s)", name, strings.Join(l.Topo.NodeNames(), ", "))
}

// NodeStatus is one line of `lab status`.
type NodeStatus struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	State   string `json:"state"`             // running, stopped
	Systemd string `json:"systemd,omitempty"` // systemctl is-system-running
	Address string `json:"address"`
	PID     int    `json:"pid,omitempty"`
	Memory  int64  `json:"memory_bytes,omitempty"`
}

// Status reports every node.
func (l *Lab) Status(ctx context.Context) ([]NodeStatus, error) {
	var out []NodeStatus
	for _, n := range l.Topo.Nodes {
		s := NodeStatus{Name: n.Name, Kind: "host", State: "stopped", Address: n.Mgmt.Addr().String()}
		if n.Switch {
			s.Kind = "switch"
		}
		if pid, ok := l.initPID(n.Name); ok {
			s.State, s.PID = "running", pid
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			state, _ := l.Output(cctx, n.Name, "systemctl", "is-system-running")
			cancel()
			s.Systemd = strings.TrimSpace(state)
			if cg, err := l.nodeCgroups(n.Name); err == nil {
				s.Memory, _ = cg.memoryBytes()
			}
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out, nil
}

// Cuts lists the cables that are cut.
func (l *Lab) Cuts() []Link {
	rec, _ := l.load()
	if rec == nil {
		return nil
	}
	return rec.Cuts
}
