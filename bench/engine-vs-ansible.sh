#!/usr/bin/env bash
# bench/engine-vs-ansible.sh: Fundament's engine against Ansible on the same work.
#
#   sudo bash bench/engine-vs-ansible.sh              # 20 hosts
#   sudo N=5 RUNS_FIRST=1 RUNS_NOOP=2 bash bench/engine-vs-ansible.sh   # a quick look
#
# It builds bin/fundament, starts N OpenSSH servers (each in its own network
# namespace, joined to the machine by a veth on a bridge; NETMODE=loopback puts
# them on 127.0.1.x of this namespace instead), each with its own host key and
# all accepting one client key, and gives both tools the same desired state per
# host: one directory with 50 small files of distinct content (under
# /var/tmp/fundament-bench/<tool>/<host>/, so the tools never touch each other's
# files) and 10 packages that are already installed. It then times, in the same
# run and interleaved so that both tools see the same machine:
#
#   first apply     RUNS_FIRST times, from nothing each time (files removed;
#                   Fundament's state database removed; Ansible's SSH control
#                   masters closed)
#   no-op re-apply  RUNS_NOOP times (Ansible must report changed=0)
#   plan            RUNS_NOOP times (Fundament only; Ansible's --check is not
#                   the same thing and is not measured)
#
# and prints the medians, the ratios Ansible/Fundament and a Markdown section for
# docs/benchmarks.md (also written to $RESULTS). Everything it starts (sshd
# processes, namespaces, the bridge, SSH control masters, files) is removed on
# exit, also on failure or Ctrl-C; MAX_SECONDS bounds the whole run and
# CMD_TIMEOUT every single measured command.
#
# Needs: root, /usr/sbin/sshd, ssh, ssh-keygen, ip (iproute2), jq, Go (for
# `make build`), ansible-playbook (Debian 12: apt-get install -y ansible).
set -Eeuo pipefail

N=${N:-20}
RUNS_FIRST=${RUNS_FIRST:-3}
RUNS_NOOP=${RUNS_NOOP:-5}
FREE_RUNS=${FREE_RUNS:-1}        # runs of Ansible with strategy = free, per phase (0: none)
COLD_RUNS=${COLD_RUNS:-1}        # runs of Ansible's no-op without kept SSH connections
TOOLS=${TOOLS:-both}             # both, fundament or ansible
NETMODE=${NETMODE:-netns}        # netns or loopback
PORT=${PORT:-2222}               # sshd port (never 22)
CMD_TIMEOUT=${CMD_TIMEOUT:-900}  # seconds, per measured command
MAX_SECONDS=${MAX_SECONDS:-5400} # seconds, the whole run
KEEP=${KEEP:-0}                  # 1: keep the work directory (logs, repository)
FM_WRAP=${FM_WRAP:-}             # words before fundament's command line, e.g. "strace -f -c -w -o FILE"
FM_BIN=${FM_BIN:-}               # a fundament binary to measure instead of building bin/fundament
NAME_PREFIX=fmbench              # namespaces fmbench-hNN, bridge fmbench0, veths fmb-hNN
SUBNET=10.201.0                  # netns mode: bridge .1, hosts .11 and up
DATA=/var/tmp/fundament-bench    # where the tools write their files
PACKAGES=(coreutils bash sed grep gzip tar findutils debianutils hostname login)
FILES_PER_HOST=50

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS=${RESULTS:-$ROOT/bench/results/engine-vs-ansible-n$N.md}

