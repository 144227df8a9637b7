# Glance's part of the helper (internal/apicheck's helper.py before it).
SERVICE = "Glance"
PROTECTED = "/v2/images"


def version(status, body):
    # Glance answers / with 300 Multiple Choices and its versions.
    if status not in (200, 300):
        raise ValueError("not 300")
    versions = json.loads(body).get("versions") or []
    for v in versions:
        if v.get("status") == "CURRENT":
            return v.get("id", "")
    return versions[0].get("id", "") if versions else ""


def heads():
    # Glance's migrations run on two branches, expand and contract; the
    # contract head depends on the expand head. The schema is current when
    # the contract head is in the database (glance-manage db check's
    # test): every tip no other tip depends on.
    revs = migrations(versions_dir("glance", "db", "sqlalchemy", "alembic_migrations", "versions"))
    t = tips(revs)
    return t - set().union(*(revs[r][1] for r in t))


if __name__ == "__main__":
    main(sys.argv[1:])
