"""make_demo_feeds: every feed of FEEDS.md, internally consistent, realistic and deterministic;
and the start-of-window snapshot, which the window's transactions turn into the business date's.

The checks here are written independently of the generator: the FEEDS.md columns, the CUSIP and
ISIN check digits and the covariance's eigenvalues are computed locally.
"""

from __future__ import annotations

import csv
import io
import math
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from dataops.feeds.naming import parse_feed_filename
from dataops.feeds.reading import read_feed
from dataops.feeds.schemas import parse_table
from demo.feeds.market import HALTED_TICKER, RISK_MODEL_OMITTED

BUSINESS_DATE = date(2026, 11, 24)
STAMP = "20261124"
# The business day before the window of 60 business days (2026-09-01 .. 2026-11-24).
START_DATE = date(2026, 8, 31)
START_STAMP = "20260831"

# FEEDS.md, column by column: (required, optional). "cusip or ticker" is required as a pair.
FEEDS_MD: dict[str, tuple[set[str], set[str]]] = {
    "securities": ({"name", "security_type"},
                   {"cusip", "ticker", "asset_class", "sector", "currency", "isin",
                    "identical_group"}),
    "prices": ({"as_of_date", "close"}, {"cusip", "ticker"}),
    "accounts": ({"account_number", "account_name", "tax_status", "status"},
                 {"household_code", "tax_entity", "advisor", "registration", "discretionary",
                  "approved_for_trading", "program", "opened_date", "x_tier", "x_family"}),
    "tax_lots": ({"account_number", "lot_id", "quantity", "cost_basis", "acquired_date"},
                 {"cusip", "ticker", "holding_period_start", "wash_sale_adjustment"}),
    "cash": ({"account_number", "cash"}, {"pending_withdrawal"}),
    "transactions": ({"account_number", "transaction_id", "trade_date", "type"},
                     {"settle_date", "cusip", "ticker", "quantity", "price", "amount", "lot_id",
                      "realized_gain", "cancels"}),
    "corporate_actions": ({"action_id", "type", "effective_date"},
                          {"pay_date", "tax_treatment", "old_cusip", "old_ticker", "new_cusip",
                           "new_ticker", "new_name", "ratio_from", "ratio_to", "cash_per_share",
                           "basis_allocation_pct", "cash_in_lieu", "cash_in_lieu_price",
                           "description"}),
    "restrictions": ({"list_code"}, {"list_name", "cusip", "ticker", "reason"}),
    "risk_exposures": ({"as_of_date", "factor", "exposure"}, {"cusip", "ticker"}),
    "risk_covariance": ({"as_of_date", "factor_1", "factor_2", "covariance"}, set()),
    "risk_specific": ({"as_of_date", "specific_variance"}, {"cusip", "ticker"}),
    "models": ({"model_code", "as_of_date", "weight"},
               {"model_name", "provider_code", "cusip", "ticker"}),
}
REGISTRATIONS = {"individual", "joint", "ira", "roth_ira", "trust", "corporate", "other"}
STATUSES = {"open", "closed", "suspended", "pending_close"}
SECURITY_TYPES = {"equity", "etf", "mutual_fund", "bond", "cash_equivalent", "other"}
TRANSACTION_TYPES = {"buy", "sell", "dividend_reinvestment", "deposit", "withdrawal", "dividend",
                     "interest", "fee", "return_of_capital", "transfer_in", "transfer_out"}
BUYS = {"buy", "dividend_reinvestment"}


# --- independent identifier checks -----------------------------------------------------------

def cusip_is_valid(cusip: str) -> bool:
    """Modulus 10 double-add-double: digits as is, A=10 .. Z=35, * 36, @ 37, # 38; every
    second character doubled; digits of each product summed."""
    if len(cusip) != 9 or not cusip[8].isdigit():
        return False
    total = 0
    for index, char in enumerate(cusip[:8]):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - 55
        elif char in "*@#":
            value = 36 + "*@#".index(char)
        else:
            return False
        if index % 2:
            value *= 2
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == int(cusip[8])


def isin_is_valid(isin: str) -> bool:
    if len(isin) != 12 or not isin[:2].isalpha():
        return False
    digits = "".join(str(int(char, 36)) for char in isin[:11])
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == int(isin[11])


