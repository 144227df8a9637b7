package galera

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fundament-cloud/fundament/internal/resource"
)

// helpers are the shell functions of the cluster steps: asking the local
// server (as root over the unix socket, Debian's default account) and
// waiting for it.
const helpers = `sql() { timeout 20 mariadb --connect-timeout=5 -N -B "$@"; }
wsrep() { sql -e "SHOW GLOBAL STATUS LIKE '$1'" 2>/dev/null | cut -f2; }
primary() { [ "$(wsrep wsrep_cluster_status)" = Primary ]; }
synced() { [ "$(wsrep wsrep_local_state_comment)" = Synced ]; }
unit_state() { systemctl is-active ` + unit + ` 2>/dev/null | head -n 1; }
# An SST (a full copy from a donor) is running: a joiner may stay
# "activating" for as long as it takes. [_]: grep's own command line,
# and this script's, do not match.
sst_running() { grep -lsa 'wsrep[_]sst_' /proc/[0-9]*/cmdline >/dev/null; }
# settle SECONDS: wait while the server is starting (joining, restoring
# the last primary component with its peers), longer while an SST runs.
settle() {
	end=$(($(date +%s) + $1))
	while [ "$(unit_state)" = activating ]; do
		if sst_running; then end=$(($(date +%s) + $1)); fi
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 2
	done
}
# halt: stop the server. One that waits for its peers ignores SIGTERM
# (and the unit never sends SIGKILL): it is killed at once, which costs
# nothing, as it has not joined anything; one that serves gets five
# minutes to shut down cleanly. The stop job keeps systemd from
# restarting a killed server (Restart=on-abnormal).
halt() {
	was=$(unit_state)
	case $was in inactive | failed | "")
		systemctl reset-failed ` + unit + ` 2>/dev/null || true
		return 0 ;;
	esac
	systemctl stop --no-block ` + unit + `
	end=$(($(date +%s) + 300))
	[ "$was" != activating ] || end=0
	while :; do
		case $(unit_state) in inactive | failed | "") break ;; esac
		if [ "$(date +%s)" -ge "$end" ]; then systemctl kill -s KILL ` + unit + ` 2>/dev/null || true; fi
		sleep 1
	done
	systemctl reset-failed ` + unit + ` 2>/dev/null || true
}
# gone: the server neither runs nor is about to (no start job queued:
# right after systemctl start --no-block the unit may still be inactive).
gone() {
	case $(unit_state) in
	failed | inactive | "") [ -z "$(systemctl list-jobs --no-legend ` + unit + ` 2>/dev/null)" ] ;;
	*) return 1 ;;
	esac
}
# reached_primary EPOCH: since then the server was part of a primary
# component (Galera logs each new component; the SQL socket opens only
# once a joiner has its state).
reached_primary() { journalctl -u ` + unit + ` --since "@$1" -o cat --no-pager 2>/dev/null | grep -q 'New COMPONENT: primary = yes'; }
# wait_synced SECONDS: until the server is Synced in a primary component;
# fails early when the unit fails.
wait_synced() {
	end=$(($(date +%s) + $1))
	until primary && synced; do
		if gone; then
			# Lower-cased: the engine retries steps whose errors say
			# "Connection timed out", meaning SSH; Galera's says nothing
			# about the transport.
			echo "fundament: ` + unit + ` stopped; its last messages:" >&2
			journalctl -u ` + unit + ` -n 15 --no-pager -o cat 2>&1 | sed 's/Connection timed out/connection timed out/g' >&2 || true
			return 1
		fi
		if sst_running; then end=$(($(date +%s) + $1)); fi
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 2
	done
}
`

// guardPrimary is the guard of the cluster steps: the member is in a
// primary component.
const guardPrimary = helpers + "primary\n"

// comment turns text into shell comment lines (the decision's reason in
// a step, for the plan's reader).
func comment(text string) string {
	var b strings.Builder
	words := strings.Fields(text)
	line := "#"
	for _, w := range words {
		if len(line)+1+len(w) > 100 && line != "#" {
			b.WriteString(line + "\n")
			line = "#"
		}
		line += " " + w
	}
	if line != "#" {
		b.WriteString(line + "\n")
	}
	return b.String()
}

// joinScript brings a member into the primary component that runs
// elsewhere: a member that is starting gets time to finish (it may be
// receiving a state transfer, or restoring the cluster with its peers);
// a server outside the primary component (started standalone before
// Fundament configured it, or cut off) is stopped; then mariadb.service
// starts and Galera joins the cluster (IST, or an SST from a donor).
func joinScript(host string) string {
	return "set -u\n" + helpers + `if primary; then
	echo "fundament: ` + host + ` is in the primary component already"
	exit 0
fi
settle 120 || true
if ! primary; then
	case $(unit_state) in
	activating | active | reloading)
		echo "fundament: MariaDB on ` + host + ` runs outside the primary component; restarting it to join"
		halt
		;;
	esac
	systemctl reset-failed ` + unit + ` 2>/dev/null || true
	echo "fundament: starting MariaDB on ` + host + ` to join the cluster"
	systemctl start --no-block ` + unit + `
fi
if ! wait_synced 420; then
	echo "fundament: ` + host + ` did not become Synced in the primary component (state: $(wsrep wsrep_local_state_comment), unit $(unit_state))" >&2
	exit 1
fi
echo "fundament: ` + host + ` is Synced in the primary component"
`
}

