"""Every firm-owned table is isolated by PostgreSQL itself; the tests connect as a role it binds."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from simple_history.models import HistoricalChanges

from rebal.firm_context import firm_context
from rebal.models import FirmOwnedModel
from rebal.models.base import FirmScopedManager

pytestmark = pytest.mark.django_db


def firm_key_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT DISTINCT table_name FROM information_schema.columns
                          WHERE table_schema = current_schema() AND column_name = 'firm_id'""")
        return sorted(row[0] for row in cursor.fetchall())


def test_connection_is_neither_superuser_nor_bypassrls():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "rebal_app"


def test_application_role_owns_no_table():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        assert cursor.fetchone()[0] == 0


def test_every_firm_key_table_has_forced_rls_and_a_policy():
    tables = firm_key_tables()
    assert "accounts_account" in tables and "rebal_historicalmembership" in tables
    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                                 (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
                          FROM pg_class c WHERE c.relname = ANY(%s)""", [tables])
        rows = {name: (enabled, forced, policies) for name, enabled, forced, policies
                in cursor.fetchall()}
    assert sorted(rows) == tables
    unprotected = [t for t, (enabled, forced, policies) in rows.items()
                   if not (enabled and forced and policies >= 1)]
    assert unprotected == []


def test_every_firm_owned_model_has_the_fail_closed_manager():
    firm_models = [m for m in apps.get_models()
                   if any(f.name == "firm" for f in m._meta.fields)
                   and not issubclass(m, HistoricalChanges)]
    assert firm_models, "expected firm-owned models"
    for model in firm_models:
        assert issubclass(model, FirmOwnedModel), model
        assert isinstance(model._default_manager, FirmScopedManager), model
    histories = [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]
    tables_with_firm = set(firm_key_tables())
    for model in firm_models + [h for h in histories if h._meta.db_table in tables_with_firm]:
        assert model._meta.db_table in tables_with_firm


def test_raw_unscoped_query_sees_only_the_firm_in_context(alice_firm, bob_firm):
    tables = ["accounts_account", "accounts_household", "rebal_membership",
              "accounts_historicalaccount"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            assert cursor.fetchone()[0] == 0, f"{table} visible with no firm set"
    with firm_context(alice_firm.firm), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT firm_id FROM accounts_account")
        assert [row[0] for row in cursor.fetchall()] == [alice_firm.firm.pk]
        cursor.execute("SELECT count(*) FROM accounts_account")
        assert cursor.fetchone()[0] == 2
        cursor.execute("SELECT DISTINCT firm_id FROM accounts_historicalaccount")
        assert [row[0] for row in cursor.fetchall()] == [alice_firm.firm.pk]


def test_database_refuses_writing_into_another_firm(alice_firm, bob_firm):
    from django.db import DatabaseError, transaction

    with firm_context(alice_firm.firm), connection.cursor() as cursor:
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "INSERT INTO accounts_household (firm_id, code, name) VALUES (%s, 'X', 'X')",
                [bob_firm.firm.pk],
            )
        updated = cursor.execute(
            "UPDATE accounts_account SET name = 'hijacked' WHERE firm_id = %s", [bob_firm.firm.pk])
        assert cursor.rowcount == 0, updated
