package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fundament-cloud/fundament/internal/lab"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/release"
	"github.com/fundament-cloud/fundament/internal/state"
	"github.com/fundament-cloud/fundament/internal/transport"
)

// labKeyPath is the operator key of a repository's lab (git-ignored).
func labKeyPath(repo string) string { return filepath.Join(repo, StateDir, "lab", "id_ed25519") }

// openUpLab is openLab for commands on a lab that must be up.
func openUpLab(g *globals, f *labFlags) (*lab.Lab, *model.Cloud, error) {
	l, c, err := openLab(g, f)
	if err == nil {
		err = l.Check()
	}
	return l, c, err
}

type labFlags struct {
	prefix   string
	dir      string
	cacheDir string
	verbose  bool
}

func newLabCmd(g *globals) *cobra.Command {
	var f labFlags
	cmd := &cobra.Command{
		Use:     "lab",
		Example: examples("sudo fundament lab up --repo examples/lab", "sudo fundament lab status --repo examples/lab", "sudo fundament lab stop ctl-2 && sudo fundament lab start ctl-2"),
		Short:   "Run the whole cloud on this Linux machine (root)",
		Long: `The lab turns every host of the inventory and every switch of network.yaml into a
Linux-namespace host on this machine: its own root file system (an overlay on a
Debian image), systemd as PID 1, sshd, and its management address on a bridge
on this machine (which takes the management network's gateway address). Every
cable of network.yaml becomes a veth pair between the ports it names. Fundament
then deploys onto the lab exactly as onto servers, over SSH.

Faults for reliability tests: 'lab stop' powers a host off (every process dies
at once), 'lab start' boots it again with its disks, 'lab cut' pulls cables,
'lab heal' puts them back.`,
	}
	cmd.PersistentFlags().StringVar(&f.prefix, "prefix", lab.DefaultPrefix, "begins the names of the lab's namespaces, interfaces and cgroups")
	cmd.PersistentFlags().StringVar(&f.dir, "lab-dir", lab.DefaultDir, "`DIR` of the nodes' layers and disks")
	cmd.PersistentFlags().StringVar(&f.cacheDir, "cache-dir", lab.DefaultCacheDir, "`DIR` of the cached images")
	cmd.PersistentFlags().BoolVarP(&f.verbose, "verbose", "v", false, "show every command the lab runs on this machine")
	cmd.AddCommand(newLabUpCmd(g, &f), newLabDownCmd(g, &f), newLabStatusCmd(g, &f), newLabExecCmd(g, &f),
		newLabSSHCmd(g, &f), newLabStopCmd(g, &f), newLabStartCmd(g, &f), newLabCutCmd(g, &f), newLabHealCmd(g, &f))
	return cmd
}

// openLab loads the repository's model and returns its lab.
func openLab(g *globals, f *labFlags) (*lab.Lab, *model.Cloud, error) {
	if os.Geteuid() != 0 {
		return nil, nil, errors.New("the lab needs root: it creates namespaces, interfaces and mounts")
	}
	c, err := loadValid(g)
	if err != nil {
		return nil, nil, err
	}
	topo, err := lab.FromModel(c)
	if err != nil {
		return nil, nil, err
	}
	pub, err := lab.EnsureOperatorKey(labKeyPath(g.repo))
	if err != nil {
		return nil, nil, fmt.Errorf("the lab's operator key: %w", err)
	}
	l, err := lab.New(f.prefix, f.dir, topo, pub, g.stderr)
	if err != nil {
		return nil, nil, err
	}
	if !f.verbose {
		l.Log = io.Discard
	}
	return l, c, nil
}

