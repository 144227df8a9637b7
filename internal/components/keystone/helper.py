#!/usr/bin/python3
# Written by Fundament; changes here are overwritten.
#
# Fundament's helper on Keystone hosts: the read-only checks that guard
# Keystone's one-time steps (they run at every plan, so they ask the
# database directly instead of starting keystone-manage), the setup that
# needs Keystone's API, and the health check. Secrets come from the
# environment (FM_DB_URL, OS_PASSWORD) or from the admin's clouds.yaml,
# never from the command line, and nothing here prints them or a token.
#
#   wait SECONDS            until the database answers (exit 1 past it)
#   synced                  exit 0 when the schema is at the installed
#                           Keystone's expand and contract heads
#   bootstrapped REGION PUBLIC_URL INTERNAL_URL
#                           exit 0 when keystone-manage bootstrap has
#                           nothing to do (admin with this password, roles,
#                           region, identity endpoints)
#   projects REGION...      exit 0 when the service project and the regions
#                           exist
#   ensure-projects URL REGION...
#                           create them through the API at URL
#   registered SPEC         exit 0 when a service's user (password from
#                           FM_SERVICE_PASSWORD), its roles on the service
#                           project, its catalog service and endpoints are
#                           as SPEC (JSON) says
#   register URL SPEC       make them so through the API at URL
#   health CLOUDS_YAML CLOUD URL...
#                           a token round trip at each URL; prints JSON
import importlib.util
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ADMIN = "admin"
DEFAULT_DOMAIN = "default"
SERVICE_PROJECT = "service"
# TIMEOUT bounds each API call. The health check keeps 10 seconds (a
# Keystone slower than that is not healthy); the setup steps wait longer
# for an answer, as a loaded machine's Keystone may take that long to
# hash a password, and a step that fails on a slow answer only fails
# the apply.
TIMEOUT = 10
SETUP_TIMEOUT = 90


def fail(msg):
    print("fundament: " + msg, file=sys.stderr)
    sys.exit(1)


def connect():
    import pymysql

    u = urllib.parse.urlsplit(os.environ["FM_DB_URL"])
    return pymysql.connect(
        host=u.hostname,
        port=u.port or 3306,
        user=urllib.parse.unquote(u.username or ""),
        password=urllib.parse.unquote(u.password or ""),
        database=u.path.lstrip("/"),
        connect_timeout=5,
        read_timeout=20,
    )


def query(db, sql, *args):
    with db.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def wait(seconds):
    deadline = time.time() + float(seconds)
    while True:
        try:
            db = connect()
            query(db, "SELECT 1")
            return
        except Exception as e:  # any failure to reach the database
            if time.time() >= deadline:
                fail("the Keystone database does not answer after %ss: %s" % (seconds, type(e).__name__))
            time.sleep(3)


def synced():
    # The heads of the installed Keystone's migrations, from the files
    # Keystone keeps next to them (its tests check they are right).
    spec = importlib.util.find_spec("keystone")
    versions = os.path.join(spec.submodule_search_locations[0], "common", "sql", "migrations", "versions")
    want = set()
    for name in ("EXPAND_HEAD", "CONTRACT_HEAD"):
        with open(os.path.join(versions, name)) as f:
            want.add(f.read().strip())
    db = connect()
    have = {r[0] for r in query(db, "SELECT version_num FROM alembic_version")}
    sys.exit(0 if have == want else 1)


def password_matches(db, user, password):
    import bcrypt

    rows = query(
        db,
        "SELECT p.password_hash FROM local_user lu JOIN password p ON p.local_user_id = lu.id "
        "WHERE lu.name = %s AND lu.domain_id = %s ORDER BY p.created_at_int DESC, p.id DESC LIMIT 1",
        user,
        DEFAULT_DOMAIN,
    )
    if not rows or not rows[0][0]:
        return False
    hashed = rows[0][0]
    if not hashed.startswith("$2"):
        return False  # not bcrypt (Keystone's default): let the step decide
    # bcrypt looks at 72 bytes at most, as Keystone truncates them.
    return bcrypt.checkpw(password.encode()[:72], hashed.encode())


def bootstrapped(region, public_url, internal_url):
    db = connect()
    roles = {r[0] for r in query(db, "SELECT name FROM role WHERE domain_id = '<<null>>'")}
    if not {"admin", "member", "reader", "manager", "service"} <= roles:
        sys.exit(1)
    assigned = query(
        db,
        "SELECT 1 FROM assignment a JOIN local_user lu ON lu.user_id = a.actor_id "
        "JOIN project p ON p.id = a.target_id JOIN role r ON r.id = a.role_id "
        "WHERE a.type = 'UserProject' AND lu.name = %s AND lu.domain_id = %s "
        "AND p.name = %s AND p.domain_id = %s AND r.name = 'admin'",
        ADMIN,
        DEFAULT_DOMAIN,
        ADMIN,
        DEFAULT_DOMAIN,
    )
    if not assigned or not query(db, "SELECT 1 FROM region WHERE id = %s", region):
        sys.exit(1)
    for iface, url in (("public", public_url), ("internal", internal_url)):
        ok = query(
            db,
            "SELECT 1 FROM endpoint e JOIN service s ON s.id = e.service_id "
            "WHERE s.type = 'identity' AND e.interface = %s AND e.url = %s AND e.region_id = %s",
            iface,
            url,
            region,
        )
        if not ok:
            sys.exit(1)
    sys.exit(0 if password_matches(db, ADMIN, os.environ["OS_BOOTSTRAP_PASSWORD"]) else 1)


