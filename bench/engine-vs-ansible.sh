#!/usr/bin/env bash
# bench/engine-vs-ansible.sh: Fundament's engine against Ansible on the same work.
#
#   sudo bash bench/engine-vs-ansible.sh              # 20 lab hosts
#   sudo N=3 RUNS_FIRST=1 RUNS_NOOP=1 bash bench/engine-vs-ansible.sh   # a quick look
#
# It builds bin/fundament, makes N hosts and gives both tools the same desired
# state per host, under paths of their own so that the tools never touch each
# other's things: one directory with 50 small files of distinct content
# (/var/tmp/fundament-bench/<tool>/<host>/), 10 packages that are already
# installed and, on lab hosts, 5 systemd services (unit files
# /etc/systemd/system/fmbench-<tool>-<n>.service running /bin/sleep infinity,
# enabled and running, restarted when their unit file changes). The hosts:
#
#   NETMODE=lab       (default) lab nodes made by `fundament lab up --prefix fmb
#                     --no-apply --base-only` (LAB_IMAGE=release: with the
#                     release's packages): Linux-namespace hosts booting systemd
#                     as PID 1 with their own root file system (an overlay on the
#                     lab's Debian image) and their own sshd, on the management
#                     bridge fmbbr0 (10.201.0.0/24; the machine is .1, hosts .11
#                     and up). The workload of issue 3: files, packages and
#                     services. The lab is taken down at exit.
#   NETMODE=netns     N OpenSSH servers of this machine, each in its own network
#                     namespace joined to the machine by a veth on a bridge; they
#                     share the machine's file system and have no systemd of their
#                     own, so there are no services.
#   NETMODE=loopback  the same servers on 127.0.1.x of this namespace.
#
# It then times, in the same run and interleaved so that both tools see the
# same machine:
#
#   first apply     RUNS_FIRST times, from nothing each time (each tool's files
#                   removed; on lab hosts its units stopped, disabled and
#                   removed, and systemd reloaded; Fundament's state: netns and
#                   loopback remove .fundament, the lab deletes the runs, their
#                   actions, the applied state and the lock from state.db but
#                   keeps the host keys lab up recorded and the lab's files in
#                   .fundament/lab; Ansible's SSH control masters closed)
#   no-op re-apply  RUNS_NOOP times (Fundament and Ansible must change nothing)
#   plan            RUNS_NOOP times (Fundament only; Ansible's --check is not
#                   the same thing and is not measured)
#   change          CHANGE_RUNS times, lab only: every unit file rewritten
#                   (a new Description), so each tool reloads systemd and
#                   restarts the 5 services of every host
#
# After every run it checks the tool's report (Fundament: every action
# succeeded, or no change; Ansible: its recap and changed loop items) and the
# result on every host (lab: over SSH; netns, loopback: on this machine's file
# system, which those hosts share): each file's content, on lab hosts each
# unit file's content and each service active, enabled, with no pending
# daemon-reload and the Description of the current unit file (and, after a
# change, a new main PID). Per run it records the wall time, the CPU time of
# the tool (with its children and Ansible's SSH control masters), of the lab's
# nodes (their cgroups) and of the whole machine, and the SSH logins (sshd
# logs; lab: the nodes' journals, read with `fundament lab exec`). It prints
# the medians, the ratios Ansible/Fundament and a Markdown section for
# docs/benchmarks.md (also written to $RESULTS). Everything it starts (the lab, or the sshd processes,
# namespaces and the bridge; SSH control masters; files) is removed on exit,
# also on failure or Ctrl-C; MAX_SECONDS bounds the whole run and CMD_TIMEOUT
# every single measured command.
#
# Needs: root, ssh, ssh-keygen, ip (iproute2), jq, sqlite3, Go (for `make
# build`), ansible-playbook (Debian 12: apt-get install -y ansible); lab: the
# lab's base image (built by the first `fundament lab up`, cached); netns and
# loopback: /usr/sbin/sshd and python3-apt on this machine.
set -Eeuo pipefail

N=${N:-20}
RUNS_FIRST=${RUNS_FIRST:-3}
RUNS_NOOP=${RUNS_NOOP:-5}
FREE_RUNS=${FREE_RUNS:-1}        # runs of Ansible with strategy = free, per phase (0: none)
COLD_RUNS=${COLD_RUNS:-1}        # runs of Ansible's no-op without kept SSH connections
TOOLS=${TOOLS:-both}             # both, fundament or ansible
NETMODE=${NETMODE:-lab}          # lab, netns or loopback
CHANGE_RUNS=${CHANGE_RUNS:-1}    # lab: runs of the change phase (0: none; at most 1)
PORT=${PORT:-2222}               # netns, loopback: sshd port (never 22); lab: 22
CMD_TIMEOUT=${CMD_TIMEOUT:-1800} # seconds, per measured command
MAX_SECONDS=${MAX_SECONDS:-10800} # seconds, the whole run
KEEP=${KEEP:-0}                  # 1: keep the work directory (logs, repository)
KEEP_LAB=${KEEP_LAB:-0}          # lab, 1: leave the lab up at exit (to look at it; take it down yourself)
LAB_IMAGE=${LAB_IMAGE:-base}     # lab: base (the lab's base image) or release (with the release's packages)
FM_WRAP=${FM_WRAP:-}             # words before fundament's command line, e.g. "strace -f -c -w -o FILE"
FM_BIN=${FM_BIN:-}               # a fundament binary to measure instead of building bin/fundament
NAME_PREFIX=fmbench              # netns: namespaces fmbench-hNN, bridge fmbench0, veths fmb-hNN
LAB_PREFIX=fmb                   # lab: namespaces fmb-hNN, bridge fmbbr0 (fundament lab --prefix)
SUBNET=10.201.0                  # lab, netns: the machine .1, hosts .11 and up
DATA=/var/tmp/fundament-bench    # where the tools write their files
PACKAGES=(coreutils bash sed grep gzip tar findutils debianutils hostname login)
FILES_PER_HOST=50
UNIT_DIR=/etc/systemd/system

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case $NETMODE in lab) mode_suffix=-lab ;; loopback) mode_suffix=-loopback ;; *) mode_suffix= ;; esac
RESULTS=${RESULTS:-$ROOT/bench/results/engine-vs-ansible-n$N$mode_suffix.md}