func newLabUpCmd(g *globals, f *labFlags) *cobra.Command {
	var baseOnly, noApply bool
	var wait time.Duration
	var only []string
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Create the lab's hosts, switches and cables, boot them and apply the configuration",
		Long: `Up builds the Debian image (cached under --cache-dir; rebuilt only when its package
list changes), creates what is missing of the lab, boots every node that is not
running, records each node's SSH host key in the state database (so the engine
trusts exactly that key), waits until every node answers over SSH with systemd
running, and then applies the configuration (fundament apply --auto-approve).

Up says what it does while it builds the image and boots the nodes: each step,
packages done of the total and the time, the nodes that answer over SSH and those
that do not yet. On a terminal the progress rewrites one line; in a log it is a
line at each tenth of a step or every 15 seconds. With -o json every event is one
JSON line ({"time", "type", "stage", "step", "done", "total", "unit", "percent",
"elapsed_ms", "node", "nodes", "message"}; docs/architecture.md lists the types),
followed by apply's events.

Up is idempotent: on a lab that is up it changes nothing, and it completes a lab
that a crash left half made.`,
		Example: examples("sudo fundament lab up --repo examples/lab",
			"sudo fundament lab up --repo examples/lab --no-apply -o json | jq -c 'select(.type == \"image-step\")'"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			l, c, err := openLab(g, f)
			if err != nil {
				return err
			}
			start := time.Now()
			spec := lab.DefaultImageSpec()
			if !baseOnly {
				s, ok := release.Lookup(c.Spec.Release)
				if !ok {
					return fmt.Errorf("release stream %q is not built into this binary", c.Spec.Release)
				}
				spec = lab.ImageFor(s)
			}
			view := newLabView(g)
			// -v prints the lab's commands and their output on stderr:
			// a rewritten line would end up in the middle of them.
			view.live = view.live && !f.verbose
			defer view.done()
			img, err := lab.BuildImage(ctx, f.cacheDir, spec, l.Log, view.event)
			if err != nil {
				return err
			}
			built := time.Now()
			l.Progress = view.event
			if err := l.Up(ctx, img, g.repo); err != nil {
				return fmt.Errorf("lab up: %w (run it again to complete the lab, or fundament lab down)", err)
			}
			if err := trustLabHostKeys(g, l); err != nil {
				return err
			}
			if err := waitLabSSHNodes(ctx, g, l, c, wait, l.Topo.NodeNames()...); err != nil {
				return err
			}
			reachable := time.Now()
			summary := fmt.Sprintf("lab %s: %d nodes up and reachable over SSH in %s (image %s)", c.Spec.Name, len(l.Topo.Nodes),
				reachable.Sub(built).Round(10*time.Millisecond), imageNote(img, built.Sub(start)))
			n := len(l.Topo.Nodes)
			view.event(lab.Event{Time: reachable, Type: lab.EventLabUp, Stage: lab.StageNodes, Done: n, Total: n, Unit: "nodes",
				ElapsedMS: reachable.Sub(start).Milliseconds(), Message: summary})
			view.done()
			if !g.json() {
				fmt.Fprintln(g.stdout, summary)
			}
			if noApply {
				return nil
			}
			apply := newApplyCmd(g)
			args := []string{"--auto-approve", "--ssh-key", labKeyPath(g.repo)}
			for _, c := range only {
				args = append(args, "--component", c)
			}
			apply.SetArgs(args)
			apply.SetOut(g.stdout)
			apply.SetErr(g.stderr)
			return apply.ExecuteContext(ctx)
		},
	}
	cmd.Flags().BoolVar(&baseOnly, "base-only", false, "boot the base image alone, without the release's packages (fast; nothing can be deployed)")
	cmd.Flags().BoolVar(&noApply, "no-apply", false, "only create and boot the lab")
	cmd.Flags().StringSliceVar(&only, "component", nil, "apply only these components (`NAME`,...) and what they depend on")
	cmd.Flags().DurationVar(&wait, "wait", 2*time.Minute, "how long to wait for every node to answer over SSH")
	return offers(cmd, "json")
}

func imageNote(img *lab.Image, took time.Duration) string {
	if len(img.Built) == 0 {
		return "from the cache"
	}
	return fmt.Sprintf("built in %s", took.Round(time.Second))
}

// trustLabHostKeys records each node's generated host key, replacing what
// an earlier lab of the same names left: the lab made these keys, so the
// engine verifies them from the first connection on.
func trustLabHostKeys(g *globals, l *lab.Lab) error {
	db, err := state.Open(filepath.Join(g.repo, StateDir))
	if err != nil {
		return err
	}
	defer db.Close()
	for _, n := range l.Topo.Nodes {
		key, err := l.HostKey(n.Name)
		if err != nil {
			return err
		}
		if rec, ok, err := db.HostKeys().Lookup(n.Name); err != nil {
			return err
		} else if ok && rec == key {
			continue
		} else if ok {
			if err := db.ForgetHostKey(n.Name); err != nil {
				return err
			}
		}
		if err := db.HostKeys().Record(n.Name, key); err != nil {
			return err
		}
	}
	return nil
}

