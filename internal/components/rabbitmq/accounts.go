package rabbitmq

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/fundament-cloud/fundament/internal/endpoint"
	"github.com/fundament-cloud/fundament/internal/model"
	"github.com/fundament-cloud/fundament/internal/resource"
)

// adminUser is RabbitMQ's administrator (tag administrator, every vhost).
const adminUser = "admin"

// accounts is what the accounts command makes: users with their tags
// and the variable of Command.Env that holds each password, vhosts with
// their default queue type, and full permissions. The guard receives it
// as JSON; nothing in it is secret.
type accounts struct {
	Users       []account    `json:"users"`
	AbsentUsers []string     `json:"absent_users"`
	Vhosts      []vhost      `json:"vhosts"`
	Permissions []permission `json:"permissions"`
}

type account struct {
	Name        string   `json:"name"`
	Tags        []string `json:"tags"`
	PasswordEnv string   `json:"password_env"`
}

type vhost struct {
	Name             string `json:"name"`
	DefaultQueueType string `json:"default_queue_type"`
}

type permission struct {
	User  string `json:"user"`
	Vhost string `json:"vhost"`
}

// wantAccounts: the administrator, one user and vhost per service that
// uses the queue (its own vhost: the services cannot see each other's
// queues), and no guest (whose well-known password RabbitMQ accepts from
// localhost).
func wantAccounts(t *topology) accounts {
	dqt := "classic"
	if t.Quorum {
		dqt = "quorum"
	}
	a := accounts{
		Users:       []account{{Name: adminUser, Tags: []string{"administrator"}, PasswordEnv: "RABBITMQ_PASSWORD_ADMIN"}},
		AbsentUsers: []string{"guest"},
		// Never null in the JSON, even without a service: the guard and
		// the definitions iterate over every list.
		Vhosts:      []vhost{},
		Permissions: []permission{{User: adminUser, Vhost: "/"}},
	}
	for _, s := range t.Services {
		a.Users = append(a.Users, account{Name: s.Name, Tags: []string{}, PasswordEnv: passwordEnv(s.Name)})
		a.Vhosts = append(a.Vhosts, vhost{Name: s.Name, DefaultQueueType: dqt})
		a.Permissions = append(a.Permissions, permission{User: s.Name, Vhost: s.Name}, permission{User: adminUser, Vhost: s.Name})
	}
	return a
}

func passwordEnv(user string) string {
	return "RABBITMQ_PASSWORD_" + strings.ToUpper(strings.ReplaceAll(user, "-", "_"))
}

// checkAccounts is the guard's judge (python3, which every OpenStack
// control host has): it reads export_definitions' JSON and exits 0 only
// when the users, their tags and passwords (checked against the salted
// hashes RabbitMQ exports), the vhosts with their default queue type and
// the permissions are as wanted, and the absent users are absent.
const checkAccounts = `import base64, hashlib, json, os, sys
want = json.loads(sys.argv[1])
d = json.load(sys.stdin)
def fail(why):
    print(why, file=sys.stderr)
    sys.exit(1)
algs = {"rabbit_password_hashing_sha256": hashlib.sha256, "rabbit_password_hashing_sha512": hashlib.sha512, "rabbit_password_hashing_md5": hashlib.md5}
def tags(u):
    t = u.get("tags") or []
    if isinstance(t, str):
        t = [x for x in t.split(",") if x]
    return sorted(t)
def password_ok(u, pw):
    h = algs.get(u.get("hashing_algorithm") or "rabbit_password_hashing_sha256")
    raw = base64.b64decode(u.get("password_hash") or "")
    return h is not None and len(raw) > 4 and h(raw[:4] + pw.encode()).digest() == raw[4:]
users = {u["name"]: u for u in d.get("users", [])}
for name in want["absent_users"]:
    if name in users:
        fail("user %s exists" % name)
for w in want["users"]:
    u = users.get(w["name"])
    if u is None:
        fail("no user %s" % w["name"])
    if tags(u) != sorted(w["tags"]):
        fail("user %s has tags %s" % (w["name"], tags(u)))
    if not password_ok(u, os.environ[w["password_env"]]):
        fail("user %s has another password" % w["name"])
vhosts = {v["name"]: v for v in d.get("vhosts", [])}
for w in want["vhosts"]:
    v = vhosts.get(w["name"])
    if v is None:
        fail("no vhost %s" % w["name"])
    dqt = v.get("default_queue_type") or (v.get("metadata") or {}).get("default_queue_type")
    if dqt != w["default_queue_type"]:
        fail("vhost %s has default queue type %s" % (w["name"], dqt))
perms = {(p["user"], p["vhost"]): p for p in d.get("permissions", [])}
for w in want["permissions"]:
    p = perms.get((w["user"], w["vhost"]))
    if p is None or any(p.get(k) != ".*" for k in ("configure", "write", "read")):
        fail("user %s lacks full permissions on vhost %s" % (w["user"], w["vhost"]))
`

