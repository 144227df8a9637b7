package rabbitmq

import (
	"fmt"
	"strings"

	"github.com/fundament-cloud/fundament/internal/resource"
)

// diskNodes is a shell function printing, one per line, the members of
// the cluster a node (default: this host's) knows, from cluster_status's
// JSON (disk_nodes; every member of a RabbitMQ 4 cluster is a disc node).
const diskNodes = `disk_nodes() {
	rabbitmqctl -q ${1:+-n "$1"} cluster_status --formatter json | tr -d ' \n\t' |
		sed -n 's/.*"disk_nodes":\[\([^]]*\)\].*/\1/p' | tr ',' '\n' | tr -d '"'
}
`

// serverActive begins the guards that ask the server: while it does not
// run they fail at once, and above all do not start a CLI tool, which
// would start an epmd of its own (on every address, in the way of
// epmd.socket).
const serverActive = "systemctl is-active -q " + serverUnit + " || exit 1\n"

// joinCommand makes member i part of the cluster, once. A blank node
// starts a cluster of its own (no peer discovery: see rabbitmqConf); the
// command then makes it join:
//
//   - the cluster of another member that runs in a cluster of two or
//     more (in placement order): a member that was reset or rebuilt,
//     the first one too, rejoins its cluster;
//   - else the first member, where it runs: the initial formation, one
//     member after the other (rolling group);
//   - nothing, on the first member when no other runs: it is the seed.
//
// Only a node alone in its cluster joins (joining resets it: alone, it
// holds nothing the cluster would miss). Where the cluster still lists
// it (it was reset), it is forgotten there first. Its guard holds while
// the node is clustered with another (also while that one is down: the
// node still lists it).
func joinCommand(t *topology, i int) resource.Command {
	self, first := t.Members[i].Node, t.Members[0].Node
	var others []string
	for j, m := range t.Members {
		if j != i {
			others = append(others, m.Node)
		}
	}
	script := fmt.Sprintf(`set -eu
self=%[1]s
first=%[2]s
others=%[3]s
%[4]s
runs() { rabbitmq-diagnostics -q -n "$1" --timeout 10 check_running >/dev/null 2>&1; }
size() { disk_nodes "$@" | grep -c . || true; }
rabbitmqctl -q --timeout 600 await_startup
if [ "$(size)" -gt 1 ]; then
	echo "fundament: $self is clustered with" $(disk_nodes)
	exit 0
fi
deadline=$(($(date +%%s) + 600))
while :; do
	target=
	for n in $others; do
		if runs "$n" && [ "$(size "$n")" -gt 1 ]; then
			target=$n
			break
		fi
	done
	if [ -z "$target" ]; then
		if [ "$self" = "$first" ]; then
			echo "fundament: no other member runs in a cluster: $self is the first, the others join it"
			exit 0
		fi
		if runs "$first"; then
			target=$first
		fi
	fi
	[ -z "$target" ] || break
	if [ "$(date +%%s)" -ge "$deadline" ]; then
		echo "fundament: no member of the cluster runs after ten minutes (asked: $others); $self cannot join" >&2
		exit 1
	fi
	sleep 5
done
echo "fundament: $self runs alone: joining the cluster of $target"
rabbitmqctl -q stop_app
if disk_nodes "$target" | grep -qxF "$self"; then
	echo "fundament: the cluster still lists $self (it was reset or rebuilt): forgetting it there first"
	rabbitmqctl -q -n "$target" forget_cluster_node "$self"
fi
if ! rabbitmqctl -q join_cluster "$target"; then
	rabbitmqctl -q start_app || true
	exit 1
fi
rabbitmqctl -q start_app
rabbitmqctl -q --timeout 600 await_startup
echo "fundament: $self is clustered with" $(disk_nodes)
`, resource.Quote(self), resource.Quote(first), resource.Quote(strings.Join(others, " ")), diskNodes)
	return resource.Command{
		// Not idempotent (stop_app, join_cluster, start_app): after a
		// timeout its guard is asked again.
		Name:    "rabbitmq/join",
		Script:  script,
		Guard:   serverActive + diskNodes + "[ \"$(disk_nodes | grep -c .)\" -gt 1 ]\n",
		Timeout: "25m",
	}
}