def test_the_local_check_digit_functions_know_real_identifiers():
    assert cusip_is_valid("037833100") and cusip_is_valid("30231G102")  # Apple, Exxon Mobil
    assert not cusip_is_valid("037833101")
    assert isin_is_valid("US0378331005") and not isin_is_valid("US0378331006")


def jacobi_eigenvalues(matrix: list[list[float]]) -> list[float]:
    """Eigenvalues of a symmetric matrix by cyclic Jacobi rotations."""
    a = [row[:] for row in matrix]
    size = len(a)
    for _ in range(100):
        off_diagonal = sum(a[i][j] ** 2 for i in range(size) for j in range(size) if i != j)
        if off_diagonal < 1e-24:
            break
        for p in range(size):
            for q in range(p + 1, size):
                if a[p][q] == 0:
                    continue
                theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1))
                c = 1 / math.sqrt(t * t + 1)
                s = t * c
                for k in range(size):
                    a[k][p], a[k][q] = c * a[k][p] - s * a[k][q], s * a[k][p] + c * a[k][q]
                for k in range(size):
                    a[p][k], a[q][k] = c * a[p][k] - s * a[q][k], s * a[p][k] + c * a[q][k]
    return [a[i][i] for i in range(size)]


def test_jacobi_finds_known_eigenvalues():
    values = sorted(jacobi_eigenvalues([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 5.0]]))
    assert values == pytest.approx([1.0, 3.0, 5.0])


# --- the generated firm ----------------------------------------------------------------------