// bootstrapScript makes the seed the first member of a primary component,
// unless one exists: the guard and the first test skip it when the seed
// is in one, and the steps before galera_new_cluster make sure that no
// peer has one (two primaries would be a split brain):
//
//  1. A server that is starting is given time: it may be restoring the
//     last primary component with its peers (pc.recovery).
//  2. A server that still runs outside a primary component is stopped
//     (killed while it waits for peers: it ignores SIGTERM then), so that
//     it starts again with the current configuration.
//  3. Where a peer's Galera port answers, the seed first starts as a
//     joiner: if a primary component exists, Galera joins it and
//     nothing is bootstrapped (once its log says it reached one, the
//     step never bootstraps, even if the state transfer then fails); if
//     the peers wait for the seed to restore their last primary
//     component, that happens here.
//  4. Otherwise the seed's grastate.dat is marked safe to bootstrap (the
//     decision chose it for the most recent position) and
//     galera_new_cluster starts it as a new primary component, which the
//     others join.
func bootstrapScript(ms []member, seed int, d decision) string {
	m := ms[seed]
	var peers []string
	for j, p := range ms {
		if j != seed {
			peers = append(peers, p.Addr.String())
		}
	}
	return "set -u\n" + comment("fundament: "+d.Reason) + helpers + fmt.Sprintf(`if primary; then
	echo "fundament: %[1]s is in a primary component already: nothing to bootstrap"
	exit 0
fi
settle 60 || true
if primary; then
	echo "fundament: %[1]s restored the primary component with its peers"
	wait_synced 420 || exit 1
	exit 0
fi
halt
up=
for a in %[2]s; do
	if timeout 3 bash -c "exec 3<>/dev/tcp/$a/%[3]d" 2>/dev/null; then up="$up $a"; fi
done
if [ -n "$up" ]; then
	echo "fundament: Galera answers on$up: starting %[1]s as a joiner first, in case a primary component exists there"
	t0=$(date +%%s)
	systemctl start --no-block %[4]s
	while ! primary && ! gone && ! reached_primary "$t0" && [ "$(date +%%s)" -lt $((t0 + 60)) ]; do
		sleep 2
	done
	if primary || reached_primary "$t0"; then
		# Reached: it may still be receiving a state transfer, but a
		# primary component exists, and a second one must not.
		echo "fundament: %[1]s joined a primary component: nothing to bootstrap"
		if ! wait_synced 420; then
			echo "fundament: %[1]s found a primary component but did not become Synced in it; not bootstrapping a second one" >&2
			exit 1
		fi
		exit 0
	fi
	halt
fi
if [ -f %[5]s ]; then
	sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' %[5]s
fi
echo %[6]s
echo "fundament: bootstrapping the cluster on %[1]s (galera_new_cluster)"
galera_new_cluster
if ! wait_synced 300; then
	echo "fundament: %[1]s did not become primary after galera_new_cluster" >&2
	exit 1
fi
echo "fundament: %[1]s is the primary component; the other members join it"
`, m.Host, strings.Join(peers, " "), groupPort, unit, grastatePath, resource.Quote("fundament: "+d.Reason))
}

// blockedScript fails with the reason the decision gives: no member may
// safely bootstrap the cluster, and Fundament will not guess.
func blockedScript(host string, d decision) string {
	return "set -u\n" + comment("fundament: "+d.Reason) + helpers + `if primary; then
	exit 0
fi
echo "fundament: ` + host + ` cannot join: no primary component runs, and no member is bootstrapped:" >&2
echo ` + resource.Quote(d.Reason) + ` >&2
exit 1
`
}

// sstUserScript creates or updates the SST account (its password in
// GALERA_SST_PASSWORD) with what mariabackup needs on a donor.
func sstUserScript() string {
	return "set -eu\n" + helpers + `sql <<SQL
CREATE USER IF NOT EXISTS '` + sstUser + `'@'localhost';
ALTER USER '` + sstUser + `'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('$GALERA_SST_PASSWORD');
GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO '` + sstUser + `'@'localhost';
SQL
`
}

// sstUserGuard holds when the account exists with the password and its
// privileges.
func sstUserGuard() string {
	return helpers + `test "$(sql <<SQL
SELECT COUNT(*) FROM mysql.user WHERE User = '` + sstUser + `' AND Host = 'localhost'
 AND plugin = 'mysql_native_password' AND authentication_string = PASSWORD('$GALERA_SST_PASSWORD')
 AND Reload_priv = 'Y' AND Process_priv = 'Y' AND Lock_tables_priv = 'Y' AND Repl_client_priv = 'Y';
SQL
)" = 1
`
}

