# Placement's part of the helper (internal/apicheck's helper.py before it).
SERVICE = "Placement"
PROTECTED = "/resource_providers"


def version(status, body):
    if status != 200:
        raise ValueError("not 200")
    versions = json.loads(body).get("versions") or []
    return versions[0].get("max_version", "") if versions else ""


def heads():
    # The schema is current when the database has every head of the
    # migrations the installed package ships.
    return tips(migrations(versions_dir("placement", "db", "sqlalchemy", "alembic", "versions")))


if __name__ == "__main__":
    main(sys.argv[1:])
