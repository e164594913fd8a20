"""The record of every analysis: settings and target stored once per content, the data it used
named by lot set, cash balance, dates and feed files with their checksums; refused UPDATE and
DELETE for the application role; replayed by `manage.py replay_analysis`.

The replay tests need records an owner connection can alter, so their demo firm is committed
(module fixture) and erased afterwards through the administrative connection.
"""

from __future__ import annotations

import hashlib
import io
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, models, transaction

from accounts.models import Account, CashBalance, LotSet
from dataops.models import FeedFile
from demo.model_book import model_book_ensure
from demo.services import demo_firm_ensure
from optimizer.chunk_analysis import chunk_analyze
from optimizer.models import (
    Analysis,
    DataContent,
    ProposedTrade,
    SettingsContent,
    TargetContent,
)
from optimizer.records import canonical_json
from optimizer.services import account_analyze
from rebal.audit import audit_context
from rebal.db_security import firm_owned_tables
from rebal.firm_context import firm_context
from tests.optimizer.conftest import CHUNK_DEMO_DATE

RECORD_MODELS = (Analysis, ProposedTrade, SettingsContent, TargetContent, DataContent)


def _erase_firm(admin_url: str, dbname: str, firm_id: int) -> None:
    """Every row of the firm, as the administrator (the records refuse the application role)."""
    url = urlunsplit(urlsplit(admin_url)._replace(path="/" + dbname))
    with psycopg2.connect(url) as admin, admin.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK order to follow
        for table in firm_owned_tables(cursor):
            cursor.execute(f'DELETE FROM "{table}" WHERE firm_id = %s', [firm_id])  # noqa: S608
        cursor.execute("DELETE FROM rebal_firm WHERE id = %s", [firm_id])
    admin.close()


@pytest.fixture(scope="module")
def committed(django_db_setup, django_db_blocker, chunk_demo_folder, test_database,
              admin_database_url):
    """A 30-account demo firm loaded and analyzed by the nightly chunk, committed."""
    with django_db_blocker.unblock():
        firm, _ = demo_firm_ensure(code="RECORDS")
        call_command("load_feeds", "--firm", firm.code, str(chunk_demo_folder),
                     stdout=io.StringIO())
        model_book_ensure(firm=firm)
        with firm_context(firm):
            ids = list(Account.objects.filter(status="open").exclude(program_code="")
                       .order_by("tax_entity_id", "account_number").values_list("pk", flat=True))
            with transaction.atomic():
                outcomes = chunk_analyze(account_ids=ids, as_of=CHUNK_DEMO_DATE)
        try:
            yield firm, {o.account_id: o.analysis_id for o in outcomes}
        finally:
            connections.close_all()
            _erase_firm(admin_database_url, test_database["name"], firm.pk)


pytestmark = pytest.mark.django_db


def test_every_nightly_analysis_records_its_settings_target_and_data(committed):
    firm, analysis_ids = committed
    assert all(analysis_ids.values())
    with firm_context(firm):
        analyses = list(Analysis.objects.filter(pk__in=analysis_ids.values())
                        .select_related("settings_content", "target_content", "data_content"))
        contents = [*SettingsContent.objects.all(), *TargetContent.objects.all(),
                    *DataContent.objects.all()]
        lot_sets = LotSet.objects.in_bulk([a.lot_set_id for a in analyses])
        balances = CashBalance.objects.in_bulk([a.cash_balance_id for a in analyses])
        files = FeedFile.objects.in_bulk()
    assert len(analyses) == len(analysis_ids) > 20
    for content in contents:  # the hash is the canonical JSON's: anyone can check it
        assert content.sha256 == hashlib.sha256(
            canonical_json(content.content).encode()).hexdigest()
    # The book resolves to a handful of distinct settings and targets.
    assert len({a.settings_content_id for a in analyses}) < len(analyses)
    assert len({a.target_content_id for a in analyses}) < len(analyses)
    assert len({a.data_content_id for a in analyses}) == 1  # one night's market data
    for analysis in analyses:
        assert analysis.settings_content.content["tax_sensitivity"]["source"]["label"]
        assert analysis.target_content.content["securities"]
        sources = analysis.record_sources
        assert sources["path"] == "nightly"
        assert "prices" not in analysis.sources  # the market data is shared, not repeated
        lot_set = lot_sets[analysis.lot_set_id]
        assert lot_set.account_id == analysis.account_id
        assert sources["lot_set"]["file"] == lot_set.feed_file_id
        assert sources["files"][str(lot_set.feed_file_id)] == files[lot_set.feed_file_id].checksum
        assert sources["cash"]["amount"] == str(balances[analysis.cash_balance_id].cash)
        assert sources["prices"]["through"] == CHUNK_DEMO_DATE.isoformat()
        assert sources["prices"]["files"] and sources["risk_model"]["files"]
        for file_id in sources["prices"]["files"] + sources["risk_model"]["files"]:
            assert sources["files"][str(file_id)] == files[file_id].checksum
        assert sources["software"]["osqp"]
        assert analysis.solver["status"]


