"""Creating Rebal's own database roles from an administrative connection.

When DATABASE_URL names a superuser (a developer machine, CI), Rebal uses it only for this: to
create an owner role that runs migrations and an application role that the site, the workers and
the tests connect as. Neither is superuser nor BYPASSRLS, so row-level security binds both.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

OWNER_ROLE = "rebal_owner"
APP_ROLE = "rebal_app"


@dataclass(frozen=True)
class DatabaseUrls:
    owner: str
    app: str


def _password(admin_url: str, role: str) -> str:
    # Deterministic per server and role, so repeated runs agree without storing a secret.
    return hashlib.sha256(f"{admin_url}|{role}".encode()).hexdigest()[:32]


def _with_credentials(url: str, user: str, password: str, dbname: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{quote(user)}:{quote(password)}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, "/" + dbname, parts.query, ""))


def ensure_roles(admin_url: str) -> None:
    with psycopg2.connect(admin_url) as connection, connection.cursor() as cursor:
        connection.autocommit = True
        for role, extra in ((OWNER_ROLE, "CREATEDB"), (APP_ROLE, "NOCREATEDB")):
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            verb = "ALTER" if cursor.fetchone() else "CREATE"
            cursor.execute(
                sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE " + extra
                        + " PASSWORD %s").format(sql.SQL(verb), sql.Identifier(role)),
                [_password(admin_url, role)],
            )


def ensure_database(admin_url: str, dbname: str, *, recreate: bool = False) -> DatabaseUrls:
    """Create roles and (if needed) `dbname` owned by the owner role; return both roles' URLs."""
    ensure_roles(admin_url)
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            if recreate:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(dbname)))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
            if not cursor.fetchone():
                cursor.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(dbname), sql.Identifier(OWNER_ROLE)))
            cursor.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(dbname), sql.Identifier(APP_ROLE)))
    finally:
        connection.close()
    # The public schema must belong to the owner so migrations can create tables in it.
    admin_in_db = urlunsplit(urlsplit(admin_url)._replace(path="/" + dbname))
    connection = psycopg2.connect(admin_in_db)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(
                sql.Identifier(OWNER_ROLE)))
    finally:
        connection.close()
    return DatabaseUrls(
        owner=_with_credentials(admin_url, OWNER_ROLE, _password(admin_url, OWNER_ROLE), dbname),
        app=_with_credentials(admin_url, APP_ROLE, _password(admin_url, APP_ROLE), dbname),
    )


def drop_database(admin_url: str, dbname: str) -> None:
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(dbname)))
    finally:
        connection.close()


def main() -> None:
    """`python -m rebal.dbroles ADMIN_URL DBNAME`: create roles and database, print both URLs."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("admin_url")
    parser.add_argument("dbname")
    args = parser.parse_args()
    urls = ensure_database(args.admin_url, args.dbname)
    print(f"REBAL_OWNER_DATABASE_URL={urls.owner}")
    print(f"REBAL_DATABASE_URL={urls.app}")


if __name__ == "__main__":
    main()