die() { echo "engine-vs-ansible: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- checks
[ "$(id -u)" = 0 ] || die "run as root (sshd changes to the logged-in user; namespaces need root)"
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 200 ] || die "N must be 1..200"
[ "$PORT" != 22 ] || die "PORT must not be 22"
case $NETMODE in netns|loopback) ;; *) die "NETMODE must be netns or loopback" ;; esac
case $TOOLS in both|fundament|ansible) ;; *) die "TOOLS must be both, fundament or ansible" ;; esac
for v in RUNS_FIRST RUNS_NOOP FREE_RUNS COLD_RUNS; do [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number"; done
[ "$RUNS_FIRST" -ge 1 ] || die "RUNS_FIRST must be at least 1"
for c in /usr/sbin/sshd ssh ssh-keygen ip unshare jq timeout ansible-playbook /usr/bin/time; do
	command -v "$c" >/dev/null || die "$c is missing (ansible: apt-get install -y ansible)"
done
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || die "package $p is not installed; the benchmark wants packages that are"
done
/usr/bin/python3 -c 'import apt' 2>/dev/null || die "python3-apt is missing (Ansible's apt module needs it; it would install it itself and skew the first run)"
[ ! -e "$DATA" ] || die "$DATA exists: a previous run did not clean up? remove it first"

WIDTH=$(( ${#N} < 2 ? 2 : ${#N} ))
HOSTS=()
for ((i = 1; i <= N; i++)); do HOSTS+=("$(printf "h%0${WIDTH}d" "$i")"); done
addr_of() { # index (1-based) -> address
	if [ "$NETMODE" = netns ]; then echo "$SUBNET.$((10 + $1))"; else echo "127.0.1.$1"; fi
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /var/tmp/fundament-bench-work.XXXXXX)
chmod 700 "$WORK"
SSHD_PIDS=()
WATCHDOG=
CHILD= # the measured command running now

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
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	local pid k
	for pid in $CHILD $WATCHDOG; do
		for k in $(descendants "$pid") "$pid"; do kill -TERM "$k" 2>/dev/null; done
	done
	close_masters
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
	rm -rf "$DATA"
	if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'echo "engine-vs-ansible: stopped (time limit MAX_SECONDS=$MAX_SECONDS or SIGTERM)" >&2; exit 124' TERM
( sleep "$MAX_SECONDS" && kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!

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

# ---------------------------------------------------------------- hosts
mkdir -p /run/sshd "$WORK/hosts"
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
SSH_OPTS=(-i "$KEY" -p "$PORT" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
for i in "${!HOSTS[@]}"; do
	ssh "${SSH_OPTS[@]}" "root@$(addr_of $((i + 1)))" true || die "cannot log in to ${HOSTS[$i]}"
done
export SSH_AUTH_SOCK= # key files only, for both tools

# ---------------------------------------------------------------- desired state
content_of() { printf '%s file %02d\n' "$1" "$2"; } # host, n: distinct per file and host

log "generating the Fundament repository"
REPO=$WORK/repo
mkdir -p "$REPO/inventory" "$REPO/services"
mgmt_prefix=$SUBNET.0/24
[ "$NETMODE" = netns ] || mgmt_prefix=127.0.1.0/24
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
networks:
  - {name: mgmt, role: management, prefix: $mgmt_prefix}
  # Only because validation wants a host for ovn-controller (role compute),
  # which needs these two; no component but custom compiles resources yet.
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
# The services that cannot be disabled sit on the first host; they compile to
# nothing yet (the only component is custom).
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
	done
} >"$REPO/services/custom.yaml"
"$FM" validate --repo "$REPO" >"$WORK/validate.log" 2>&1 || { cat "$WORK/validate.log" >&2; die "the generated repository is invalid"; }
log "validate: $(tail -n 1 "$WORK/validate.log")"

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
EOF

# ---------------------------------------------------------------- measuring
TIMES=$WORK/times.tsv
: >"$TIMES"
busy_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
logins() { cat "$WORK"/hosts/*/sshd.log | grep -c 'Accepted publickey' || true; }

# measure TOOL PHASE RUN CHECK -- COMMAND...: runs COMMAND (output to a log),
# records wall time, whole-machine CPU time and SSH logins, then runs CHECK
# (a function of the log) which must succeed.
measure() {
	local tool=$1 phase=$2 run=$3 check=$4
	shift 5
	local out=$WORK/logs/$tool-$phase-$run.log
	mkdir -p "$WORK/logs"
	local l0 c0 t0 t1 c1 rc=0
	l0=$(logins)
	c0=$(busy_jiffies)
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
	local wall cpu own lg
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}')
	own=$(tail -n 1 "$out.time" | awk '{printf "%.2f", $1 + $2}')
	lg=$(( $(logins) - l0 ))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$phase" "$run" "$wall" "$cpu" "$own" "$lg" "$rc" >>"$TIMES"
	log "$(printf '%-15s %-9s #%s %7.2f s  (CPU: machine %6.2f s, the tool %6.2f s; %3d SSH logins)' "$tool" "$phase" "$run" "$wall" "$cpu" "$own" "$lg")"
	[ "$rc" = 0 ] || { tail -n 30 "$out" >&2; die "$tool $phase #$run failed (exit $rc); log: $out"; }
	"$check" "$out" || { tail -n 30 "$out" >&2; die "$tool $phase #$run: unexpected result; log: $out"; }
}

want_actions=$(( N * (FILES_PER_HOST + 1) ))
check_fm_first() { # every file and directory created, nothing failed
	local n
	n=$(jq -r 'select(.type=="summary") | [.results[] | select(.status=="succeeded")] | length' "$1")
	[ "$n" = "$want_actions" ] || { echo "fundament: $n actions succeeded, want $want_actions" >&2; return 1; }
	[ "$(jq -r 'select(.type=="summary") | .ok' "$1")" = true ]
}
check_fm_noop() { [ "$(jq -r 'select(.type=="summary") | .changes' "$1")" = 0 ]; }
check_fm_plan() { # every host observed, nothing to change (--detailed-exitcode: exit 0)
	[ "$(jq '[.hosts[] | select(.reachable)] | length' "$1")" = "$N" ] &&
		[ "$(jq '[.hosts[].items[]? | select(.change.op != "none" and .change.op != "")] | length' "$1")" = 0 ]
}
recap() { # log -> "ok changed unreachable failed" summed over hosts
	awk '/^PLAY RECAP/{r=1; next} r && /ok=/{for(i=1;i<=NF;i++){split($i,kv,"="); if(kv[1] in s) s[kv[1]]+=kv[2]}} BEGIN{s["ok"]=0;s["changed"]=0;s["unreachable"]=0;s["failed"]=0} END{print s["ok"], s["changed"], s["unreachable"], s["failed"]}' "$1"
}
check_an_first() {
	local ok ch un fa
	read -r ok ch un fa < <(recap "$1")
	# The recap counts tasks: per host the directory and the files changed,
	# the packages did not (they are installed); and every file item changed.
	local items
	items=$(grep -c '^changed: \[.*(item=' "$1" || true)
	[ "$un" = 0 ] && [ "$fa" = 0 ] && [ "$ch" = $((2 * N)) ] && [ "$items" = $((FILES_PER_HOST * N)) ] ||
		{ echo "ansible: recap ok=$ok changed=$ch unreachable=$un failed=$fa, $items file items changed; want changed=$((2 * N)) and $((FILES_PER_HOST * N)) items" >&2; return 1; }
}
check_an_noop() {
	local ok ch un fa
	read -r ok ch un fa < <(recap "$1")
	[ "$un" = 0 ] && [ "$fa" = 0 ] && [ "$ch" = 0 ] || { echo "ansible recap: ok=$ok changed=$ch unreachable=$un failed=$fa, want changed=0" >&2; return 1; }
}
files_in_place() { # tool: every file has its content
	local tool=$1 h n
	for h in "${HOSTS[@]}"; do
		for ((n = 1; n <= FILES_PER_HOST; n++)); do
			[ "$(cat "$DATA/$tool/$h/$(printf 'f%02d.txt' "$n")")" = "$(content_of "$h" "$n" | tr -d '\n')" ] || die "$tool: $DATA/$tool/$h/f$n.txt is wrong"
		done
	done
}

# FM_WRAP (unquoted words) goes before fundament, for profiling: FM_WRAP="strace -f -c -w -o /tmp/st"
# Only the benchmark's own resources (services/custom.yaml): the hosts are
# sshd servers sharing this machine's file system, and the cloud's
# components (host networking, OVN) would install and configure packages
# on the machine itself.
FM_APPLY=(${FM_WRAP:-} "$FM" --repo "$REPO" apply --auto-approve --ssh-key "$KEY" --parallel "$N" --component custom -o json)
FM_PLAN=(${FM_WRAP:-} "$FM" --repo "$REPO" plan --ssh-key "$KEY" --parallel "$N" --component custom --detailed-exitcode -o json)
an() { echo env ANSIBLE_CONFIG="$AN/ansible-$1.cfg" ansible-playbook "$AN/site.yml"; } # no spaces in $AN
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
		rm -rf "$DATA/fundament" "$REPO/.fundament"
		measure fundament first "$r" check_fm_first -- "${FM_APPLY[@]}"
		files_in_place fundament
	fi
	for s in "${STRATEGIES[@]}"; do
		[ "$r" -le "$(runs_of "ansible-$s" "$RUNS_FIRST")" ] || continue
		rm -rf "$DATA/ansible"
		close_masters
		measure "ansible-$s" first "$r" check_an_first -- $(an "$s")
		files_in_place ansible
	done
done

log "no-op re-apply and plan"
for ((r = 1; r <= max_noop; r++)); do
	if [ "$r" -le "$(runs_of fundament "$RUNS_NOOP")" ]; then
		measure fundament noop "$r" check_fm_noop -- "${FM_APPLY[@]}"
		measure fundament plan "$r" check_fm_plan -- "${FM_PLAN[@]}"
	fi
	for s in "${STRATEGIES[@]}"; do
		[ "$r" -le "$(runs_of "ansible-$s" "$RUNS_NOOP")" ] || continue
		measure "ansible-$s" noop "$r" check_an_noop -- $(an "$s")
	done
done
# Ansible's no-op runs above reuse the SSH connections its ControlPersist
# keeps open from one run to the next (as configured). Without them, as
# after a pause of more than 60 s:
if [ "$TOOLS" != fundament ]; then
	for ((r = 1; r <= COLD_RUNS; r++)); do
		close_masters
		measure ansible-linear noop-cold "$r" check_an_noop -- $(an linear)
	done
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
for v in RUNS_FIRST:3 RUNS_NOOP:5 FREE_RUNS:1 COLD_RUNS:1 TOOLS:both NETMODE:netns; do
	name=${v%%:*}
	[ "${!name}" = "${v#*:}" ] || env_line+=" $name=${!name}"
done
[ -z "$FM_BIN" ] || env_line+=" FM_BIN=$FM_BIN"
mkdir -p "$(dirname "$RESULTS")"
{
	echo "<!-- generated by bench/engine-vs-ansible.sh, $(date -u '+%Y-%m-%d %H:%M UTC') -->"
	echo "#### Machine and versions"
	echo
	echo "- $(nproc) cores (\`nproc\`), $cpu_model, $mem_gb GB RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), Linux $(uname -r); load average at the start: $LOAD0"
	echo "- \`fundament version\`: $("$FM" version 2>/dev/null | head -n 1), built from commit $COMMIT"
	echo "- $(ansible-playbook --version 2>/dev/null | head -n 1), Python $(/usr/bin/python3 -c 'import platform; print(platform.python_version())') on both sides"
	echo "- $(ssh -V 2>&1 | cut -d, -f1) (client and server)"
	if [ "$NETMODE" = netns ]; then
		echo "- hosts: $N sshd, each in its own network namespace, joined to the machine by a veth pair on a bridge"
	else
		echo "- hosts: $N sshd on 127.0.1.x in the machine's network namespace"
	fi
	echo
	echo "#### Command"
	echo
	echo '```sh'
	echo "sudo $env_line bash bench/engine-vs-ansible.sh"
	echo '```'
	echo
	/usr/bin/python3 - "$TIMES" "$N" "$RUNS_FIRST" "$RUNS_NOOP" <<'PY'
import sys, statistics as st
path, n, rf, rn = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = {}
for line in open(path):
    tool, phase, run, wall, cpu, own, logins, rc = line.rstrip("\n").split("\t")
    rows.setdefault((tool, phase), []).append((float(wall), float(cpu), float(own), int(logins)))
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
def cpu(tool, phase):
    v = rows.get((tool, phase))
    return f"{med(tool, phase, 1):.1f} / {med(tool, phase, 2):.1f}" if v else "–"
def ratio(a, b):
    return f"**{a / b:.0f}x**" if a and b else "–"
F, L, R = "fundament", "ansible-linear", "ansible-free"
phases = [("first", "first", f"first apply ({n} hosts x 51 changes)"),
          ("noop", "noop", "no-op re-apply"),
          ("noop", "noop-cold", "no-op re-apply, Ansible's SSH connections closed before"),
          ("plan", None, "plan")]
print("#### Results")
print()
print(f"Wall time: median of the runs (first apply {rf}, no-op {rn} for Fundament and Ansible linear;")
print("min–max in parentheses). CPU: seconds used by the whole machine (both sides: the tool, ssh,")
print("sshd, the hosts' shells and Python) / by the tool's own processes.")
print()
print("| | Fundament | Ansible, linear | Ansible, free | Ansible linear / Fundament | Ansible free / Fundament |")
print("| --- | --- | --- | --- | --- | --- |")
for fp, ap, label in phases:
    if ap is None:
        print(f"| {label} | {wall(F, fp)} | – | – | – | – |")
        continue
    free = wall(R, ap) if ap != "noop-cold" else "–"
    print(f"| {label} | {wall(F, fp)} | {wall(L, ap)} | {free} | {ratio(med(L, ap), med(F, fp))} | "
          f"{ratio(med(R, ap), med(F, fp)) if ap != 'noop-cold' else '–'} |")
print()
print("| CPU s (machine / tool) | Fundament | Ansible, linear | Ansible, free |")
print("| --- | --- | --- | --- |")
for fp, ap, label in phases:
    if ap is None:
        print(f"| {label} | {cpu(F, fp)} | – | – |")
    else:
        print(f"| {label} | {cpu(F, fp)} | {cpu(L, ap)} | {cpu(R, ap) if ap != 'noop-cold' else '–'} |")
print()
lg = {k: int(st.median(x[3] for x in v)) for k, v in rows.items()}
print("SSH logins per run (median, counted in the sshd logs): " + "; ".join(
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
log "results written to $RESULTS (raw times: ${RESULTS%.md}.tsv: tool, phase, run, wall s, machine CPU s, tool CPU s, SSH logins, exit code)"