// waitLabSSHNodes waits (lab.WaitSSH) until the nodes accept the lab's
// operator key and pass the host key check the engine makes (the key lab
// up recorded, unless the repository pins or lists another), and have
// finished booting.
func waitLabSSHNodes(ctx context.Context, g *globals, l *lab.Lab, c *model.Cloud, limit time.Duration, nodes ...string) error {
	if limit <= 0 {
		return nil
	}
	db, err := state.Open(filepath.Join(g.repo, StateDir))
	if err != nil {
		return err
	}
	defer db.Close()
	policy, err := newHostKeyPolicy(g, c, db, hostKeyFlags{})
	if err != nil {
		return err
	}
	hosts, switches := c.HostsByName(), c.SwitchesByName()
	key := labKeyPath(g.repo)
	return l.WaitSSH(ctx, limit, func(n *lab.Node) transport.SSHConfig {
		// The lab logs in as root on port 22, whatever the model says.
		s := model.SSH{User: "root", Port: 22}
		if h := hosts[n.Name]; h != nil {
			s.Meta, s.HostKey = h.SSH.Meta, h.SSH.HostKey
		} else if sw := switches[n.Name]; sw != nil {
			s.Meta, s.HostKey = sw.SSH.Meta, sw.SSH.HostKey
		}
		cfg := policy.sshConfig(n.Name, n.Mgmt.Addr().String(), s)
		cfg.KeyFiles = []string{key}
		return cfg
	}, nodes...)
}

func newLabDownCmd(g *globals, f *labFlags) *cobra.Command {
	return offers(&cobra.Command{
		Use:     "down",
		Example: examples("sudo fundament lab down --repo examples/lab"),
		Short:   "Stop every node and remove everything the lab made (the image cache stays)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, _, err := openLab(g, f)
			if err != nil {
				if os.Geteuid() != 0 {
					return err
				}
				// Taking a lab down must not depend on a valid repository.
				fmt.Fprintf(g.stderr, "note: %v; removing every node of lab %q found on this machine\n", err, f.prefix)
				if l, err = lab.New(f.prefix, f.dir, nil, "", io.Discard); err != nil {
					return err
				}
			}
			if err := l.Down(cmd.Context()); err != nil {
				return fmt.Errorf("lab down: %w", err)
			}
			if g.json() {
				return printJSON(g.stdout, labDownJSON{Lab: f.prefix, Down: true})
			}
			fmt.Fprintf(g.stdout, "lab %q is down: no node, namespace, interface, cgroup or loop device of it is left\n", f.prefix)
			return nil
		},
	}, "json")
}

func newLabStatusCmd(g *globals, f *labFlags) *cobra.Command {
	return offers(&cobra.Command{
		Use:     "status",
		Example: examples("sudo fundament lab status", "sudo fundament lab status -o json | jq '.nodes[] | select(.state != \"running\")'"),
		Short:   "List the lab's nodes: state, systemd, address, memory",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, _, err := openUpLab(g, f)
			if err != nil {
				return err
			}
			st, err := l.Status(cmd.Context())
			if err != nil {
				return err
			}
			cuts := l.Cuts()
			if g.json() {
				cs := []string{}
				for _, c := range cuts {
					cs = append(cs, c.String())
				}
				if st == nil {
					st = []lab.NodeStatus{}
				}
				return printJSON(g.stdout, labStatusJSON{Nodes: st, Cuts: cs})
			}
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NODE\tKIND\tSTATE\tSYSTEMD\tADDRESS\tMEMORY")
			var total int64
			for _, s := range st {
				mem := "-"
				if s.Memory > 0 {
					mem = fmt.Sprintf("%.0f MiB", float64(s.Memory)/(1<<20))
					total += s.Memory
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Kind, s.State, dash(s.Systemd), s.Address, mem)
			}
			w.Flush()
			fmt.Fprintf(g.stdout, "memory of all nodes: %.0f MiB\n", float64(total)/(1<<20))
			for _, c := range cuts {
				fmt.Fprintf(g.stdout, "cut: %s\n", c)
			}
			return nil
		},
	}, "json")
}

func newLabExecCmd(g *globals, f *labFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "exec NODE -- COMMAND [ARG...]",
		Short:   "Run a command inside a node (as root, in all its namespaces)",
		Example: examples("sudo fundament lab exec ctl-1 -- systemctl is-system-running"),
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, _, err := openUpLab(g, f)
			if err != nil {
				return err
			}
			c, err := l.Command(cmd.Context(), args[0], args[1:]...)
			if err != nil {
				return err
			}
			return runAttached(g, c)
		},
	}
}

