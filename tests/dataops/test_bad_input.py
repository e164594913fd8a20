"""The issue's corpus of bad input, each through the loader against PostgreSQL: none loses data
already loaded, none raises, each names the file, the line and the reason."""

from __future__ import annotations

import gzip
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts.models import TaxLot
from accounts.selectors import holdings
from dataops.models import FeedFile, QuarantinedRow
from rebal.firm_context import firm_context
from tests import feed_files as ff

pytestmark = pytest.mark.django_db

LOTS = ff.LOT_HEADER


def lots_file(*rows: str) -> bytes:
    return (",".join(LOTS) + "\n" + "".join(row + "\n" for row in rows)).encode()


GOOD = [f"B-1,{ff.AAPL},AAPL,L1,10,1700.00,2025-12-01,,",
        "A-2,,XOM,L1,200,18000.00,2021-11-11,,120.00",
        f"A-1,{ff.MSFT},,L2,50,9000.50,2022-06-01,,"]

# name, bytes, expected status, expected (line, column, reason fragment) or file reason fragment
CORPUS = [
    ("missing column", "tax_lots_20261125.csv",
     b"account_number,cusip,lot_id,cost_basis,acquired_date\nA-1,x,L1,1,2020-01-01\n",
     "rejected", "missing required column(s): quantity"),
    ("wrong delimiter", "tax_lots_20261125.csv",
     lots_file().replace(b",", b";") + b"A-1;037833100;AAPL;L1;1;1;2020-01-01;;\n",
     "rejected", "wrong delimiter"),
    ("not UTF-8", "tax_lots_20261125.csv",
     lots_file(GOOD[0]) + "B-1,,XOM,L9,1,1,2020-01-01,,caf\u00e9\n".encode("latin-1"),
     "rejected", "not UTF-8"),
    ("truncated gzip", "tax_lots_20261125.csv.gz",
     gzip.compress(lots_file(*GOOD))[:-20], "rejected", "gzip"),
    ("empty file", "tax_lots_20261125.csv", b"", "rejected", "empty"),
    ("not a feed name", "holdings_20261125.csv", lots_file(*GOOD), "rejected", "holdings"),
    ("unparseable number", "tax_lots_20261125.csv",
     lots_file(f"A-1,{ff.AAPL},AAPL,L1,ten,15000.00,2020-03-02,,", *GOOD[:2]),
     "loaded_with_errors", (2, "quantity", "")),
    ("unparseable date", "tax_lots_20261125.csv",
     lots_file(f"A-1,{ff.AAPL},AAPL,L1,100,15000.00,2020-02-30,,", *GOOD[:2]),
     "loaded_with_errors", (2, "acquired_date", "")),
    ("negative quantity", "tax_lots_20261125.csv",
     lots_file(f"A-1,{ff.AAPL},AAPL,L1,-100,15000.00,2020-03-02,,", *GOOD[:2]),
     "loaded_with_errors", (2, "quantity", "negative")),
    ("duplicate lot_id", "tax_lots_20261125.csv",
     lots_file(f"A-1,{ff.AAPL},AAPL,L1,100,15000.00,2020-03-02,,",
               f"A-1,{ff.MSFT},,L1,50,9000.50,2022-06-01,,", *GOOD[:2]),
     "loaded_with_errors", (2, "lot_id", "duplicate lot_id")),
    ("wrong check digit", "tax_lots_20261125.csv",
     lots_file("A-1,037833101,,L1,100,15000.00,2020-03-02,,", *GOOD[:2]),
     "loaded_with_errors", (2, "cusip", "check digit")),
    ("CUSIP and ticker disagree", "tax_lots_20261125.csv",
     lots_file(f"A-1,{ff.AAPL},XOM,L1,100,15000.00,2020-03-02,,", *GOOD[:2]),
     "loaded_with_errors", (2, "cusip", "different securities")),
    ("unknown account", "tax_lots_20261125.csv",
     lots_file(f"Q-7,{ff.AAPL},AAPL,L1,100,15000.00,2020-03-02,,", *GOOD[:2]),
     "loaded_with_errors", (2, "account_number", "unknown account Q-7")),
]


@pytest.fixture
def firm(alice_firm, tmp_path):
    from dataops.models import FeedPolicy
    from rebal.audit import audit_context

    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        FeedPolicy.objects.create(max_bad_row_fraction=Decimal("0.5"))
    for name, data in [("securities_20261124.csv", ff.securities()),
                       ("accounts_20261124.csv", ff.accounts()),
                       ("tax_lots_20261124.csv", ff.tax_lots()),
                       ("cash_20261124.csv", ff.cash())]:
        ff.write(tmp_path, name, data)
    call_command("load_feeds", "--firm", "ALICE", str(tmp_path), stdout=io.StringIO())
    return alice_firm.firm


def a1_lots(firm) -> list[tuple[str, Decimal]]:
    from accounts.models import Account

    with firm_context(firm):
        account = Account.objects.get(account_number="A-1")
        snapshot = holdings(account.pk, date(2026, 11, 25))
        return [(lot.lot_id, lot.quantity) for lot in snapshot.lots]


@pytest.mark.parametrize(("case", "name", "data", "status", "expected"), CORPUS,
                         ids=[c[0] for c in CORPUS])
def test_bad_input(firm, tmp_path, case, name, data, status, expected):
    before = a1_lots(firm)
    folder = tmp_path / "bad"
    folder.mkdir()
    ff.write(folder, name, data)
    out = io.StringIO()
    try:
        call_command("load_feeds", "--firm", "ALICE", str(folder), stdout=out)
    except CommandError:
        assert status == "rejected"
    summary = out.getvalue()
    assert summary.startswith(f"{name}: {status}"), summary
    with firm_context(firm):
        feed_file = FeedFile.objects.get(name=name)
        assert feed_file.status == status
        if status == "rejected":
            assert expected in feed_file.error and expected in summary
            assert TaxLot.objects.filter(lot_set__feed_file=feed_file).count() == 0
        else:
            line, column, fragment = expected
            row = QuarantinedRow.objects.get(feed_file=feed_file, line_number=line)
            assert row.column == column and fragment in row.reason
            assert feed_file.rows_quarantined >= 1 and feed_file.rows_loaded >= 1
    # A-1 either kept its previous snapshot whole (its row was bad) or was not in the file.
    assert a1_lots(firm) == before


def test_header_only_file_is_an_empty_snapshot_not_an_error(firm, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    ff.write(folder, "transactions_20261125.csv", ff.transactions([]))
    out = io.StringIO()
    call_command("load_feeds", "--firm", "ALICE", str(folder), stdout=out)
    assert "transactions_20261125.csv: loaded — 0 read, 0 loaded" in out.getvalue()


def test_a_part_file_is_never_read(firm, tmp_path):
    folder = tmp_path / "transit"
    folder.mkdir()
    ff.write(folder, "tax_lots_20261125.csv.part", lots_file("garbage"))
    ff.write(folder, ".tax_lots_20261125.csv", lots_file("garbage"))
    out = io.StringIO()
    call_command("load_feeds", "--firm", "ALICE", str(folder), stdout=out)
    assert out.getvalue().count("skipped (in transit)") == 2
    with firm_context(firm):
        assert not FeedFile.objects.filter(name__startswith=".").exists()
        assert not FeedFile.objects.filter(name__endswith=".part").exists()