class Feeds:
    """The files of one generated firm, read back as a loader would see them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.headers: dict[str, list[str]] = {}
        self.rows: dict[str, list[dict[str, str]]] = {}
        self.start: dict[str, list[dict[str, str]]] = {}  # tax_lots and cash at the start
        for feed in FEEDS_MD:
            self.rows[feed], self.headers[feed] = read_csv(folder / f"{feed}_{STAMP}.csv")
        for feed in ("tax_lots", "cash"):
            self.start[feed], header = read_csv(folder / f"{feed}_{START_STAMP}.csv")
            assert header == self.headers[feed]

    def __getitem__(self, feed: str) -> list[dict[str, str]]:
        return self.rows[feed]

    @property
    def securities(self) -> dict[str, dict[str, str]]:
        return {row["cusip"]: row for row in self["securities"]}

    @property
    def accounts(self) -> dict[str, dict[str, str]]:
        return {row["account_number"]: row for row in self["accounts"]}

    def closes(self, on: str) -> dict[str, Decimal]:
        return {row["cusip"]: Decimal(row["close"]) for row in self["prices"]
                if row["as_of_date"] == on}


def read_csv(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader), list(reader.fieldnames or [])


def generate(folder: Path, accounts: int, seed: int = 11) -> Path:
    call_command("make_demo_feeds", str(folder), "--accounts", str(accounts), "--seed", str(seed),
                 "--date", BUSINESS_DATE.isoformat(), stdout=io.StringIO())
    return folder


@pytest.fixture(scope="module")
def firm50(tmp_path_factory: pytest.TempPathFactory) -> Feeds:
    return Feeds(generate(tmp_path_factory.mktemp("firm50"), 50))


@pytest.fixture(scope="module")
def firm200(tmp_path_factory: pytest.TempPathFactory) -> Feeds:
    return Feeds(generate(tmp_path_factory.mktemp("firm200"), 200))


def test_every_feed_is_written_with_exactly_the_feeds_md_columns(firm50):
    names = sorted(path.name for path in firm50.folder.iterdir())
    assert names == sorted([*(f"{feed}_{STAMP}.csv" for feed in FEEDS_MD),
                            f"tax_lots_{START_STAMP}.csv", f"cash_{START_STAMP}.csv"])
    for feed, (required, optional) in FEEDS_MD.items():
        header = firm50.headers[feed]
        assert len(header) == len(set(header)), feed
        assert required <= set(header), feed
        assert set(header) == required | optional, feed
        if {"cusip", "ticker"} & optional:
            assert {"cusip", "ticker"} & set(header), feed
    assert firm50["corporate_actions"] == []
    assert all(firm50[feed] for feed in FEEDS_MD if feed != "corporate_actions")


def test_values_are_in_the_feeds_md_vocabularies(firm200):
    assert {row["security_type"] for row in firm200["securities"]} <= SECURITY_TYPES
    assert {row["type"] for row in firm200["transactions"]} <= TRANSACTION_TYPES
    for row in firm200["accounts"]:
        assert row["tax_status"] in {"taxable", "tax_deferred", "tax_exempt"}
        assert row["discretionary"] in "YN" and row["approved_for_trading"] in "YN"
        assert row["advisor"] == "" or row["advisor"].endswith("@demo.rebal.test")
        date.fromisoformat(row["opened_date"])
        assert row["x_tier"] in {"Platinum", "Gold", "Silver"} and row["x_family"]


def test_every_cusip_and_isin_has_a_valid_check_digit_and_none_collide(firm50):
    securities = firm50["securities"]
    assert len(securities) > 530
    assert all(cusip_is_valid(row["cusip"]) for row in securities)
    assert all(isin_is_valid(row["isin"]) and row["isin"][2:11] == row["cusip"]
               for row in securities)
    assert len({row["cusip"] for row in securities}) == len(securities)
    assert len({row["ticker"] for row in securities}) == len(securities)
    for feed in FEEDS_MD:
        for row in firm50[feed]:
            if row.get("cusip"):
                assert cusip_is_valid(row["cusip"]), (feed, row)


def test_the_universe_has_the_s_and_p_500_and_funds_for_every_asset_class(firm50):
    securities = firm50["securities"]
    stocks = [row for row in securities if row["security_type"] == "equity"]
    assert len(stocks) == 503
    assert len({row["sector"] for row in stocks}) == 11
    by_class: dict[str, set[str]] = defaultdict(set)
    for row in securities:
        by_class[row["asset_class"]].add(row["security_type"])
    for asset_class in ("EQ.US.LARGE", "EQ.US.MID", "EQ.US.SMALL", "EQ.INTL.DEV", "EQ.INTL.EM",
                        "FI.US.AGG", "FI.US.MUNI", "RE.US"):
        assert {"etf", "mutual_fund"} <= by_class[asset_class], asset_class
    assert by_class["CASH"] == {"cash_equivalent"}
    groups: dict[str, set[str]] = defaultdict(set)
    for row in securities:
        if row["identical_group"]:
            groups[row["identical_group"]].add(row["ticker"])
    assert {"VFINX", "VFIAX"} in groups.values() and {"GOOGL", "GOOG"} in groups.values()
    assert not any({"SPY", "IVV"} & members for members in groups.values())


def test_everything_refers_to_what_exists(firm50):
    securities, accounts = firm50.securities, firm50.accounts
    tickers = {row["cusip"]: row["ticker"] for row in securities.values()}
    for feed in ("prices", "tax_lots", "transactions", "restrictions", "risk_exposures",
                 "risk_specific", "models"):
        for row in firm50[feed]:
            if row["cusip"] or row["ticker"]:
                assert tickers[row["cusip"]] == row["ticker"], (feed, row)
    for feed in ("tax_lots", "cash", "transactions"):
        assert {row["account_number"] for row in firm50[feed]} <= set(accounts), feed
    # The cash file names every account; closed accounts hold nothing.
    cash = {row["account_number"]: row for row in firm50["cash"]}
    assert set(cash) == set(accounts)
    with_lots = {row["account_number"] for row in firm50["tax_lots"]}
    for number, account in accounts.items():
        if account["status"] == "closed":
            assert number not in with_lots and Decimal(cash[number]["cash"]) == 0
    lot_keys = [(row["account_number"], row["lot_id"]) for row in firm50["tax_lots"]]
    assert len(lot_keys) == len(set(lot_keys))
    ids = [row["transaction_id"] for row in firm50["transactions"]]
    assert len(ids) == len(set(ids))
    assert {row["cancels"] for row in firm50["transactions"] if row["cancels"]} <= set(ids)


def test_held_securities_are_priced_and_in_the_risk_model_but_a_documented_few(firm50):
    held = {row["cusip"] for row in firm50["tax_lots"]}
    unpriced = held - set(firm50.closes(BUSINESS_DATE.isoformat()))
    tickers = {row["cusip"]: row["ticker"] for row in firm50["securities"]}
    assert {tickers[c] for c in unpriced} == {HALTED_TICKER}
    modelled = {row["cusip"] for row in firm50["risk_exposures"]}
    assert modelled == {row["cusip"] for row in firm50["risk_specific"]}
    assert {tickers[c] for c in held - modelled} == set(RISK_MODEL_OMITTED)
    assert len(held - modelled) <= 0.02 * len(held)
    dates = {row["as_of_date"] for row in firm50["prices"]}
    assert len(dates) == 61 and max(dates) == BUSINESS_DATE.isoformat()
    priced = {(row["as_of_date"], row["cusip"]) for row in firm50["prices"]}
    for row in firm50["transactions"]:
        if row["cusip"]:
            assert (row["trade_date"], row["cusip"]) in priced, row
    for row in firm50["prices"]:
        close = Decimal(row["close"])
        assert close > 0 and -close.as_tuple().exponent in (2, 4)  # type: ignore[operator]


def test_risk_factors_and_specific_variances_are_realistic(firm50):
    factors = {row["factor_1"] for row in firm50["risk_covariance"]}
    assert {row["factor"] for row in firm50["risk_exposures"]} <= factors
    assert len([f for f in factors if f.startswith("SECTOR.")]) == 11
    assert {"MARKET", "STYLE.SIZE", "STYLE.VALUE", "STYLE.MOMENTUM"} <= factors
    types = {row["cusip"]: row["security_type"] for row in firm50["securities"]}
    for row in firm50["risk_specific"]:
        variance = Decimal(row["specific_variance"])
        if types[row["cusip"]] == "equity":
            assert Decimal("0.01") <= variance <= Decimal("0.09")
        else:
            assert 0 < variance < Decimal("0.001")


def test_the_factor_covariance_is_symmetric_positive_definite(firm50):
    rows = firm50["risk_covariance"]
    factors = list(dict.fromkeys(row["factor_1"] for row in rows))
    index = {factor: i for i, factor in enumerate(factors)}
    matrix = [[math.nan] * len(factors) for _ in factors]
    for row in rows:
        i, j = index[row["factor_1"]], index[row["factor_2"]]
        matrix[i][j] = matrix[j][i] = float(row["covariance"])
    assert not any(math.isnan(value) for line in matrix for value in line)
    assert len(rows) == len(factors) * (len(factors) + 1) // 2  # one triangle
    assert min(jacobi_eigenvalues(matrix)) > 0
    assert 0.10 < math.sqrt(matrix[index["MARKET"]][index["MARKET"]]) < 0.25


def test_model_weights_sum_to_one(firm50):
    weights: dict[str, Decimal] = defaultdict(Decimal)
    for row in firm50["models"]:
        assert Decimal(row["weight"]) > 0
        weights[row["model_code"]] += Decimal(row["weight"])
    assert {"LCAP_DIRECT", "LCAP_ETF", "BOND_CORE"} <= set(weights)
    assert all(abs(total - 1) <= Decimal("0.0001") for total in weights.values())
    assert sum(1 for row in firm50["models"] if row["model_code"] == "LCAP_DIRECT") == 100


def test_every_registration_and_status_appears(firm200):
    accounts = firm200["accounts"]
    assert {row["registration"] for row in accounts} == REGISTRATIONS
    assert {row["status"] for row in accounts} == STATUSES
    for row in accounts:
        expected = {"ira": "tax_deferred", "roth_ira": "tax_exempt"}.get(row["registration"])
        assert expected is None or row["tax_status"] == expected
    households_of_entity: dict[str, set[str]] = defaultdict(set)
    for row in accounts:
        households_of_entity[row["tax_entity"] or row["household_code"]].add(row["household_code"])
    assert any(len(households) == 2 for households in households_of_entity.values())


def test_lots_have_gains_and_losses_short_and_long_term(firm200):
    closes = firm200.closes(BUSINESS_DATE.isoformat())
    gains = losses = short = long = 0
    for row in firm200["tax_lots"]:
        acquired = date.fromisoformat(row["acquired_date"])
        if acquired > BUSINESS_DATE - timedelta(days=365):
            short += 1
        else:
            long += 1
        if row["cusip"] in closes:
            value = Decimal(row["quantity"]) * closes[row["cusip"]]
            unrealized = value - Decimal(row["cost_basis"])
            gains += unrealized > 0
            losses += unrealized < 0
    assert min(gains, losses, short, long) > 0.05 * len(firm200["tax_lots"])
    realized = [Decimal(row["realized_gain"]) for row in firm200["transactions"]
                if row["type"] == "sell"]
    assert any(r > 0 for r in realized) and any(r < 0 for r in realized)


def test_positions_lots_quantities_and_custodian_adjustments(firm200):
    types = {row["cusip"]: row["security_type"] for row in firm200["securities"]}
    positions: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    adjusted = 0
    for row in firm200["tax_lots"]:
        positions[row["account_number"]][row["cusip"]] += 1
        quantity = Decimal(row["quantity"])
        assert quantity > 0 and Decimal(row["cost_basis"]) > 0
        if types[row["cusip"]] in ("equity", "etf"):
            assert quantity == quantity.to_integral_value()
        else:
            assert -quantity.as_tuple().exponent <= 3  # type: ignore[operator]
        if row["wash_sale_adjustment"]:
            adjusted += 1
            assert row["holding_period_start"] < row["acquired_date"]
            assert Decimal(row["wash_sale_adjustment"]) > 0
    assert adjusted > 0
    assert any(types[row["cusip"]] == "mutual_fund"
               and Decimal(row["quantity"]) != Decimal(row["quantity"]).to_integral_value()
               for row in firm200["tax_lots"])
    for held in positions.values():
        assert 10 <= len(held) <= 60
        assert all(1 <= lots <= 6 for lots in held.values())
    # Lots bought in the window come with their buy, same account, lot, date and quantity.
    lots = {(row["account_number"], row["lot_id"]): row for row in firm200["tax_lots"]}
    for row in firm200["transactions"]:
        if row["type"] in BUYS and not row["cancels"]:
            lot = lots[(row["account_number"], row["lot_id"])]
            assert (lot["cusip"], lot["acquired_date"], lot["quantity"]) == (
                row["cusip"], row["trade_date"], row["quantity"])


def test_transactions_cover_every_kind_and_a_couple_of_cancels(firm200):
    rows = firm200["transactions"]
    kinds = {row["type"] for row in rows}
    assert {"buy", "sell", "dividend", "dividend_reinvestment", "deposit", "withdrawal", "fee",
            "interest"} <= kinds
    assert 1 <= sum(1 for row in rows if row["cancels"]) <= 5
    # A cancel carries no quantity nor amount (else Rebal reads it as a correction).
    assert all(not row["amount"] and not row["quantity"] for row in rows if row["cancels"])
    window_start = BUSINESS_DATE - timedelta(days=100)
    assert all(window_start <= date.fromisoformat(row["trade_date"]) <= BUSINESS_DATE
               for row in rows)
    for row in rows:
        if row["type"] == "sell":
            assert row["lot_id"] and row["realized_gain"] and Decimal(row["amount"]) > 0
        if row["type"] in {"buy", "withdrawal", "fee", "dividend_reinvestment"} \
                and not row["cancels"]:
            assert Decimal(row["amount"]) < 0


def test_a_loss_sale_is_followed_by_a_purchase_in_the_same_tax_entity(firm50):
    accounts = firm50.accounts
    entity = {n: a["tax_entity"] or a["household_code"] for n, a in accounts.items()}
    group = {c: s["identical_group"] or c for c, s in firm50.securities.items()}
    purchases = defaultdict(list)
    for row in firm50["transactions"]:
        if row["type"] in BUYS:
            key = (entity[row["account_number"]], group[row["cusip"]])
            purchases[key].append((date.fromisoformat(row["trade_date"]), row["account_number"]))
    pairs = []
    for row in firm50["transactions"]:
        if (row["type"] == "sell" and Decimal(row["realized_gain"]) < 0
                and accounts[row["account_number"]]["tax_status"] == "taxable"):
            sold_on = date.fromisoformat(row["trade_date"])
            key = (entity[row["account_number"]], group[row["cusip"]])
            pairs += [(row["account_number"], buyer) for bought_on, buyer in purchases[key]
                      if timedelta(0) < bought_on - sold_on <= timedelta(days=30)]
    assert pairs


def test_the_feed_parser_accepts_every_row(firm200):
    """Rebal's own reader and schemas (dataops.feeds) find nothing wrong in any file."""
    for path in sorted(firm200.folder.iterdir()):
        parsed = parse_table(parse_feed_filename(path.name).feed,
                             read_feed(path.name, path.read_bytes()))
        assert parsed.errors == (), (path.name, parsed.errors[:3])
        assert len(parsed.rows) == len(read_csv(path)[0])