// definitions is the generator of the accounts' definitions (RabbitMQ's
// import format), from the wanted accounts and the passwords in the
// environment: each password as a salted SHA-256 hash, RabbitMQ's own
// scheme, so that the file holds no password.
const definitions = `import base64, hashlib, json, os, sys
want = json.loads(sys.argv[1])
def hashed(pw):
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + pw.encode()).digest()).decode()
json.dump({
    "users": [{"name": u["name"], "tags": u["tags"], "limits": {},
               "hashing_algorithm": "rabbit_password_hashing_sha256",
               "password_hash": hashed(os.environ[u["password_env"]])} for u in want["users"]],
    "vhosts": [{"name": v["name"], "default_queue_type": v["default_queue_type"],
                "metadata": {"description": "", "tags": [], "default_queue_type": v["default_queue_type"]}} for v in want["vhosts"]],
    "permissions": [{"user": p["user"], "vhost": p["vhost"], "configure": ".*", "write": ".*", "read": ".*"}
                    for p in want["permissions"]],
}, sys.stdout)
`

// accountsCommand makes the accounts on the first member once the
// cluster has formed (RabbitMQ replicates them to every member): one
// import of definitions (users with their tags and password hashes,
// vhosts with their default queue type, permissions; an import updates
// what exists), then guest goes. The passwords travel only in
// Command.Env; the file rabbitmqctl imports (it reads no standard input
// when Debian's wrapper runs it as the rabbitmq user) holds their salted
// hashes, readable by rabbitmq alone, and is removed. A password changed
// in the repository fails the guard and is set again.
func accountsCommand(t *topology, secret func(string) (string, error)) (resource.Command, error) {
	want := wantAccounts(t)
	env := map[string]string{}
	secretOf := map[string]string{adminUser: adminSecret}
	for _, s := range t.Services {
		secretOf[s.Name] = s.Secret
	}
	for _, u := range want.Users {
		pw, err := secret(secretOf[u.Name])
		if err != nil {
			return resource.Command{}, err
		}
		env[u.PasswordEnv] = pw
	}
	spec, err := json.Marshal(want)
	if err != nil {
		return resource.Command{}, err
	}
	var s strings.Builder
	fmt.Fprintf(&s, `set -eu
umask 077
defs=$(mktemp /tmp/fundament-rabbitmq-definitions.XXXXXX)
trap 'rm -f "$defs"' EXIT
python3 -c %[1]s %[2]s >"$defs"
chown rabbitmq "$defs"
rabbitmqctl -q --timeout 600 await_startup
rabbitmqctl -q import_definitions "$defs"
`, resource.Quote(definitions), resource.Quote(string(spec)))
	for _, u := range want.AbsentUsers {
		fmt.Fprintf(&s, "if rabbitmqctl -s list_users | cut -f1 | grep -qxF %[1]s; then\n\trabbitmqctl -q delete_user %[1]s\nfi\n", resource.Quote(u))
	}
	return resource.Command{
		Name:    "rabbitmq/accounts",
		Script:  s.String(),
		Guard:   serverActive + "rabbitmqctl -q export_definitions - --format json | python3 -c " + resource.Quote(checkAccounts) + " " + resource.Quote(string(spec)) + "\n",
		Env:     env,
		Timeout: "15m",
		// import_definitions declares; deleting an absent user is skipped.
		Idempotent: true,
	}, nil
}

// TransportURL is oslo.messaging's transport_url of an OpenStack service:
// its user on every member of the cluster (clients fail over between
// them), its own vhost.
//
//	rabbit://nova:pw@10.0.20.11:5672,nova:pw@10.0.20.12:5672/nova
func TransportURL(c *model.Cloud, service, password string) (string, error) {
	t, err := newTopology(c)
	if err != nil {
		return "", err
	}
	if len(t.Members) == 0 {
		return "", fmt.Errorf("the transport of %s: no host runs RabbitMQ", service)
	}
	user := url.UserPassword(service, password).String()
	hosts := make([]string, len(t.Members))
	for i, m := range t.Members {
		hosts[i] = user + "@" + endpoint.HostPort(m.Addr, amqpPort)
	}
	return "rabbit://" + strings.Join(hosts, ",") + "/" + url.PathEscape(service), nil
}