def projects(regions):
    db = connect()
    if not query(db, "SELECT 1 FROM project WHERE name = %s AND domain_id = %s", SERVICE_PROJECT, DEFAULT_DOMAIN):
        sys.exit(1)
    for r in regions:
        if not query(db, "SELECT 1 FROM region WHERE id = %s", r):
            sys.exit(1)
    sys.exit(0)


def request(method, url, token=None, body=None, subject=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    if subject:
        req.add_header("X-Subject-Token", subject)
    with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
        raw = resp.read()
        return resp.status, resp.headers, (json.loads(raw) if raw else None)


def issue_token(base, user, password, project, user_domain, project_domain):
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": user, "domain": {"name": user_domain}, "password": password}},
            },
            "scope": {"project": {"name": project, "domain": {"name": project_domain}}},
        }
    }
    status, headers, doc = request("POST", base + "/auth/tokens", body=body)
    token = headers.get("X-Subject-Token")
    if status != 201 or not token:
        raise RuntimeError("issuing a token answered %d" % status)
    return token, doc["token"]


def describe(e):
    if isinstance(e, urllib.error.HTTPError):
        return "HTTP %d %s" % (e.code, e.reason)
    if isinstance(e, urllib.error.URLError):
        return str(e.reason)
    return "%s: %s" % (type(e).__name__, e)


def admin_token(base):
    password = os.environ["OS_PASSWORD"]
    deadline = time.time() + 300
    while True:
        try:
            token, _ = issue_token(base, ADMIN, password, ADMIN, "Default", "Default")
            return token
        except Exception as e:  # Keystone still starting
            if time.time() >= deadline:
                fail("Keystone at %s issues no token after 5 minutes: %s" % (base, describe(e)))
            time.sleep(3)


def ensure_projects(base, regions):
    token = admin_token(base)
    _, _, doc = request("GET", base + "/projects?" + urllib.parse.urlencode({"name": SERVICE_PROJECT, "domain_id": DEFAULT_DOMAIN}), token)
    if not doc["projects"]:
        request(
            "POST",
            base + "/projects",
            token,
            {"project": {"name": SERVICE_PROJECT, "domain_id": DEFAULT_DOMAIN, "description": "Service users of the OpenStack services"}},
        )
        print("fundament: created the project %s" % SERVICE_PROJECT)
    for r in regions:
        try:
            request("GET", base + "/regions/" + urllib.parse.quote(r, safe=""), token)
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
            request("POST", base + "/regions", token, {"region": {"id": r}})
            print("fundament: created the region %s" % r)


def registered(spec):
    s = json.loads(spec)
    db = connect()
    if s["roles"] is not None:
        users = query(db, "SELECT user_id FROM local_user WHERE name = %s AND domain_id = %s", s["name"], DEFAULT_DOMAIN)
        if not users or not password_matches(db, s["name"], os.environ["FM_SERVICE_PASSWORD"]):
            sys.exit(1)
        if not query(db, "SELECT 1 FROM `user` WHERE id = %s AND enabled = 1", users[0][0]):
            sys.exit(1)
        for role in s["roles"]:
            assigned = query(
                db,
                "SELECT 1 FROM assignment a JOIN project p ON p.id = a.target_id JOIN role r ON r.id = a.role_id "
                "WHERE a.type = 'UserProject' AND a.actor_id = %s AND p.name = %s AND p.domain_id = %s "
                "AND r.name = %s AND r.domain_id = '<<null>>'",
                users[0][0],
                SERVICE_PROJECT,
                DEFAULT_DOMAIN,
                role,
            )
            if not assigned:
                sys.exit(1)
    if s["type"]:
        ids = [r[0] for r in query(db, "SELECT id, extra FROM service WHERE type = %s AND enabled = 1", s["type"])
               if json.loads(r[1] or "{}").get("name") == s["name"]]
        if len(ids) != 1:
            sys.exit(1)
        for iface, url in s["endpoints"].items():
            urls = query(
                db,
                "SELECT url FROM endpoint WHERE service_id = %s AND interface = %s AND region_id = %s AND enabled = 1",
                ids[0],
                iface,
                s["region"],
            )
            if [r[0] for r in urls] != [url]:
                sys.exit(1)
    sys.exit(0)


def one(base, token, what, query_args):
    _, _, doc = request("GET", base + "/" + what + "?" + urllib.parse.urlencode(query_args), token)
    found = doc[what]
    return found[0] if found else None