func newLabSSHCmd(g *globals, f *labFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "ssh NODE [-- COMMAND...]",
		Example: examples("sudo fundament lab ssh ctl-1", "sudo fundament lab ssh leaf-1 -- vtysh -c 'show bgp summary'"),
		Short:   "Log in to a node with ssh, as the engine does (its key, the node's known host key)",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, _, err := openUpLab(g, f)
			if err != nil {
				return err
			}
			n := l.Topo.Node(args[0])
			if n == nil {
				return fmt.Errorf("no host or switch %s in the lab", args[0])
			}
			key, err := l.HostKey(n.Name)
			if err != nil {
				return err
			}
			dir, err := os.MkdirTemp("", "fundament-lab-ssh-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			known := filepath.Join(dir, "known_hosts")
			if err := os.WriteFile(known, []byte(n.Mgmt.Addr().String()+" "+key+"\n"), 0o600); err != nil {
				return err
			}
			sshArgs := []string{"-i", labKeyPath(g.repo), "-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=/dev/null",
				"-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "root@" + n.Mgmt.Addr().String()}
			return runAttached(g, exec.CommandContext(cmd.Context(), "ssh", append(sshArgs, args[1:]...)...))
		},
	}
}

// runAttached runs c with our standard input and output and passes its
// exit status on.
func runAttached(g *globals, c *exec.Cmd) error {
	// As it is: the command's own terminal (ssh needs it to be one).
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, g.rawOut, g.rawErr
	err := c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.ExitCode()}
	}
	return err
}

func newLabStopCmd(g *globals, f *labFlags) *cobra.Command {
	return offers(&cobra.Command{
		Use:     "stop NODE...",
		Example: examples("sudo fundament lab stop ctl-1", "sudo fundament lab stop ctl-1 ctl-2 ctl-3"),
		Short:   "Power nodes off: every process dies at once, their cables lose carrier",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, _, err := openUpLab(g, f)
			if err != nil {
				return err
			}
			if err := l.Stop(cmd.Context(), args...); err != nil {
				return err
			}
			if g.json() {
				return printJSON(g.stdout, labStopJSON{Stopped: args})
			}
			fmt.Fprintf(g.stdout, "stopped %s\n", strings.Join(args, ", "))
			return nil
		},
	}, "json")
}

func newLabStartCmd(g *globals, f *labFlags) *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:     "start NODE...",
		Example: examples("sudo fundament lab start ctl-1", "sudo fundament lab start --wait 0 stor-1"),
		Short:   "Power stopped nodes on again, with their disks, and wait for SSH",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, c, err := openUpLab(g, f)
			if err != nil {
				return err
			}
			if err := l.Start(cmd.Context(), args...); err != nil {
				return err
			}
			if err := waitLabSSHNodes(cmd.Context(), g, l, c, wait, args...); err != nil {
				return err
			}
			if g.json() {
				return printJSON(g.stdout, labStartJSON{Started: args})
			}
			fmt.Fprintf(g.stdout, "started %s\n", strings.Join(args, ", "))
			return nil
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 2*time.Minute, "how long to wait for the nodes to answer over SSH (0: do not wait)")
	return offers(cmd, "json")
}

func newLabCutCmd(g *globals, f *labFlags) *cobra.Command {
	return offers(&cobra.Command{
		Use:     "cut A B",
		Short:   "Take the cables between A and B down (nodes, or NODE:PORT for one cable)",
		Example: examples("sudo fundament lab cut spine-1 leaf-1", "sudo fundament lab cut leaf-1:Ethernet0 ctl-1:eth1"),
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, _, err := openUpLab(g, f)
			if err != nil {
				return err
			}
			links, err := l.Cut(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			if g.json() {
				return printJSON(g.stdout, labCutJSON{Cut: linkNames(links)})
			}
			for _, k := range links {
				fmt.Fprintf(g.stdout, "cut %s\n", k)
			}
			return nil
		},
	}, "json")
}

func newLabHealCmd(g *globals, f *labFlags) *cobra.Command {
	return offers(&cobra.Command{
		Use:     "heal",
		Example: examples("sudo fundament lab heal"),
		Short:   "Put every cut cable back",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, _, err := openUpLab(g, f)
			if err != nil {
				return err
			}
			links, err := l.Heal(cmd.Context())
			if err != nil {
				return err
			}
			if g.json() {
				return printJSON(g.stdout, labHealJSON{Healed: linkNames(links)})
			}
			for _, k := range links {
				fmt.Fprintf(g.stdout, "healed %s\n", k)
			}
			return nil
		},
	}, "json")
}

// linkNames are the links as lab cut and heal print them.
func linkNames(links []lab.Link) []string {
	out := []string{}
	for _, k := range links {
		out = append(out, k.String())
	}
	return out
}
