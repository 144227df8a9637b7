#!/usr/bin/python3
# Written by Fundament; changes here are overwritten.
#
# Fundament's helper on Placement hosts: the read-only check that guards
# the schema migration (it runs at every plan, so it asks the database
# directly instead of starting placement-manage), and the health check.
# The database URL comes from the environment (FM_DB_URL), never from
# the command line, and nothing here prints it.
#
#   wait SECONDS   until the database answers (exit 1 past it)
#   synced         exit 0 when the schema is at the installed Placement's
#                  migration heads
#   health URL...  asks each Placement URL for its version document
#                  (no token) and for resource providers without a token
#                  (Keystone's middleware must refuse: 401); prints JSON
import importlib.util
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 10


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


def wait(seconds):
    deadline = time.time() + float(seconds)
    while True:
        try:
            with connect().cursor() as cur:
                cur.execute("SELECT 1")
            return
        except Exception as e:  # any failure to reach the database
            if time.time() >= deadline:
                fail("the Placement database does not answer after %ss: %s" % (seconds, type(e).__name__))
            time.sleep(3)


REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(.+)$", re.M)


def heads():
    # The migrations the installed package ships: a head is a revision no
    # other one names as its predecessor. Read from the files, as alembic
    # would, without importing Placement (seconds at every plan).
    spec = importlib.util.find_spec("placement")
    versions = os.path.join(spec.submodule_search_locations[0], "db", "sqlalchemy", "alembic", "versions")
    revisions, downs = set(), set()
    for name in os.listdir(versions):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(versions, name)) as f:
            for key, value in REVISION.findall(f.read()):
                value = value.split("#")[0].strip()
                if value == "None":
                    continue
                names = re.findall(r"['\"]([0-9a-f]+)['\"]", value)
                (revisions if key == "revision" else downs).update(names)
    if not revisions:
        fail("no Placement migrations in " + versions)
    return revisions - downs


def synced():
    want = heads()
    try:
        with connect().cursor() as cur:
            cur.execute("SELECT version_num FROM alembic_version")
            have = {r[0] for r in cur.fetchall()}
    except Exception:  # no schema yet, or no database: not synced
        sys.exit(1)
    sys.exit(0 if have == want else 1)


def get(url):
    """Status and body of a GET, or the error that stopped it."""
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.status, r.read(), None
    except urllib.error.HTTPError as e:
        return e.code, e.read(), None
    except Exception as e:  # refused, timed out, TLS
        return 0, b"", "%s: %s" % (type(e).__name__, e)


def health(urls):
    out = {}
    for url in urls:
        start = time.time()
        res = {"ok": False, "error": ""}
        status, body, err = get(url.rstrip("/") + "/")
        if err:
            res["error"] = err
        elif status != 200:
            res["error"] = "version document: HTTP %d" % status
        else:
            try:
                versions = json.loads(body).get("versions") or []
                res["version"] = versions[0].get("max_version", "") if versions else ""
            except ValueError:
                res["error"] = "version document: not JSON"
        if not res["error"]:
            status, _, err = get(url.rstrip("/") + "/resource_providers")
            if err:
                res["error"] = err
            elif status != 401:
                res["error"] = "resource providers without a token: HTTP %d, not 401 (no authentication?)" % status
            else:
                res["ok"] = True
        res["seconds"] = round(time.time() - start, 3)
        out[url] = res
    print(json.dumps(out))


def main(argv):
    if not argv:
        fail("usage: helper.py wait|synced|health ...")
    cmd, args = argv[0], argv[1:]
    if cmd == "wait" and len(args) == 1:
        wait(args[0])
    elif cmd == "synced" and not args:
        synced()
    elif cmd == "health" and args:
        health(args)
    else:
        fail("unknown command or arguments: " + cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
