#!/usr/bin/python3
# Written by Fundament; changes here are overwritten.
#
# Fundament's helper on the hosts of an OpenStack API service: the
# read-only check that guards the schema migration (it runs at every
# plan, so it asks the database directly instead of starting the
# service's manage command), and the health check. The database URL
# comes from the environment (FM_DB_URL), never from the command line,
# and nothing here prints it.
#
#   wait SECONDS   until the database answers (exit 1 past it)
#   synced         exit 0 when the schema is at the installed service's
#                  migration heads (the service's own part says how)
#   health URL...  asks each URL for its version document (no token) and
#                  PROTECTED without a token (Keystone's middleware must
#                  refuse: 401); prints JSON
#
# The service's own part, below the common one, defines SERVICE (its
# name in messages), PROTECTED, version(status, body) (the version of a
# version document, or raises ValueError) and heads() (the migration
# heads the database must have), and calls main.
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
                fail("the %s database does not answer after %ss: %s" % (SERVICE, seconds, type(e).__name__))
            time.sleep(3)


FIELD = re.compile(r"^(down_revision|revision|depends_on)\s*=\s*(.+)$", re.M)


def versions_dir(package, *path):
    """A directory of the installed package, found without importing it
    (seconds at every plan)."""
    spec = importlib.util.find_spec(package)
    return os.path.join(spec.submodule_search_locations[0], *path)


def migrations(versions):
    """revision -> (down revisions, depends_on) of every alembic
    migration in versions: read from the files, as alembic would."""
    out = {}
    for name in os.listdir(versions):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(versions, name)) as f:
            fields = {k: re.findall(r"['\"]([^'\"]+)['\"]", v.split("#")[0]) for k, v in FIELD.findall(f.read())}
        for rev in fields.get("revision", []):
            out[rev] = (set(fields.get("down_revision", [])), set(fields.get("depends_on", [])))
    if not out:
        fail("no %s migrations in %s" % (SERVICE, versions))
    return out


def tips(revs):
    """The revisions no other one names as its predecessor."""
    return set(revs) - set().union(*(d for d, _ in revs.values()))


def synced():
    want = heads()
    try:
        with connect().cursor() as cur:
            cur.execute("SELECT version_num FROM alembic_version")
            have = {r[0] for r in cur.fetchall()}
    except Exception:  # no schema yet, or no database: not synced
        sys.exit(1)
    sys.exit(0 if want <= have else 1)


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
        else:
            try:
                res["version"] = version(status, body)
            except (ValueError, AttributeError, IndexError, TypeError) as e:
                res["error"] = "version document: HTTP %d, %s" % (status, e or "not JSON")
        if not res["error"]:
            status, _, err = get(url.rstrip("/") + PROTECTED)
            if err:
                res["error"] = err
            elif status != 401:
                res["error"] = "%s without a token: HTTP %d, not 401 (no authentication?)" % (PROTECTED, status)
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


# @own@
