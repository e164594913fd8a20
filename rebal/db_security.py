"""Row-level security and append-only grants, kept in step with the models on every migrate.

Run by `migrate` (post_migrate, as the owner role) so that no table can be forgotten: every table
with a `firm_id` column gets RLS enabled and forced with the firm policy, every history table and
every model that declares `append_only = True` (records, events) loses UPDATE, DELETE and TRUNCATE
for the application role, and the application role gets the rest.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from psycopg2 import sql
from simple_history.models import HistoricalChanges

CURRENT_FIRM_FUNCTION = """
CREATE OR REPLACE FUNCTION rebal_current_firm() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('rebal.firm_id', true), '')::bigint $$;
"""
CURRENT_USER_FUNCTION = """
CREATE OR REPLACE FUNCTION rebal_current_user() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('rebal.user_id', true), '')::bigint $$;
"""
POLICY_NAME = "firm_isolation"


def firm_owned_tables(cursor: Any) -> list[str]:
    cursor.execute(
        """SELECT c.table_name FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_schema, table_name)
           WHERE c.table_schema = current_schema() AND c.column_name = 'firm_id'
             AND t.table_type = 'BASE TABLE' ORDER BY 1"""
    )
    return [row[0] for row in cursor.fetchall()]


def history_tables() -> list[str]:
    return sorted(
        model._meta.db_table for model in apps.get_models()
        if issubclass(model, HistoricalChanges)
    )


def append_only_tables() -> list[str]:
    """History tables and the tables of models declaring `append_only = True` (written once,
    kept)."""
    declared = {
        model._meta.db_table for model in apps.get_models()
        if getattr(model, "append_only", False)
    }
    return sorted(set(history_tables()) | declared)


def extra_visibility() -> dict[str, str]:
    """Per-table SQL that widens what is visible, declared on the model (rls_also_visible_when)."""
    return {
        model._meta.db_table: getattr(model, "rls_also_visible_when", "")
        for model in apps.get_models()
        if getattr(model, "rls_also_visible_when", "")
    }


def sync_database_security(using: str) -> None:
    connection = connections[using]
    app_role = settings.REBAL_APP_DB_ROLE
    owner_role = connection.settings_dict["USER"]
    with connection.cursor() as cursor:
        cursor.execute(CURRENT_FIRM_FUNCTION)
        cursor.execute(CURRENT_USER_FUNCTION)
        widened = extra_visibility()
        for table in firm_owned_tables(cursor):
            visible = "firm_id = rebal_current_firm()"
            if table in widened:
                visible = f"({visible}) OR ({widened[table]})"
            ident = sql.Identifier(table)
            cursor.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(ident))
            cursor.execute(sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(ident))
            cursor.execute(sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(
                sql.Identifier(POLICY_NAME), ident))
            # Reads may be widened; writes never leave the firm in context.
            cursor.execute(sql.SQL(
                "CREATE POLICY {} ON {} USING ({}) WITH CHECK (firm_id = rebal_current_firm())"
            ).format(sql.Identifier(POLICY_NAME), ident, sql.SQL(visible)))
        if app_role and app_role != owner_role:
            role = sql.Identifier(app_role)
            cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
            cursor.execute(sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
            ).format(role))
            cursor.execute(sql.SQL(
                "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role))
        targets = [app_role] if app_role and app_role != owner_role else []
        for table in append_only_tables():
            for target in targets:
                cursor.execute(sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                    sql.Identifier(table), sql.Identifier(target)))


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # post_migrate fires per app after every migration has run, so all tables exist by now.
    if sender.name == "rebal":
        sync_database_security(using)