// databaseScript creates a service's databases and its account from each
// of the hosts (host patterns), with every privilege on its databases;
// the password comes from GALERA_DB_PASSWORD. An account whose password
// changes (a rotated secret) accepts the new one and, as a second way
// in, the previous one (MariaDB's IDENTIFIED VIA ... OR ...): the
// service's members still running with the old one keep connecting
// until each is restarted, and the service's component retires the old
// one after that (RetirePreviousPassword). An account that has the
// password already is left alone, so a retirement still due stays due.
func databaseScript(db serviceDB, hosts []string) string {
	var b strings.Builder
	b.WriteString("set -eu\n" + helpers + "sql <<SQL\n")
	for _, name := range db.Databases {
		fmt.Fprintf(&b, "CREATE DATABASE IF NOT EXISTS %s;\n", name)
	}
	for _, h := range hosts {
		acct := "'" + db.User + "'@'" + h + "'"
		// The statement is built in SQL (the previous hash is only known
		// there), so its quotes are doubled inside the literal.
		alter := "ALTER USER " + strings.ReplaceAll(acct, "'", "''") +
			" IDENTIFIED VIA mysql_native_password USING PASSWORD(''$GALERA_DB_PASSWORD'')"
		fmt.Fprintf(&b, "CREATE USER IF NOT EXISTS %s;\n", acct)
		fmt.Fprintf(&b, "SET @prev = (SELECT authentication_string FROM mysql.user WHERE User = '%s' AND Host = '%s');\n", db.User, h)
		fmt.Fprintf(&b, "SET @stmt = CASE WHEN @prev = PASSWORD('$GALERA_DB_PASSWORD') THEN 'DO 0'\n"+
			" WHEN @prev IS NULL OR @prev = '' THEN '%s'\n"+
			" ELSE CONCAT('%s OR mysql_native_password USING ''', @prev, '''') END;\n", alter, alter)
		b.WriteString("PREPARE stmt FROM @stmt; EXECUTE stmt; DEALLOCATE PREPARE stmt;\n")
		for _, name := range db.Databases {
			fmt.Fprintf(&b, "GRANT ALL PRIVILEGES ON %s.* TO %s;\n", name, acct)
		}
	}
	b.WriteString("SQL\n")
	return b.String()
}

// retireScript ends a password change of a service's accounts: each that
// still accepts a previous password (a second way in) accepts only the
// one in GALERA_DB_PASSWORD from now on.
func retireScript(db serviceDB, hosts []string) string {
	var b strings.Builder
	b.WriteString("set -eu\n" + helpers + "sql <<SQL\n")
	for _, h := range hosts {
		acct := "'" + db.User + "'@'" + h + "'"
		fmt.Fprintf(&b, "SET @stmt = IF((SELECT COALESCE(JSON_LENGTH(Priv, '$.auth_or'), 0) > 1 FROM mysql.global_priv WHERE User = '%s' AND Host = '%s'),\n"+
			" 'ALTER USER %s IDENTIFIED VIA mysql_native_password USING PASSWORD(''$GALERA_DB_PASSWORD'')', 'DO 0');\n",
			db.User, h, strings.ReplaceAll(acct, "'", "''"))
		b.WriteString("PREPARE stmt FROM @stmt; EXECUTE stmt; DEALLOCATE PREPARE stmt;\n")
	}
	b.WriteString("SQL\n")
	return b.String()
}

// retireGuard holds when no account of the service accepts a second
// password. MariaDB keeps auth_or with the one method, [{}], after an
// account went back to one.
func retireGuard(db serviceDB, hosts []string) string {
	return helpers + `test "$(sql <<SQL
SELECT COUNT(*) FROM mysql.global_priv WHERE User = '` + db.User + `' AND Host IN (` + sqlList(hosts) + `) AND JSON_LENGTH(Priv, '$.auth_or') > 1;
SQL
)" = 0
`
}

// databaseGuard holds when the databases exist and every account has the
// password and its privileges on each of them.
func databaseGuard(db serviceDB, hosts []string) string {
	dbs := sqlList(db.Databases)
	want := len(db.Databases) + len(hosts) + len(hosts)*len(db.Databases)
	return helpers + `test "$(sql <<SQL
SELECT
 (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (` + dbs + `))
 + (SELECT COUNT(*) FROM mysql.user WHERE User = '` + db.User + `' AND Host IN (` + sqlList(hosts) + `)
    AND plugin = 'mysql_native_password' AND authentication_string = PASSWORD('$GALERA_DB_PASSWORD'))
 + (SELECT COUNT(*) FROM mysql.db WHERE User = '` + db.User + `' AND Host IN (` + sqlList(hosts) + `) AND Db IN (` + dbs + `)
    AND Select_priv = 'Y' AND Insert_priv = 'Y' AND Update_priv = 'Y' AND Delete_priv = 'Y'
    AND Create_priv = 'Y' AND Drop_priv = 'Y' AND Alter_priv = 'Y' AND Index_priv = 'Y');
SQL
)" = ` + strconv.Itoa(want) + "\n"
}

// sqlList is values as an SQL list of string literals: 'a', 'b'. The
// values are names from the model (users, hosts, databases), which
// validation limits to characters that need no escaping.
func sqlList(values []string) string {
	return "'" + strings.Join(values, "', '") + "'"
}