def test_the_same_seed_gives_byte_identical_files(firm50, tmp_path):
    again = generate(tmp_path / "again", 50)
    for path in firm50.folder.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    other = generate(tmp_path / "other", 50, seed=12)
    assert (other / f"tax_lots_{STAMP}.csv").read_bytes() != (
        firm50.folder / f"tax_lots_{STAMP}.csv").read_bytes()


def test_another_process_with_another_hash_seed_writes_the_same_files(firm50, tmp_path):
    environment = {**os.environ, "PYTHONHASHSEED": "4242",
                   "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                            "rebal.settings.test")}
    subprocess.run([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"),
                    "make_demo_feeds", str(tmp_path), "--accounts", "50", "--seed", "11",
                    "--date", BUSINESS_DATE.isoformat()],
                   env=environment, check=True, capture_output=True)
    for path in firm50.folder.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_weekend_date_and_no_accounts_are_refused(tmp_path):
    with pytest.raises(CommandError, match="weekend"):
        call_command("make_demo_feeds", str(tmp_path), "--accounts", "5", "--seed", "1",
                     "--date", "2026-11-21")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("make_demo_feeds", str(tmp_path), "--accounts", "0", "--seed", "1")


# --- the start of the window: start snapshot + transactions = business date snapshot --------

def effective(transactions: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows that stand as Rebal reads `cancels`: a cancelled row goes, and so does a
    cancel with neither quantity nor amount; a cancel with either is a correction."""
    cancelled = {row["cancels"] for row in transactions if row["cancels"]}
    return [row for row in transactions if row["transaction_id"] not in cancelled
            and not (row["cancels"] and not row["quantity"] and not row["amount"])]


def test_the_start_snapshot_is_dated_the_business_day_before_the_first_transaction(firm200):
    first = min(date.fromisoformat(row["trade_date"]) for row in firm200["transactions"])
    following = START_DATE + timedelta(days=1)
    while following.weekday() >= 5:
        following += timedelta(days=1)
    assert START_DATE.weekday() < 5 and first == following


def test_the_start_lots_replayed_through_the_transactions_are_the_business_date_lots(firm200):
    cent = Decimal("0.01")
    start = {(row["account_number"], row["lot_id"]): row for row in firm200.start["tax_lots"]}
    end = {(row["account_number"], row["lot_id"]): row for row in firm200["tax_lots"]}
    assert len(start) == len(firm200.start["tax_lots"])
    lots = {key: {"cusip": row["cusip"], "quantity": Decimal(row["quantity"]),
                  "basis": Decimal(row["cost_basis"]), "acquired": row["acquired_date"]}
            for key, row in start.items()}
    relieved: set[tuple[str, str]] = set()
    partial = whole = 0
    rows = effective(firm200["transactions"])
    rows.sort(key=lambda row: (row["trade_date"], row["type"] not in BUYS))
    for row in rows:
        key = (row["account_number"], row["lot_id"])
        if row["type"] in BUYS:
            assert key not in lots and key not in start, row  # a new lot, with a new id
            lots[key] = {"cusip": row["cusip"], "quantity": Decimal(row["quantity"]),
                         "basis": -Decimal(row["amount"]), "acquired": row["trade_date"]}
        elif row["type"] == "sell":
            assert key in start and key not in relieved, row  # a start lot, relieved once
            relieved.add(key)
            lot = lots[key]
            sold = Decimal(row["quantity"])
            assert lot["cusip"] == row["cusip"] and 0 < sold <= lot["quantity"], row
            if sold == lot["quantity"]:
                basis = lot["basis"]
                whole += 1
            else:
                basis = (lot["basis"] * sold / lot["quantity"]).quantize(cent, ROUND_HALF_UP)
                partial += 1
            assert Decimal(row["realized_gain"]) == Decimal(row["amount"]) - basis, row
            lot["quantity"] -= sold
            lot["basis"] -= basis
    assert partial > 10 and whole > 10
    replayed = {key: lot for key, lot in lots.items() if lot["quantity"]}
    assert set(replayed) == set(end)
    for key, lot in replayed.items():
        row = end[key]
        adjustment = Decimal(row["wash_sale_adjustment"] or 0)
        # The custodian's adjustment of a lot bought in the window is on top of the buy's cost;
        # a lot held since before the window carries its adjustment in both snapshots.
        expected = lot["basis"] + (adjustment if key not in start else 0)
        assert (row["cusip"], Decimal(row["quantity"]), Decimal(row["cost_basis"]),
                row["acquired_date"]) == (lot["cusip"], lot["quantity"], expected,
                                          lot["acquired"]), key
        if key in start:
            assert (row["holding_period_start"], row["wash_sale_adjustment"]) == (
                start[key]["holding_period_start"], start[key]["wash_sale_adjustment"])


def test_the_start_cash_plus_the_transactions_is_the_business_date_cash(firm200):
    start = {row["account_number"]: Decimal(row["cash"]) for row in firm200.start["cash"]}
    end = {row["account_number"]: Decimal(row["cash"]) for row in firm200["cash"]}
    accounts = firm200.accounts
    # Every account opened before the window is in the start snapshot, and only those.
    assert set(start) == {number for number, account in accounts.items()
                          if account["opened_date"] <= START_DATE.isoformat()}
    assert set(start) < set(end)
    assert not any(row["pending_withdrawal"] for row in firm200.start["cash"])
    by_day: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in effective(firm200["transactions"]):
        by_day[row["account_number"]][row["trade_date"]] += Decimal(row["amount"] or 0)
    for number, closing in end.items():
        balance = start.get(number, Decimal(0))
        assert balance >= 0
        for day in sorted(by_day[number]):
            balance += by_day[number][day]
            assert balance >= 0, (number, day)  # never overdrawn, on a trade-date basis
        assert balance == closing, number
        if accounts[number]["status"] == "closed":
            assert closing == 0 and start.get(number, Decimal(0)) == 0


def test_the_custodian_adjusts_the_same_account_replacement_of_a_loss_sale(firm200):
    sells = [row for row in effective(firm200["transactions"]) if row["type"] == "sell"]
    buys = {(row["account_number"], row["lot_id"]): row for row in firm200["transactions"]
            if row["type"] in BUYS}
    start = {(row["account_number"], row["lot_id"]): row for row in firm200.start["tax_lots"]}
    adjusted_in_window = 0
    for row in firm200["tax_lots"]:
        key = (row["account_number"], row["lot_id"])
        if not row["wash_sale_adjustment"] or key not in buys:
            continue
        adjusted_in_window += 1
        bought = date.fromisoformat(row["acquired_date"])
        [sale] = [s for s in sells if s["account_number"] == row["account_number"]
                  and s["cusip"] == row["cusip"] and Decimal(s["realized_gain"]) < 0
                  and timedelta(0) < bought - date.fromisoformat(s["trade_date"])
                  <= timedelta(days=30)]
        loss = -Decimal(sale["realized_gain"])
        adjustment = Decimal(row["wash_sale_adjustment"])
        assert 0 < adjustment <= loss
        if Decimal(row["quantity"]) >= Decimal(sale["quantity"]):
            assert adjustment == loss
        # The sold shares' holding period is carried over to the replacement.
        sold_lot = start[(sale["account_number"], sale["lot_id"])]
        held = date.fromisoformat(sale["trade_date"]) - date.fromisoformat(
            sold_lot["acquired_date"])
        assert date.fromisoformat(row["holding_period_start"]) == bought - held
    assert adjusted_in_window >= 1


def test_the_demo_advisor_has_a_good_share_of_the_households(firm200):
    households = defaultdict(set)
    for row in firm200["accounts"]:
        households[row["advisor"]].add(row["household_code"])
    total = sum(len(codes) for codes in households.values())
    assert 0.12 * total <= len(households["advisor@demo.rebal.test"]) <= 0.3 * total
    assert len(households) >= 3