def register(base, spec):
    s = json.loads(spec)
    token = admin_token(base)
    name = s["name"]
    if s["roles"] is not None:
        password = os.environ["FM_SERVICE_PASSWORD"]
        user = one(base, token, "users", {"name": name, "domain_id": DEFAULT_DOMAIN})
        if user is None:
            _, _, doc = request(
                "POST",
                base + "/users",
                token,
                {"user": {"name": name, "domain_id": DEFAULT_DOMAIN, "password": password, "enabled": True,
                          "description": "service user of " + name}},
            )
            user = doc["user"]
            print("fundament: created the user %s" % name)
        else:
            try:
                issue_token(base, name, password, SERVICE_PROJECT, "Default", "Default")
            except Exception:  # another password, or disabled, or no role yet
                request("PATCH", base + "/users/" + user["id"], token, {"user": {"password": password, "enabled": True}})
                print("fundament: set the password of the user %s" % name)
        project = one(base, token, "projects", {"name": SERVICE_PROJECT, "domain_id": DEFAULT_DOMAIN})
        if project is None:
            fail("there is no project %s" % SERVICE_PROJECT)
        for role_name in s["roles"]:
            role = one(base, token, "roles", {"name": role_name})
            if role is None:
                fail("there is no role %s" % role_name)
            request("PUT", "%s/projects/%s/users/%s/roles/%s" % (base, project["id"], user["id"], role["id"]), token)
    if s["type"]:
        _, _, doc = request("GET", base + "/services?" + urllib.parse.urlencode({"type": s["type"]}), token)
        mine = [x for x in doc["services"] if x.get("name") == name]
        if mine:
            svc = mine[0]
            if not svc.get("enabled", True):
                request("PATCH", base + "/services/" + svc["id"], token, {"service": {"enabled": True}})
        else:
            _, _, doc = request("POST", base + "/services", token, {"service": {"type": s["type"], "name": name, "enabled": True}})
            svc = doc["service"]
            print("fundament: created the service %s (%s)" % (name, s["type"]))
        for extra in mine[1:]:
            request("DELETE", base + "/services/" + extra["id"], token)
        for iface, url in sorted(s["endpoints"].items()):
            q = {"service_id": svc["id"], "interface": iface, "region_id": s["region"]}
            _, _, doc = request("GET", base + "/endpoints?" + urllib.parse.urlencode(q), token)
            have = doc["endpoints"]
            if not have:
                request("POST", base + "/endpoints", token, {"endpoint": dict(q, url=url, enabled=True)})
                print("fundament: created the %s endpoint of %s: %s" % (iface, name, url))
                continue
            if have[0]["url"] != url or not have[0].get("enabled", True):
                request("PATCH", base + "/endpoints/" + have[0]["id"], token, {"endpoint": {"url": url, "enabled": True}})
                print("fundament: set the %s endpoint of %s to %s" % (iface, name, url))
            for extra in have[1:]:
                request("DELETE", base + "/endpoints/" + extra["id"], token)


def health(clouds_yaml, cloud, urls):
    import yaml

    with open(clouds_yaml) as f:
        auth = yaml.safe_load(f)["clouds"][cloud]["auth"]
    out = {}
    for url in urls:
        res = {"ok": False}
        start = time.monotonic()
        try:
            token, tok = issue_token(
                url, auth["username"], auth["password"], auth["project_name"], auth["user_domain_name"], auth["project_domain_name"]
            )
            # The round trip: the same Keystone validates what it issued.
            status, _, _ = request("GET", url + "/auth/tokens", token=token, subject=token)
            if status != 200:
                raise RuntimeError("validating the token answered %d" % status)
            res["ok"] = True
            res["catalog"] = [
                {"type": s.get("type"), "interface": e.get("interface"), "region": e.get("region_id") or e.get("region"), "url": e.get("url")}
                for s in tok.get("catalog", [])
                for e in s.get("endpoints", [])
            ]
        except Exception as e:  # reported, not raised: one URL down is a result
            res["error"] = describe(e)
        res["seconds"] = round(time.monotonic() - start, 3)
        out[url] = res
    json.dump(out, sys.stdout)
    print()


def main(argv):
    if not argv:
        fail("no command")
    cmd, args = argv[0], argv[1:]
    global TIMEOUT
    if cmd in ("ensure-projects", "register"):
        TIMEOUT = SETUP_TIMEOUT
    if cmd == "wait" and len(args) == 1:
        wait(args[0])
    elif cmd == "synced" and not args:
        synced()
    elif cmd == "bootstrapped" and len(args) == 3:
        bootstrapped(*args)
    elif cmd == "projects":
        projects(args)
    elif cmd == "ensure-projects" and args:
        ensure_projects(args[0], args[1:])
    elif cmd == "registered" and len(args) == 1:
        registered(args[0])
    elif cmd == "register" and len(args) == 2:
        register(args[0], args[1])
    elif cmd == "health" and len(args) >= 3:
        health(args[0], args[1], args[2:])
    else:
        fail("usage: %s" % " ".join(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