die() { echo "engine-vs-ansible: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- checks
[ "$(id -u)" = 0 ] || die "run as root (namespaces and the lab need root)"
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 200 ] || die "N must be 1..200"
case $NETMODE in lab|netns|loopback) ;; *) die "NETMODE must be lab, netns or loopback" ;; esac
case $TOOLS in both|fundament|ansible) ;; *) die "TOOLS must be both, fundament or ansible" ;; esac
case $LAB_IMAGE in base|release) ;; *) die "LAB_IMAGE must be base or release" ;; esac
for v in RUNS_FIRST RUNS_NOOP FREE_RUNS COLD_RUNS CHANGE_RUNS; do [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number"; done
[ "$RUNS_FIRST" -ge 1 ] || die "RUNS_FIRST must be at least 1"
[ "$CHANGE_RUNS" -le 1 ] || die "CHANGE_RUNS must be 0 or 1"
for c in ssh ssh-keygen ip jq timeout ansible-playbook /usr/bin/time /usr/bin/python3; do
	command -v "$c" >/dev/null || die "$c is missing (ansible: apt-get install -y ansible)"
done
if [ "$NETMODE" = lab ]; then
	PORT=22 # the nodes' own sshd
	SERVICES_PER_HOST=5
	command -v sqlite3 >/dev/null || die "sqlite3 is missing (apt-get install -y sqlite3): the reset removes Fundament's run records from state.db"
	[ ! -e "/var/lib/fundament/lab/$LAB_PREFIX" ] || die "lab $LAB_PREFIX exists (left over?): fundament lab down --prefix $LAB_PREFIX"
	! ls /run/netns 2>/dev/null | grep -q "^$LAB_PREFIX-" || die "network namespaces $LAB_PREFIX-* exist (left over?): fundament lab down --prefix $LAB_PREFIX"
	! ip -o addr show | grep -q " inet $SUBNET\." || die "an interface of this machine has an address in $SUBNET.0/24 already: $(ip -o addr show | grep " inet $SUBNET\." | awk '{print $2}' | tr '\n' ' ')"
else
	[ "$PORT" != 22 ] || die "PORT must not be 22"
	SERVICES_PER_HOST=0 # the hosts run no systemd of their own
	CHANGE_RUNS=0
	for c in /usr/sbin/sshd unshare; do command -v "$c" >/dev/null || die "$c is missing"; done
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || die "package $p is not installed; the benchmark wants packages that are"
	done
	/usr/bin/python3 -c 'import apt' 2>/dev/null || die "python3-apt is missing (Ansible's apt module needs it; it would install it itself and skew the first run)"
	[ ! -e "$DATA" ] || die "$DATA exists: a previous run did not clean up? remove it first"
fi

WIDTH=$(( ${#N} < 2 ? 2 : ${#N} ))
HOSTS=()
for ((i = 1; i <= N; i++)); do HOSTS+=("$(printf "h%0${WIDTH}d" "$i")"); done
addr_of() { # index (1-based) -> address
	if [ "$NETMODE" = loopback ]; then echo "127.0.1.$1"; else echo "$SUBNET.$((10 + $1))"; fi
}
# Changes per host of a first apply: the directory, the files, and per
# service its unit file and the service itself (the packages are installed).
CHANGES_PER_HOST=$(( 1 + FILES_PER_HOST + 2 * SERVICES_PER_HOST ))

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /var/tmp/fundament-bench-work.XXXXXX)
chmod 700 "$WORK"
SSHD_PIDS=()
WATCHDOG=
CHILD= # the measured command (or lab up) running now
LAB_STARTED=0
REPO=$WORK/repo

# ---------------------------------------------------------------- cleanup
descendants() { # pid -> every process below it (from /proc)
	local pid=$1 c
	for c in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}
close_masters() { # Ansible's ControlPersist masters: ask each to exit
	local s
	for s in "$WORK"/ansible/cp/*; do
		[ -S "$s" ] || continue
		ssh -o ControlPath="$s" -O exit bench >/dev/null 2>&1 || true
	done
}
lab() { local sub=$1; shift; "$FM" lab "$sub" --repo "$REPO" --prefix "$LAB_PREFIX" "$@"; } # subcommand args...
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	local pid k
	for pid in $CHILD $WATCHDOG; do
		for k in $(descendants "$pid") "$pid"; do kill -TERM "$k" 2>/dev/null; done
	done
	[ -z "$CHILD" ] || wait "$CHILD" 2>/dev/null
	close_masters
	if [ "$LAB_STARTED" = 1 ]; then
		if [ "$KEEP_LAB" = 1 ]; then
			echo "kept lab $LAB_PREFIX: sudo $FM lab down --repo $REPO --prefix $LAB_PREFIX" >&2
			KEEP=1
		else
			log "taking lab $LAB_PREFIX down"
			timeout 300 "$FM" lab down --repo "$REPO" --prefix "$LAB_PREFIX" >&2 ||
				echo "engine-vs-ansible: lab down failed; run: sudo bin/fundament lab down --prefix $LAB_PREFIX" >&2
		fi
	fi
	for pid in "${SSHD_PIDS[@]}"; do
		for k in $(descendants "$pid"); do kill -KILL "$k" 2>/dev/null; done
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${SSHD_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	if [ "$NETMODE" = netns ]; then
		local h
		for h in "${HOSTS[@]}"; do
			ip netns del "$NAME_PREFIX-$h" 2>/dev/null
			ip link del "fmb-$h" 2>/dev/null
		done
		ip link del "${NAME_PREFIX}0" 2>/dev/null
	fi
	[ "$NETMODE" = lab ] || rm -rf "$DATA"
	if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'echo "engine-vs-ansible: stopped (time limit MAX_SECONDS=$MAX_SECONDS or SIGTERM)" >&2; exit 124' TERM
( sleep "$MAX_SECONDS" && kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!

# on_hosts COMMAND...: runs COMMAND INDEX HOST for every host at once, in the
# background; fails when one of them fails.
on_hosts() {
	local i rc=0 pids=()
	for i in "${!HOSTS[@]}"; do
		"$@" "$i" "${HOSTS[$i]}" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || rc=1; done
	return "$rc"
}

# ---------------------------------------------------------------- build
# The binary measured is a copy in $WORK: a `make build` in the same
# checkout while the benchmark runs must not swap it half way.
FM=$WORK/fundament
if [ -n "$FM_BIN" ]; then
	log "using $FM_BIN"
	cp "$FM_BIN" "$FM" || die "cannot copy FM_BIN=$FM_BIN"
	COMMIT="unknown (FM_BIN)"
else
	log "building bin/fundament"
	make -C "$ROOT" build >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "make build failed"; }
	cp "$ROOT/bin/fundament" "$FM"
	COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	[ -z "$(git -C "$ROOT" status --porcelain -- cmd internal go.mod go.sum 2>/dev/null)" ] || COMMIT+=" with uncommitted changes"
fi

# ---------------------------------------------------------------- desired state
content_of() { printf '%s file %02d\n' "$1" "$2"; } # host, n: distinct per file and host
unit_name() { echo "fmbench-$1-$2.service"; }      # tool, n
unit_text() { # tool, n, generation: the unit file (the same on every host)
	printf '[Unit]\nDescription=%s\n\n[Service]\nExecStart=/bin/sleep infinity\n\n[Install]\nWantedBy=multi-user.target\n' "$(unit_description "$@")"
}
unit_description() { echo "Fundament benchmark: $1 service $2, generation $3"; }

log "generating the Fundament repository"
mkdir -p "$REPO/inventory" "$REPO/services"
mgmt_net="{name: mgmt, role: management, prefix: $SUBNET.0/24}"
case $NETMODE in
# The lab gives the management network's gateway to the machine (its
# address on the management bridge).
lab) mgmt_net="{name: mgmt, role: management, prefix: $SUBNET.0/24, gateway: $SUBNET.1}" ;;
loopback) mgmt_net="{name: mgmt, role: management, prefix: 127.0.1.0/24}" ;;
esac
cat >"$REPO/cloud.yaml" <<EOF
name: bench
profile: lab
domain: bench.fundament.test
regions:
  - name: RegionOne
    availability_zones:
      - {name: az1, racks: [r1]}
EOF
cat >"$REPO/network.yaml" <<EOF
# No switches and no cables: the lab needs only the management network,
# where it puts every host's eth0 on a bridge of the machine.
networks:
  - $mgmt_net
  # Only because validation wants a host for ovn-controller (role compute),
  # which needs these two; the benchmark applies only the custom component.
  - {name: internal, role: internal_api, prefix: 10.202.20.0/24, vlan: 20}
  - {name: tunnel, role: tunnel, prefix: 10.202.40.0/24, vlan: 40, mtu: 9000}
EOF
{
	echo "hosts:"
	for i in "${!HOSTS[@]}"; do
		h=${HOSTS[$i]}
		a=$(addr_of $((i + 1)))
		echo "  - name: $h"
		if [ "$i" = 0 ]; then
			echo "    roles: [manager, compute]"
			echo "    interfaces: [{name: eth0}]"
			echo "    networks:"
			echo "      mgmt: {interface: eth0, address: $a}"
			echo "      internal: {interface: eth0, address: 10.202.20.11}"
			echo "      tunnel: {interface: eth0, address: 10.202.40.11}"
		else
			echo "    roles: [manager]"
			echo "    interfaces: [{name: eth0}]"
			echo "    networks: {mgmt: {interface: eth0, address: $a}}"
		fi
		echo "    ssh: {address: $a, port: $PORT, user: root}"
	done
} >"$REPO/inventory/hosts.yaml"
h1=${HOSTS[0]}
cat >"$REPO/services/infrastructure.yaml" <<EOF
# The services that cannot be disabled sit on the first host; the benchmark
# applies only the custom component (--component custom).
galera: {placement: {hosts: [$h1]}}
rabbitmq: {placement: {hosts: [$h1]}}
memcached: {placement: {hosts: [$h1]}}
ovn: {central: {hosts: [$h1]}, gateways: {hosts: [$h1]}}
ceph: {enabled: false}
openstack:
  keystone: {enabled: false}
  glance: {enabled: false}
  placement: {enabled: false}
  nova: {enabled: false}
  neutron: {enabled: false}
  cinder: {enabled: false}
EOF
# write_custom GENERATION: services/custom.yaml, one set per host. Each
# service restarts when its unit file changes (restart_on); the engine runs
# `systemctl daemon-reload` before it enables, starts or restarts a unit
# whose file changed (systemd's NeedDaemonReload), so the set needs no
# command for it.
write_custom() {
	local gen=$1 h n p units=()
	for ((n = 1; n <= SERVICES_PER_HOST; n++)); do
		units+=("$(unit_text fundament "$n" "$gen" | jq -Rs .)") # a JSON string is a YAML double-quoted scalar
	done
	{
		echo "custom:"
		for h in "${HOSTS[@]}"; do
			echo "  - name: bench-$h"
			echo "    hosts: {hosts: [$h]}"
			echo "    packages:"
			for p in "${PACKAGES[@]}"; do echo "      - {name: $p}"; done
			echo "    directories:"
			echo "      - {path: $DATA/fundament/$h, mode: \"0755\"}"
			echo "    files:"
			for ((n = 1; n <= FILES_PER_HOST; n++)); do
				printf '      - {path: %s/fundament/%s/f%02d.txt, content: "%s\\n", mode: "0644"}\n' \
					"$DATA" "$h" "$n" "$(content_of "$h" "$n" | tr -d '\n')"
			done
			for ((n = 1; n <= SERVICES_PER_HOST; n++)); do
				echo "      - {path: $UNIT_DIR/$(unit_name fundament "$n"), content: ${units[$((n - 1))]}, mode: \"0644\"}"
			done
			[ "$SERVICES_PER_HOST" = 0 ] && continue
			echo "    services:"
			for ((n = 1; n <= SERVICES_PER_HOST; n++)); do
				echo "      - {unit: $(unit_name fundament "$n"), restart_on: [$UNIT_DIR/$(unit_name fundament "$n")]}"
			done
		done
	} >"$REPO/services/custom.yaml"
}
write_custom 1
"$FM" validate --repo "$REPO" >"$WORK/validate.log" 2>&1 || { cat "$WORK/validate.log" >&2; die "the generated repository is invalid"; }
log "validate: $(tail -n 1 "$WORK/validate.log")"

# What every host must have after a run, as sha256sum -c lists: the data
# files (relative to the tool's directory of the host) and the unit files.
mkdir -p "$WORK/expect"
for h in "${HOSTS[@]}"; do
	for ((n = 1; n <= FILES_PER_HOST; n++)); do
		printf '%s  f%02d.txt\n' "$(content_of "$h" "$n" | sha256sum | cut -d' ' -f1)" "$n"
	done >"$WORK/expect/$h.files"
done
for tool in fundament ansible; do
	for gen in 1 2; do
		for ((n = 1; n <= SERVICES_PER_HOST; n++)); do
			printf '%s  %s\n' "$(unit_text "$tool" "$n" "$gen" | sha256sum | cut -d' ' -f1)" "$UNIT_DIR/$(unit_name "$tool" "$n")"
		done >"$WORK/expect/units-$tool-$gen"
	done
done

# ---------------------------------------------------------------- hosts
mkdir -p "$WORK/hosts"
if [ "$NETMODE" = lab ]; then
	KEY=$REPO/.fundament/lab/id_ed25519 # the lab's operator key, made by lab up
	lab_args=(--no-apply --wait 5m)
	[ "$LAB_IMAGE" = release ] || lab_args+=(--base-only)
	log "lab up: $N nodes (prefix $LAB_PREFIX, $SUBNET.0/24, image: $LAB_IMAGE)"
	LAB_STARTED=1
	t0=$(date +%s%N)
	timeout 900 "$FM" lab up --repo "$REPO" --prefix "$LAB_PREFIX" "${lab_args[@]}" >"$WORK/lab-up.log" 2>&1 &
	CHILD=$!
	wait "$CHILD" || { CHILD=; cat "$WORK/lab-up.log" >&2; die "lab up failed"; }
	CHILD=
	LAB_UP_S=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')
	log "$(tail -n 1 "$WORK/lab-up.log") ($LAB_UP_S s in all)"
	[ -s "$KEY" ] || die "lab up made no operator key $KEY"
else
	mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -C bench-client -f "$WORK/client_key"
	cp "$WORK/client_key.pub" "$WORK/authorized_keys"
	KEY=$WORK/client_key

	if [ "$NETMODE" = netns ]; then
		for h in "${HOSTS[@]}"; do
			! ip netns list | grep -qw "$NAME_PREFIX-$h" || die "namespace $NAME_PREFIX-$h exists (left over?): ip netns del $NAME_PREFIX-$h"
		done
		! ip link show "${NAME_PREFIX}0" >/dev/null 2>&1 || die "bridge ${NAME_PREFIX}0 exists (left over?): ip link del ${NAME_PREFIX}0"
		log "creating bridge ${NAME_PREFIX}0 ($SUBNET.1/24) and $N namespaces"
		ip link add "${NAME_PREFIX}0" type bridge
		ip addr add "$SUBNET.1/24" dev "${NAME_PREFIX}0"
		ip link set "${NAME_PREFIX}0" up
	fi

	# Each host gets its own /run/lock, as separate machines have: Fundament's
	# host lock (/run/lock/fundament.lock, exclusive while an action runs) would
	# otherwise be one lock for all the hosts of this machine and serialise their
	# actions. Both shells exec, so the pid stays sshd's.
	PRIVATE_LOCK='mount -t tmpfs -o size=1m,mode=1777 fmbench-lock /run/lock && exec /usr/sbin/sshd -D -e -f "$1"'
	log "starting $N sshd on port $PORT ($NETMODE)"
	for i in "${!HOSTS[@]}"; do
		h=${HOSTS[$i]}
		a=$(addr_of $((i + 1)))
		d=$WORK/hosts/$h
		mkdir -p "$d"
		ssh-keygen -q -t ed25519 -N '' -C "$h" -f "$d/host_ed25519"
		cat >"$d/sshd_config" <<EOF
ListenAddress $a:$PORT
HostKey $d/host_ed25519
AuthorizedKeysFile $WORK/authorized_keys
PidFile none
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
PrintLastLog no
LogLevel INFO
# Bash sources ~/.bashrc when sshd starts it, unless it thinks it is nested:
# keep the machine's dotfiles out of the timings (as internal/testutil/sshd does).
SetEnv SHLVL=1
EOF
		if [ "$NETMODE" = netns ]; then
			ns=$NAME_PREFIX-$h
			ip netns add "$ns"
			ip link add "fmb-$h" type veth peer name eth0 netns "$ns"
			ip link set "fmb-$h" master "${NAME_PREFIX}0" up
			ip -n "$ns" link set lo up
			ip -n "$ns" addr add "$a/24" dev eth0
			ip -n "$ns" link set eth0 up
			# ip netns exec gives sshd its own mount namespace too (mounts do not
			# propagate back): there it gets its own /run/lock below.
			ip netns exec "$ns" /bin/sh -c "$PRIVATE_LOCK" sh "$d/sshd_config" >"$d/sshd.log" 2>&1 &
		else
			unshare --mount --propagation private /bin/sh -c "$PRIVATE_LOCK" sh "$d/sshd_config" >"$d/sshd.log" 2>&1 &
		fi
		SSHD_PIDS+=($!)
	done
	for i in "${!HOSTS[@]}"; do
		h=${HOSTS[$i]}
		for ((t = 0; t < 200; t++)); do
			grep -q "Server listening" "$WORK/hosts/$h/sshd.log" && break
			kill -0 "${SSHD_PIDS[$i]}" 2>/dev/null || { cat "$WORK/hosts/$h/sshd.log" >&2; die "sshd of $h exited"; }
			sleep 0.05
		done
		grep -q "Server listening" "$WORK/hosts/$h/sshd.log" || die "sshd of $h did not start: $(cat "$WORK/hosts/$h/sshd.log")"
	done
fi
SSH_OPTS=(-i "$KEY" -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
on_host() { # index command... : runs a shell command on the host, as root
	local a
	a=$(addr_of $(($1 + 1)))
	shift
	ssh "${SSH_OPTS[@]}" "root@$a" "$@"
}
preflight() { # index host: can log in; on lab hosts also the packages are there
	local out
	if [ "$NETMODE" != lab ]; then
		on_host "$1" true || { echo "cannot log in to $2" >&2; return 1; }
		return 0
	fi
	out=$(on_host "$1" "dpkg-query -W -f='\${Package} \${Status}\n' ${PACKAGES[*]} python3-apt 2>&1 | grep -v ' installed\$'; /usr/bin/python3 -c 'import apt' 2>&1; systemctl is-system-running" 2>&1) || true
	case $out in
	running | degraded) ;;
	*) echo "$2: packages missing or systemd not running: $out" >&2; return 1 ;;
	esac
}
on_hosts preflight || die "the hosts are not ready (see above)"
export SSH_AUTH_SOCK= # key files only, for both tools

log "generating the Ansible project"
AN=$WORK/ansible
mkdir -p "$AN/cp" "$AN/tmp"
{
	echo "[bench]"
	for i in "${!HOSTS[@]}"; do
		echo "${HOSTS[$i]} ansible_host=$(addr_of $((i + 1))) ansible_port=$PORT ansible_user=root ansible_ssh_private_key_file=$KEY"
	done
} >"$AN/inventory.ini"
write_cfg() { # strategy -> ansible.cfg
	cat >"$AN/ansible-$1.cfg" <<EOF
[defaults]
inventory = $AN/inventory.ini
forks = $N
strategy = $1
gathering = explicit
host_key_checking = False
interpreter_python = /usr/bin/python3
local_tmp = $AN/tmp
retry_files_enabled = False
deprecation_warnings = False

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
control_path_dir = $AN/cp
EOF
}
write_cfg linear
write_cfg free
pkglist=$(printf '%s, ' "${PACKAGES[@]}")
cat >"$AN/site.yml" <<EOF
- name: Fundament benchmark
  hosts: bench
  vars:
    unit_gen: 1 # the change phase passes -e unit_gen=2
  tasks:
    - name: Directory
      ansible.builtin.file:
        path: $DATA/ansible/{{ inventory_hostname }}
        state: directory
        mode: "0755"
        owner: root
        group: root
    - name: Packages
      ansible.builtin.apt:
        name: [${pkglist%, }]
        state: present
    - name: Files
      ansible.builtin.copy:
        dest: $DATA/ansible/{{ inventory_hostname }}/f{{ '%02d' | format(item) }}.txt
        content: "{{ inventory_hostname }} file {{ '%02d' | format(item) }}\n"
        mode: "0644"
        owner: root
        group: root
      loop: "{{ range(1, $FILES_PER_HOST + 1) | list }}"
      loop_control: {label: "file {{ item }}"}
EOF
if [ "$SERVICES_PER_HOST" -gt 0 ]; then
	# The unit files; one daemon-reload when one of them changed; the
	# services enabled and started; a handler restarts (at the end of the
	# play) the services whose unit file changed.
	cat >>"$AN/site.yml" <<EOF
    - name: Unit files
      ansible.builtin.copy:
        dest: $UNIT_DIR/fmbench-ansible-{{ item }}.service
        content: |
          [Unit]
          Description=Fundament benchmark: ansible service {{ item }}, generation {{ unit_gen }}

          [Service]
          ExecStart=/bin/sleep infinity

          [Install]
          WantedBy=multi-user.target
        mode: "0644"
        owner: root
        group: root
      loop: "{{ range(1, $SERVICES_PER_HOST + 1) | list }}"
      loop_control: {label: "unit {{ item }}"}
      register: unit_files
      notify: Restart services
    - name: Reload systemd
      ansible.builtin.systemd:
        daemon_reload: true
      when: unit_files is changed
    - name: Services
      ansible.builtin.systemd:
        name: fmbench-ansible-{{ item }}.service
        enabled: true
        state: started
      loop: "{{ range(1, $SERVICES_PER_HOST + 1) | list }}"
      loop_control: {label: "service {{ item }}"}
  handlers:
    - name: Restart services
      ansible.builtin.systemd:
        name: fmbench-ansible-{{ item }}.service
        state: restarted
      loop: "{{ unit_files.results | selectattr('changed') | map(attribute='item') | list }}"
      loop_control: {label: "restart {{ item }}"}
EOF
fi

# ---------------------------------------------------------------- measuring
TIMES=$WORK/times.tsv
: >"$TIMES"
busy_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
# The CPU time of every process of the lab's nodes (systemd, sshd, the
# shells, Python, ...): the lab puts each node in its own cgroup2 subtree
# under fundament-lab-<prefix>. Unlike the machine's busy time it does not
# count the other work on the machine. "-" outside the lab.
LAB_CGROUP=
if [ "$NETMODE" = lab ]; then
	LAB_CGROUP=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)/fundament-lab-$LAB_PREFIX
fi
# Ansible's SSH control masters leave ansible-playbook (ControlPersist):
# their CPU time (all the encryption of the multiplexed sessions) is not in
# the tool's own, so it is added. "PID TICKS" per master.
masters_ticks() {
	local f d
	for f in $(grep -laF "$WORK/ansible/cp/" /proc/[0-9]*/cmdline 2>/dev/null); do
		d=${f%/cmdline}
		awk -v p="${d#/proc/}" '{sub(/^.*\) /, ""); print p, $12 + $13}' "$d/stat" 2>/dev/null || true
	done
}
hosts_usec() { if [ -n "$LAB_CGROUP" ] && [ -r "$LAB_CGROUP/cpu.stat" ]; then awk '/^usage_usec/{print $2}' "$LAB_CGROUP/cpu.stat"; else echo -; fi; }
# SSH logins so far, over all hosts: netns and loopback count them in the
# sshd logs; lab nodes log to their journals, read with `lab exec` (which
# does not log in).
node_logins() { # index host
	lab exec "$2" -- sh -c "journalctl -q -o cat _SYSTEMD_UNIT=ssh.service | grep -c '^Accepted publickey' || true" >"$WORK/logins/$2" 2>&1
}
logins() {
	if [ "$NETMODE" = lab ]; then
		mkdir -p "$WORK/logins"
		on_hosts node_logins >&2 || { echo "counting logins failed: $(cat "$WORK"/logins/*)" >&2; echo 0; return; }
		cat "$WORK"/logins/* | awk '{s += $1} END {print s + 0}'
	else
		cat "$WORK"/hosts/*/sshd.log | grep -c 'Accepted publickey' || true
	fi
}

# measure TOOL PHASE RUN CHECK -- COMMAND...: runs COMMAND (output to a log),
# records wall time, whole-machine CPU time and SSH logins, then runs CHECK
# (a function of the log) which must succeed.
measure() {
	local tool=$1 phase=$2 run=$3 check=$4
	shift 5
	local out=$WORK/logs/$tool-$phase-$run.log
	mkdir -p "$WORK/logs"
	local l0 c0 u0 t0 t1 c1 u1 rc=0
	l0=$(logins)
	c0=$(busy_jiffies)
	u0=$(hosts_usec)
	masters_ticks >"$out.masters0"
	t0=$(date +%s%N)
	echo "$t0" >"$out.start"
	# In the background, so that the time limit's SIGTERM is handled at once.
	/usr/bin/time -f '%U %S' -o "$out.time" timeout "$CMD_TIMEOUT" "$@" >"$out" 2>&1 &
	CHILD=$!
	wait "$CHILD" || rc=$?
	CHILD=
	t1=$(date +%s%N)
	echo "$t1" >"$out.end"
	c1=$(busy_jiffies)
	u1=$(hosts_usec)
	masters_ticks >"$out.masters1"
	local wall cpu own lg hcpu=- mst
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}')
	mst=$(awk -v hz="$(getconf CLK_TCK)" 'NR == FNR {a[$1] = $2; next} {d += $2 - a[$1]} END {printf "%.2f", d / hz}' "$out.masters0" "$out.masters1")
	own=$(tail -n 1 "$out.time" | awk -v m="$mst" '{printf "%.2f", $1 + $2 + m}')
	[ "$u0" = - ] || [ "$u1" = - ] || hcpu=$(awk -v a="$u0" -v b="$u1" 'BEGIN{printf "%.2f", (b-a)/1e6}')
	lg=$(( $(logins) - l0 ))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$phase" "$run" "$wall" "$cpu" "$own" "$lg" "$rc" "$hcpu" >>"$TIMES"
	log "$(printf '%-15s %-9s #%s %7.2f s  (CPU: machine %6.2f s, the tool %6.2f s, the hosts %6s s; %3d SSH logins)' "$tool" "$phase" "$run" "$wall" "$cpu" "$own" "$hcpu" "$lg")"
	[ "$rc" = 0 ] || { tail -n 30 "$out" >&2; die "$tool $phase #$run failed (exit $rc); log: $out"; }
	"$check" "$out" || { tail -n 30 "$out" >&2; die "$tool $phase #$run: unexpected result; log: $out"; }
}

S=$SERVICES_PER_HOST
check_fm_succeeded() { # log, actions: that many actions succeeded, and the run is ok
	local n
	n=$(jq -r 'select(.type=="summary") | [.results[] | select(.status=="succeeded")] | length' "$1")
	[ "$n" = "$2" ] || { echo "fundament: $n actions succeeded, want $2" >&2; return 1; }
	[ "$(jq -r 'select(.type=="summary") | .ok' "$1")" = true ]
}
check_fm_first() { check_fm_succeeded "$1" $((N * CHANGES_PER_HOST)); } # every directory, file, unit file and service
check_fm_change() { check_fm_succeeded "$1" $((N * 2 * S)); }         # every unit file, and a restart of its service
check_fm_noop() { [ "$(jq -r 'select(.type=="summary") | .changes' "$1")" = 0 ]; }
check_fm_plan() { # every host observed, nothing to change (--detailed-exitcode: exit 0)
	[ "$(jq '[.hosts[] | select(.reachable)] | length' "$1")" = "$N" ] &&
		[ "$(jq '[.hosts[].items[]? | select(.change.op != "none" and .change.op != "")] | length' "$1")" = 0 ]
}
recap() { # log -> "ok changed unreachable failed" summed over hosts
	awk '/^PLAY RECAP/{r=1; next} r && /ok=/{for(i=1;i<=NF;i++){split($i,kv,"="); if(kv[1] in s) s[kv[1]]+=kv[2]}} BEGIN{s["ok"]=0;s["changed"]=0;s["unreachable"]=0;s["failed"]=0} END{print s["ok"], s["changed"], s["unreachable"], s["failed"]}' "$1"
}
items() { grep -c "^changed: \[[^]]*\] => (item=$2 " "$1" || true; } # log, label: changed loop items
# check_an LOG OK CHANGED FILES UNITS SERVICES RESTARTS: Ansible's recap
# counts tasks, summed over hosts (ok: run and not skipped, changed or
# not; changed), then the changed items of each loop.
check_an() {
	local ok ch un fa f u s r
	read -r ok ch un fa < <(recap "$1")
	f=$(items "$1" file) u=$(items "$1" unit) s=$(items "$1" service) r=$(items "$1" restart)
	[ "$un" = 0 ] && [ "$fa" = 0 ] && [ "$ok" = "$2" ] && [ "$ch" = "$3" ] && [ "$f" = "$4" ] && [ "$u" = "$5" ] && [ "$s" = "$6" ] && [ "$r" = "$7" ] ||
		{ echo "ansible: recap ok=$ok changed=$ch unreachable=$un failed=$fa; changed items: $f files, $u unit files, $s services, $r restarts; want ok=$2 changed=$3 and $4, $5, $6, $7" >&2; return 1; }
}
# Tasks per host: the directory, the packages and the files; with services
# the unit files, the reload (run only when a unit file changed; Ansible's
# systemd module reports a daemon-reload alone as ok, not changed), the
# services and the handler (run only when a unit file changed).
# First apply: everything but the packages (installed) changed; the handler
# restarts the services the play just started (their unit files changed),
# as Ansible's handlers do.
check_an_first() {
	if [ "$S" = 0 ]; then
		check_an "$1" $((3 * N)) $((2 * N)) $((FILES_PER_HOST * N)) 0 0 0
	else
		check_an "$1" $((7 * N)) $((5 * N)) $((FILES_PER_HOST * N)) $((S * N)) $((S * N)) $((S * N))
	fi
}
check_an_noop() {
	local tasks=3
	[ "$S" = 0 ] || tasks=5
	check_an "$1" $((tasks * N)) 0 0 0 0 0
}
# Change: the unit files and the handler's restarts changed; the reload ran.
check_an_change() { check_an "$1" $((7 * N)) $((2 * N)) 0 $((S * N)) 0 $((S * N)); }

# verify TOOL GENERATION: every host has the tool's files, and on lab
# hosts its unit files of that generation and its services active, enabled,
# with nothing pending for daemon-reload and the Description of that
# generation. The services' main PIDs go to $WORK/pids/TOOL-GEN-HOST.
verify_host() { # tool gen index host
	local tool=$1 gen=$2 i=$3 h=$4 n units=() script
	for ((n = 1; n <= S; n++)); do units+=("$(unit_name "$tool" "$n")"); done
	script="cd $DATA/$tool/$h && sha256sum --quiet --strict -c - <<'SUMS' || exit 1
$(cat "$WORK/expect/$h.files")
SUMS
"
	if [ "$S" -gt 0 ]; then
		script+="sha256sum --quiet --strict -c - <<'SUMS' || exit 1
$(cat "$WORK/expect/units-$tool-$gen")
SUMS
systemctl show -p Id,ActiveState,UnitFileState,NeedDaemonReload,MainPID,Description ${units[*]} | awk -v want='$(unit_description "$tool" N "$gen")' '
function flush() {
	if (!(\"Id\" in f)) return
	n = f[\"Id\"]; sub(/^fmbench-[a-z]+-/, \"\", n); sub(/\\.service\$/, \"\", n)
	d = want; sub(/ N,/, \" \" n \",\", d)
	if (f[\"ActiveState\"] != \"active\" || f[\"UnitFileState\"] != \"enabled\" || f[\"NeedDaemonReload\"] != \"no\" || f[\"Description\"] != d) {
		print f[\"Id\"] \": ActiveState=\" f[\"ActiveState\"] \" UnitFileState=\" f[\"UnitFileState\"] \" NeedDaemonReload=\" f[\"NeedDaemonReload\"] \" Description=\" f[\"Description\"] > \"/dev/stderr\"
		bad = 1
	}
	print \"pid\", f[\"Id\"], f[\"MainPID\"]
	seen++
	delete f
}
/^\$/ { flush(); next }
{ f[substr(\$0, 1, index(\$0, \"=\") - 1)] = substr(\$0, index(\$0, \"=\") + 1) }
END { flush(); if (seen != $S) { print seen \" units, want $S\" > \"/dev/stderr\"; bad = 1 }; exit bad }'
"
	fi
	mkdir -p "$WORK/pids"
	on_host "$i" "$script" >"$WORK/pids/$tool-$gen-$h" 2>"$WORK/pids/$tool-$gen-$h.err" ||
		{ echo "$tool on $h: $(cat "$WORK/pids/$tool-$gen-$h.err")" >&2; return 1; }
}
verify() { on_hosts verify_host "$1" "$2" || die "$1: the hosts are not as desired (see above)"; }
# After a change: every service of the tool has a new main PID.
restarted() { # tool
	local h
	for h in "${HOSTS[@]}"; do
		grep '^pid ' "$WORK/pids/$1-2-$h" | while read -r _ u p; do
			old=$(awk -v u="$u" '$1 == "pid" && $2 == u {print $3}' "$WORK/pids/$1-1-$h")
			[ "$p" != 0 ] && [ "$p" != "$old" ] || { echo "$1 on $h: $u was not restarted (main PID $old before, $p after)" >&2; exit 1; }
		done || return 1
	done
}

# reset TOOL: the tool's things on the hosts go, as if it never ran: its
# data directory, and on lab hosts its units (stopped, disabled, their
# files removed, systemd reloaded).
reset_host() { # tool index host
	local tool=$1 i=$2 h=$3 n units=()
	for ((n = 1; n <= S; n++)); do units+=("$(unit_name "$tool" "$n")"); done
	if [ "$NETMODE" != lab ]; then
		rm -rf "$DATA/$tool"
		return
	fi
	on_host "$i" "$(cat <<EOF
set -e
units="${units[*]}"
systemctl disable --now \$units >/dev/null 2>&1 || true
for u in \$units; do rm -f $UNIT_DIR/\$u; done
rm -rf $DATA/$tool
systemctl daemon-reload
systemctl reset-failed \$units >/dev/null 2>&1 || true
for u in \$units; do
	s=\$(systemctl show -p LoadState,ActiveState --value \$u | tr '\n' ' ')
	[ "\$s" = "not-found inactive " ] || { echo "$h: \$u is still there: \$s" >&2; exit 1; }
done
[ ! -e $DATA/$tool ]
EOF
)"
}
reset() {
	if [ "$NETMODE" = lab ]; then
		on_hosts reset_host "$1" || die "resetting the hosts for $1 failed"
	else
		rm -rf "${DATA:?}/$1"
	fi
	case $1 in
	fundament)
		if [ "$NETMODE" = lab ]; then
			# Fundament's records of earlier runs go (runs, their actions, the
			# applied desired state, a lock), not the host keys the lab recorded:
			# the engine keeps checking exactly the lab's keys.
			sqlite3 "$REPO/.fundament/state.db" 'DELETE FROM actions; DELETE FROM applied; DELETE FROM runs; DELETE FROM apply_lock; VACUUM;'
			[ "$(sqlite3 "$REPO/.fundament/state.db" 'SELECT ((SELECT count(*) FROM runs) + (SELECT count(*) FROM actions) + (SELECT count(*) FROM applied)) || " " || (SELECT count(*) FROM host_keys)')" = "0 $N" ] ||
				die "state.db is not as after lab up"
		else
			rm -rf "$REPO/.fundament" # no host keys either: trusted on first use
		fi
		;;
	ansible) close_masters ;;
	esac
}
verify_files() { # tool gen: netns and loopback check on this machine's files; lab hosts over SSH
	if [ "$NETMODE" = lab ]; then
		verify "$@"
		return
	fi
	local tool=$1 h n
	for h in "${HOSTS[@]}"; do
		for ((n = 1; n <= FILES_PER_HOST; n++)); do
			[ "$(cat "$DATA/$tool/$h/$(printf 'f%02d.txt' "$n")")" = "$(content_of "$h" "$n" | tr -d '\n')" ] || die "$tool: $DATA/$tool/$h/f$n.txt is wrong"
		done
	done
}

# FM_WRAP (unquoted words) goes before fundament, for profiling: FM_WRAP="strace -f -c -w -o /tmp/st"
# Only the benchmark's own resources (services/custom.yaml): in netns and
# loopback mode the hosts are sshd servers sharing this machine's file
# system, and the cloud's components (host networking, OVN) would install
# and configure packages on the machine itself; on lab hosts they would be
# other work than Ansible's.
FM_APPLY=(${FM_WRAP:-} "$FM" --repo "$REPO" apply --auto-approve --ssh-key "$KEY" --parallel "$N" --component custom -o json)
FM_PLAN=(${FM_WRAP:-} "$FM" --repo "$REPO" plan --ssh-key "$KEY" --parallel "$N" --component custom --detailed-exitcode -o json)
an() { echo env ANSIBLE_CONFIG="$AN/ansible-$1.cfg" ansible-playbook "$AN/site.yml" "${@:2}"; } # no spaces in $AN
STRATEGIES=(linear)
[ "$FREE_RUNS" -gt 0 ] && STRATEGIES+=(free)
runs_of() { # tool phase -> how many runs
	case $1 in
	fundament) [ "$TOOLS" != ansible ] && echo "$2" || echo 0 ;;
	ansible-linear) [ "$TOOLS" != fundament ] && echo "$2" || echo 0 ;;
	ansible-free) [ "$TOOLS" != fundament ] && echo "$FREE_RUNS" || echo 0 ;;
	esac
}
max_first=$(( RUNS_FIRST > FREE_RUNS ? RUNS_FIRST : FREE_RUNS ))
max_noop=$(( RUNS_NOOP > FREE_RUNS ? RUNS_NOOP : FREE_RUNS ))

# Interleaved, so that a change of the machine's load hits both tools.
log "first apply, from nothing each time"
for ((r = 1; r <= max_first; r++)); do
	if [ "$r" -le "$(runs_of fundament "$RUNS_FIRST")" ]; then
		reset fundament
		measure fundament first "$r" check_fm_first -- "${FM_APPLY[@]}"
		verify_files fundament 1
	fi
	for s in "${STRATEGIES[@]}"; do
		[ "$r" -le "$(runs_of "ansible-$s" "$RUNS_FIRST")" ] || continue
		reset ansible
		measure "ansible-$s" first "$r" check_an_first -- $(an "$s")
		verify_files ansible 1
	done
done

log "no-op re-apply and plan"
for ((r = 1; r <= max_noop; r++)); do
	if [ "$r" -le "$(runs_of fundament "$RUNS_NOOP")" ]; then
		measure fundament noop "$r" check_fm_noop -- "${FM_APPLY[@]}"
		measure fundament plan "$r" check_fm_plan -- "${FM_PLAN[@]}"
		verify_files fundament 1
	fi
	for s in "${STRATEGIES[@]}"; do
		[ "$r" -le "$(runs_of "ansible-$s" "$RUNS_NOOP")" ] || continue
		measure "ansible-$s" noop "$r" check_an_noop -- $(an "$s")
		verify_files ansible 1
	done
done
# Ansible's no-op runs above reuse the SSH connections its ControlPersist
# keeps open from one run to the next (as configured). Without them, as
# after a pause of more than 60 s:
if [ "$TOOLS" != fundament ]; then
	for ((r = 1; r <= COLD_RUNS; r++)); do
		close_masters
		measure ansible-linear noop-cold "$r" check_an_noop -- $(an linear)
		verify_files ansible 1
	done
fi

# Every unit file changes (generation 2): each tool must reload systemd and
# restart every service (checked: the new Description is loaded, and each
# service has a new main PID).
if [ "$CHANGE_RUNS" -gt 0 ]; then
	log "change: every unit file rewritten"
	if [ "$TOOLS" != ansible ]; then
		write_custom 2
		measure fundament change 1 check_fm_change -- "${FM_APPLY[@]}"
		verify fundament 2
		restarted fundament || die "fundament did not restart every service"
	fi
	if [ "$TOOLS" != fundament ]; then
		measure ansible-linear change 1 check_an_change -- $(an linear -e unit_gen=2)
		verify ansible 2
		restarted ansible || die "ansible did not restart every service"
	fi
fi
close_masters

# ---------------------------------------------------------------- profile
# Where Fundament's first apply spends its time, from the JSON events of its
# last run; and how long loading and validating the repository alone takes.
PROFILE=
if [ "$TOOLS" != ansible ]; then
	PROFILE=$(/usr/bin/python3 - "$WORK/logs/fundament-first-$RUNS_FIRST.log" 2>&1 <<'PY' || true
import json, re, sys, statistics as st
from datetime import datetime
log = sys.argv[1]
t0 = int(open(log + ".start").read()) / 1e9
t1 = int(open(log + ".end").read()) / 1e9
def ts(s):  # RFC 3339 with nanoseconds -> epoch seconds
    s = re.sub(r"(\.\d{6})\d*", r"\1", s).replace("Z", "+00:00")
    return datetime.fromisoformat(s).timestamp()
starts, ends, ms, hosts, began, rec = [], [], [], {}, {}, []
for line in open(log):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("type") not in ("action-started", "action-succeeded"):
        continue
    t = ts(e["time"])
    span = hosts.setdefault(e["host"], [t, t])
    span[0], span[1] = min(span[0], t), max(span[1], t)
    key = (e["host"], e["resource"])
    if e["type"] == "action-started":
        starts.append(t)
        began[key] = t
    else:
        ends.append(t)
        ms.append(e["duration_ms"])
        # started..succeeded minus the script's own time: the records in
        # state.db (start, finish, applied digest), each a commit.
        rec.append((t - began[key]) * 1000 - e["duration_ms"])
spans = [b - a for a, b in hosts.values()]
print(f"{len(ms)} actions in {t1 - t0:.2f} s: {min(starts) - t0:.2f} s from the start of the process to the first action "
      f"(load, compile, connect, observe), {max(ends) - min(starts):.2f} s of actions, {t1 - max(ends):.2f} s after the last one; "
      f"one action's script (one SSH session) takes {st.median(ms):.0f} ms (median; max {max(ms)} ms) and recording it in state.db "
      f"{st.median(rec):.0f} ms more (median; {sum(rec) / 1000:.1f} s over all actions), and a host's {len(ms) // max(len(hosts), 1)} actions, "
      f"one after another, {st.median(spans):.2f} s (median over hosts)")
PY
)
	v=()
	for ((r = 0; r < 5; r++)); do
		t0=$(date +%s%N)
		"$FM" validate --repo "$REPO" >/dev/null 2>&1
		v+=($(( ($(date +%s%N) - t0) / 1000000 )))
	done
	VALIDATE_MS=$(printf '%s\n' "${v[@]}" | sort -n | sed -n 3p)
fi

# ---------------------------------------------------------------- report
cpu_model=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
mem_gb=$(awk '/^MemTotal/{printf "%.0f", $2/1024/1024}' /proc/meminfo)
env_line="N=$N"
for v in RUNS_FIRST:3 RUNS_NOOP:5 FREE_RUNS:1 COLD_RUNS:1 TOOLS:both NETMODE:lab LAB_IMAGE:base; do
	name=${v%%:*}
	[ "${!name}" = "${v#*:}" ] || env_line+=" $name=${!name}"
done
[ "$NETMODE" != lab ] || [ "$CHANGE_RUNS" = 1 ] || env_line+=" CHANGE_RUNS=$CHANGE_RUNS"
[ -z "$FM_BIN" ] || env_line+=" FM_BIN=$FM_BIN"
node_python=$(/usr/bin/python3 -c 'import platform; print(platform.python_version())')
if [ "$NETMODE" = lab ]; then
	node_python=$(lab exec "$h1" -- python3 -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '?')
	node_os=$(lab exec "$h1" -- sh -c '. /etc/os-release; echo "$PRETTY_NAME"' 2>/dev/null || echo '?')
	node_sshd=$(lab exec "$h1" -- ssh -V 2>&1 | cut -d, -f1 || echo '?')
	node_systemd=$(lab exec "$h1" -- systemctl --version 2>/dev/null | head -n 1 || echo '?')
fi
mkdir -p "$(dirname "$RESULTS")"
{
	echo "<!-- generated by bench/engine-vs-ansible.sh, $(date -u '+%Y-%m-%d %H:%M UTC') -->"
	echo "#### Machine and versions"
	echo
	echo "- $(nproc) cores (\`nproc\`), $cpu_model, $mem_gb GB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), Linux $(uname -r); load average at the start: $LOAD0, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- \`fundament version\`: $("$FM" version 2>/dev/null | head -n 1), built from commit $COMMIT"
	case $NETMODE in
	lab)
		echo "- $(ansible-playbook --version 2>/dev/null | head -n 1), Python $(/usr/bin/python3 -c 'import platform; print(platform.python_version())') on this machine, Python $node_python on the hosts"
		echo "- client: $(ssh -V 2>&1 | cut -d, -f1) (Ansible) and Go's x/crypto/ssh (Fundament); server: $node_sshd"
		echo "- hosts: $N lab nodes (\`fundament lab up --prefix $LAB_PREFIX --no-apply$([ "$LAB_IMAGE" = base ] && echo " --base-only")\`, ready in $LAB_UP_S s): each in its own network, mount, PID, UTS and IPC namespaces and cgroup, $node_systemd as PID 1, its own overlay root on the lab's $node_os image, sshd on the management bridge ${LAB_PREFIX}br0"
		;;
	netns)
		echo "- $(ansible-playbook --version 2>/dev/null | head -n 1), Python $node_python on both sides"
		echo "- $(ssh -V 2>&1 | cut -d, -f1) (client and server)"
		echo "- hosts: $N sshd, each in its own network namespace, joined to the machine by a veth pair on a bridge"
		;;
	loopback)
		echo "- $(ansible-playbook --version 2>/dev/null | head -n 1), Python $node_python on both sides"
		echo "- $(ssh -V 2>&1 | cut -d, -f1) (client and server)"
		echo "- hosts: $N sshd on 127.0.1.x in the machine's network namespace"
		;;
	esac
	if [ "$S" -gt 0 ]; then
		echo "- per host and tool: $FILES_PER_HOST files, ${#PACKAGES[@]} packages (installed), $S services (unit files running \`/bin/sleep infinity\`, enabled, running, restarted when their unit file changes)"
	else
		echo "- per host and tool: $FILES_PER_HOST files, ${#PACKAGES[@]} packages (installed); no services (the hosts run no systemd)"
	fi
	echo
	echo "#### Command"
	echo
	echo '```sh'
	echo "sudo $env_line bash bench/engine-vs-ansible.sh"
	echo '```'
	echo
	/usr/bin/python3 - "$TIMES" "$N" "$RUNS_FIRST" "$RUNS_NOOP" "$CHANGES_PER_HOST" "$S" "$NETMODE" <<'PY'
import sys, statistics as st
path, n, rf, rn, k, s, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7]
rows = {}
for line in open(path):
    tool, phase, run, wall, cpu, own, logins, rc, *rest = line.rstrip("\n").split("\t")
    hosts = float(rest[0]) if rest and rest[0] != "-" else float("nan")
    rows.setdefault((tool, phase), []).append((float(wall), float(cpu), float(own), int(logins), hosts))
def med(tool, phase, i=0):
    v = rows.get((tool, phase))
    return st.median(x[i] for x in v) if v else None
def wall(tool, phase):
    v = rows.get((tool, phase))
    if not v:
        return "–"
    w = [x[0] for x in v]
    rng = f" ({min(w):.2f}–{max(w):.2f})" if len(w) > 1 else ""
    return f"**{st.median(w):.2f} s**{rng}"
lab = mode == "lab"
def cpu(tool, phase):
    v = rows.get((tool, phase))
    if not v:
        return "–"
    if lab:  # the tool, the lab's nodes, their sum; the machine
        t, h = med(tool, phase, 2), med(tool, phase, 4)
        return f"{t:.1f} + {h:.1f} = **{t + h:.1f}** / {med(tool, phase, 1):.1f}"
    return f"{med(tool, phase, 1):.1f} / {med(tool, phase, 2):.1f}"
def ratio(a, b):
    return f"**{a / b:.0f}x**" if a and b else "–"
F, L, R = "fundament", "ansible-linear", "ansible-free"
# (Fundament's phase, Ansible's phase, label, Ansible free measured)
phases = [("first", "first", f"first apply ({n} hosts x {k} changes)", True),
          ("noop", "noop", "no-op re-apply", True),
          ("noop", "noop-cold", "no-op re-apply, Ansible's SSH connections closed before", False),
          ("plan", None, "plan", False)]
if (F, "change") in rows or (L, "change") in rows:
    phases.append(("change", "change", f"change: {s} unit files per host rewritten, daemon-reload, {s} restarts", False))
print("#### Results")
print()
print(f"Wall time: median of the runs (first apply {rf}, no-op {rn} for Fundament and Ansible linear;")
if lab:
    print("min–max in parentheses). CPU (median): seconds used by the tool's own processes (with its ssh")
    print("clients) + by every process of the lab's nodes (sshd, shells, Python, systemctl, systemd: their")
    print("cgroups) = the work itself; / seconds the whole machine was busy, other work included.")
else:
    print("min–max in parentheses). CPU: seconds used by the whole machine (both sides: the tool, ssh,")
    print("sshd, the hosts' shells and Python) / by the tool's own processes.")
print()
print("| | Fundament | Ansible, linear | Ansible, free | Ansible linear / Fundament | Ansible free / Fundament |")
print("| --- | --- | --- | --- | --- | --- |")
for fp, ap, label, free in phases:
    if ap is None:
        print(f"| {label} | {wall(F, fp)} | – | – | – | – |")
        continue
    print(f"| {label} | {wall(F, fp)} | {wall(L, ap)} | {wall(R, ap) if free else '–'} | {ratio(med(L, ap), med(F, fp))} | "
          f"{ratio(med(R, ap), med(F, fp)) if free else '–'} |")
print()
print("| CPU s (tool + hosts = **work** / machine) | Fundament | Ansible, linear | Ansible, free |" if lab else
      "| CPU s (machine / tool) | Fundament | Ansible, linear | Ansible, free |")
print("| --- | --- | --- | --- |")
for fp, ap, label, free in phases:
    if ap is None:
        print(f"| {label} | {cpu(F, fp)} | – | – |")
    else:
        print(f"| {label} | {cpu(F, fp)} | {cpu(L, ap)} | {cpu(R, ap) if free else '–'} |")
print()
lg = {k: int(st.median(x[3] for x in v)) for k, v in rows.items()}
where = "in each lab node's journal, read with `fundament lab exec`" if mode == "lab" else "in the sshd logs"
print(f"SSH logins per run (median, counted {where}): " + "; ".join(
    f"{t} {p} {lg[(t, p)]}" for (t, p) in sorted(lg)) + ".")
print()
f = med(F, "noop")
best = min([x for x in (med(L, "noop"), med(R, "noop")) if x] or [0])
if f and best:
    print(f"Target of the issue, no-op re-apply at least 20x faster than Ansible and under 2 s for 20 hosts: "
          f"{best / f:.0f}x against Ansible's faster strategy (**{'met' if best / f >= 20 else 'not met'}**), "
          f"{f:.2f} s (**{'met' if f < 2 else 'not met'}**)" + ("." if n == 20 else f"; measured with {n} hosts, not 20."))
PY
	if [ -n "$PROFILE" ]; then
		echo
		echo "Fundament's last first apply: $PROFILE. \`fundament validate\` of the generated repository alone: $VALIDATE_MS ms."
	fi
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
cp "$TIMES" "${RESULTS%.md}.tsv"
echo
cat "$RESULTS"
echo
log "results written to $RESULTS (raw times: ${RESULTS%.md}.tsv: tool, phase, run, wall s, machine CPU s, tool CPU s, SSH logins, exit code, hosts' CPU s (lab))"