def test_contents_are_stored_once_per_firm(committed):
    firm, analysis_ids = committed
    with firm_context(firm):
        before = (SettingsContent.objects.count(), TargetContent.objects.count(),
                  DataContent.objects.count())
        first = {a.account_id: (a.settings_content_id, a.target_content_id)
                 for a in Analysis.objects.filter(pk__in=analysis_ids.values())}
        outcomes = chunk_analyze(account_ids=list(analysis_ids), as_of=CHUNK_DEMO_DATE)
        again = {a.account_id: (a.settings_content_id, a.target_content_id)
                 for a in Analysis.objects.filter(pk__in=[o.analysis_id for o in outcomes])}
        account = Account.objects.get(pk=next(iter(analysis_ids)))
        with audit_context(system_job="tests"):
            single = account_analyze(account=account, as_of=CHUNK_DEMO_DATE)
        after = (SettingsContent.objects.count(), TargetContent.objects.count(),
                 DataContent.objects.count())
        nightly = Analysis.objects.get(pk=analysis_ids[account.pk])
        nightly_lot_set, nightly_data = nightly.lot_set_id, nightly.data_content_id
    assert after == before
    assert again == first
    assert (single.settings_content_id, single.target_content_id) == first[account.pk]
    assert single.sources["path"] == "single"
    assert single.data_content_id == nightly_data
    assert single.lot_set_id == nightly_lot_set


@pytest.mark.parametrize("model", RECORD_MODELS, ids=lambda m: m.__name__)
def test_the_application_role_cannot_update_or_delete_records(model, committed):
    firm, _ = committed
    table = model._meta.db_table
    with firm_context(firm), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        assert cursor.fetchone()[0] > 0
        for statement in (f"UPDATE {table} SET firm_id = firm_id",  # noqa: S608
                          f"DELETE FROM {table}",  # noqa: S608
                          f"TRUNCATE {table}"):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute(statement)


def test_no_relation_deletes_a_record():
    """Six-year retention: deleting what a record names (account, lot set, feed file, content)
    is refused rather than cascading into the record."""
    for model in RECORD_MODELS:
        foreign_keys = [f for f in model._meta.get_fields() if isinstance(f, models.ForeignKey)]
        assert foreign_keys
        for field in foreign_keys:
            assert field.remote_field.on_delete is models.PROTECT, f"{model.__name__}.{field.name}"


def _trading(firm, analysis_ids) -> list[Analysis]:
    """The analyses that propose trades, sellers first (their lots and gains are replayed)."""
    with firm_context(firm):
        rows = list(Analysis.objects.filter(pk__in=analysis_ids.values(), trades__isnull=False)
                    .select_related("account").order_by("pk").distinct())
        sells = {a.pk for a in rows if a.trades.filter(side="sell").exists()}
    return sorted(rows, key=lambda a: (a.pk not in sells, a.pk))


def test_replay_reproduces_the_stored_trades(committed):
    firm, analysis_ids = committed
    trading = _trading(firm, analysis_ids)
    assert len(trading) >= 3
    for analysis in trading[:3]:
        with firm_context(firm):
            trades = list(analysis.trades.select_related("security"))
        out = io.StringIO()
        call_command("replay_analysis", str(analysis.pk), stdout=out)
        text = out.getvalue()
        assert "The replay reproduces the stored trades:" in text, text
        for trade in trades:
            assert f"  {trade.side} {trade.shares.normalize():f} {trade.security.ticker}" in text


def test_a_single_analysis_replays_too(committed):
    firm, analysis_ids = committed
    with firm_context(firm), audit_context(system_job="tests"):
        account = _trading(firm, analysis_ids)[0].account
        single = account_analyze(account=account, as_of=CHUNK_DEMO_DATE)
    out = io.StringIO()
    call_command("replay_analysis", str(single.pk), "--firm", firm.code, stdout=out)
    assert "reproduces" in out.getvalue()


def _owner_execute(firm, statement: str, params: list) -> None:
    """Run `statement` in the firm as the owner role, on its own committed connection."""
    owner = settings.DATABASES["owner"]
    with psycopg2.connect(dbname=owner["NAME"], user=owner["USER"], password=owner["PASSWORD"],
                          host=owner["HOST"], port=owner["PORT"] or None) as db, \
            db.cursor() as cursor:
        cursor.execute("SELECT set_config('rebal.firm_id', %s, false)", [str(firm.pk)])
        cursor.execute(statement, params)
        assert cursor.rowcount == 1
    db.close()


def test_a_record_altered_by_the_owner_shows_the_difference(committed):
    firm, analysis_ids = committed
    analysis = _trading(firm, analysis_ids)[0]
    with firm_context(firm):
        trade = analysis.trades.select_related("security").order_by("-side", "pk").first()
    _owner_execute(firm, "UPDATE optimizer_proposedtrade SET shares = shares + 1 WHERE id = %s",
                   [trade.pk])
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("replay_analysis", str(analysis.pk), stdout=out)
    assert exit_.value.code == 1
    text = out.getvalue()
    ticker = trade.security.ticker
    assert "The replay differs from the stored trades:" in text
    assert (f"stored, not replayed: {trade.side} {(trade.shares + 1).normalize():f} {ticker}"
            in text)
    assert f"replayed, not stored: {trade.side} {trade.shares.normalize():f} {ticker}" in text


def test_the_record_page_names_the_files_with_their_checksums(committed):
    from django.test import Client

    from rebal.models import User

    firm, analysis_ids = committed
    analysis = _trading(firm, analysis_ids)[0]
    with firm_context(firm):
        lot_file = LotSet.objects.select_related("feed_file").get(pk=analysis.lot_set_id).feed_file
        content = Analysis.objects.select_related("settings_content").get(
            pk=analysis.pk).settings_content
    client = Client()
    client.force_login(User.objects.get(email="compliance@records.rebal.test"))
    page = client.get(f"/records/{analysis.pk}/").content.decode()
    assert lot_file.name in page and lot_file.checksum in page
    assert content.sha256 in page
    assert "now says" not in page  # every file's row still has the recorded checksum
