"""Feed schemas and field parsers: each broken input's outcome with its line, column and reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dataops.feeds.fields import (
    FieldError,
    parse_bool,
    parse_choice,
    parse_currency,
    parse_cusip,
    parse_date,
    parse_decimal,
    parse_email,
    parse_isin,
    parse_ticker,
)
from dataops.feeds.naming import FEED_NAMES, FeedRejected
from dataops.feeds.reading import RowError, read_feed
from dataops.feeds.schemas import (
    SCHEMAS,
    ParsedRow,
    check_header,
    parse_row,
    parse_table,
    validate_file,
)

APPLE, MICROSOFT = "037833100", "594918104"

# FEEDS.md, column by column: (required, optional); "cusip|ticker" is the one-of-two rule.
FEEDS_MD = {
    "securities": ({"cusip|ticker", "name", "security_type"},
                   {"asset_class", "sector", "currency", "isin", "identical_group"}),
    "prices": ({"as_of_date", "cusip|ticker", "close"}, set()),
    "accounts": ({"account_number", "account_name", "tax_status", "status"},
                 {"household_code", "tax_entity", "advisor", "registration", "discretionary",
                  "approved_for_trading", "program", "opened_date"}),
    "tax_lots": ({"account_number", "cusip|ticker", "lot_id", "quantity", "cost_basis",
                  "acquired_date"}, {"holding_period_start", "wash_sale_adjustment"}),
    "cash": ({"account_number", "cash"}, {"pending_withdrawal"}),
    "transactions": ({"account_number", "transaction_id", "trade_date", "type"},
                     {"settle_date", "cusip", "ticker", "quantity", "price", "amount", "lot_id",
                      "realized_gain", "cancels"}),
    "corporate_actions": ({"action_id", "type", "effective_date", "old_cusip|old_ticker"},
                          {"pay_date", "tax_treatment", "new_cusip", "new_ticker", "new_name",
                           "ratio_from", "ratio_to", "cash_per_share", "basis_allocation_pct",
                           "cash_in_lieu", "cash_in_lieu_price", "description"}),
    "restrictions": ({"list_code", "cusip|ticker"}, {"list_name", "reason"}),
    "risk_exposures": ({"as_of_date", "cusip|ticker", "factor", "exposure"}, set()),
    "risk_covariance": ({"as_of_date", "factor_1", "factor_2", "covariance"}, set()),
    "risk_specific": ({"as_of_date", "cusip|ticker", "specific_variance"}, set()),
    "models": ({"model_code", "as_of_date", "cusip|ticker", "weight"},
               {"model_name", "provider_code"}),
}


def columns_of(feed: str) -> tuple[set[str], set[str]]:
    schema = SCHEMAS[feed]
    required = {column.name for column in schema.columns if column.required}
    optional = {column.name for column in schema.columns if not column.required}
    if schema.identified_by and schema.identifier_required:
        optional -= set(schema.identified_by)
        required.add("|".join(schema.identified_by))
    return required, optional


@pytest.mark.parametrize("feed", FEED_NAMES)
def test_every_feed_reads_exactly_the_columns_of_feeds_md(feed):
    assert columns_of(feed) == FEEDS_MD[feed]


def test_a_schema_for_every_feed_name():
    assert set(SCHEMAS) == set(FEED_NAMES)


def lots_row(**changes: str) -> dict[str, str]:
    row = {"account_number": "A1", "cusip": APPLE, "ticker": "AAPL", "lot_id": "L1",
           "quantity": "100", "cost_basis": "15000.00", "acquired_date": "2024-01-02",
           "holding_period_start": "", "wash_sale_adjustment": ""}
    return row | changes


# Headers -----------------------------------------------------------------------------------


def test_a_missing_required_column_rejects_the_file():
    with pytest.raises(FeedRejected) as raised:
        check_header("tax_lots", ("account_number", "cusip", "lot_id", "acquired_date"))
    assert raised.value.reason == "missing required column(s): quantity, cost_basis"


def test_cusip_or_ticker_must_be_in_the_header():
    with pytest.raises(FeedRejected) as raised:
        check_header("prices", ("as_of_date", "close"))
    assert raised.value.reason == "missing required column(s): cusip or ticker"
    assert check_header("prices", ("as_of_date", "ticker", "close")) == ()
    with pytest.raises(FeedRejected, match="old_cusip or old_ticker"):
        check_header("corporate_actions", ("action_id", "type", "effective_date", "cusip"))


def test_unknown_columns_are_named_as_ignored_and_x_columns_kept_for_accounts():
    header = ("account_number", "account_name", "tax_status", "status", "x_tier", "branch")
    assert check_header("accounts", header) == ("branch",)
    assert check_header("cash", ("account_number", "cash", "x_tier")) == ("x_tier",)


def test_an_unknown_feed_is_rejected():
    with pytest.raises(FeedRejected, match="unknown feed 'positions'"):
        check_header("positions", ("a",))


# Rows --------------------------------------------------------------------------------------


def test_a_good_tax_lot_row_has_typed_values():
    row = parse_row("tax_lots", 2, lots_row(ticker=" aapl ", wash_sale_adjustment="12.5"))
    assert row == ParsedRow(line_number=2, ancillary={}, values={
        "account_number": "A1", "cusip": APPLE, "ticker": "AAPL", "lot_id": "L1",
        "quantity": Decimal(100), "cost_basis": Decimal("15000.00"),
        "acquired_date": date(2024, 1, 2), "holding_period_start": None,
        "wash_sale_adjustment": Decimal("12.5")})
    assert isinstance(row, ParsedRow) and row["quantity"] == Decimal(100)


def test_every_field_error_of_a_row_is_reported():
    errors = parse_row("tax_lots", 7, lots_row(
        quantity="1,000", cost_basis="abc", acquired_date="01/02/2024", lot_id=" "))
    assert errors == [
        RowError(7, "lot_id", "required value is blank"),
        RowError(7, "quantity",
                 "'1,000' has a thousands separator or decimal comma; write digits and '.' only"),
        RowError(7, "cost_basis", "'abc' is not a number"),
        RowError(7, "acquired_date", "'01/02/2024' is not a date in YYYY-MM-DD form"),
    ]


def test_a_negative_quantity_is_a_row_error():
    assert parse_row("tax_lots", 3, lots_row(quantity="-5")) == [
        RowError(3, "quantity", "must not be negative, got -5")]


def test_a_cusip_with_a_wrong_check_digit_is_a_row_error():
    assert parse_row("tax_lots", 4, lots_row(cusip="037833101")) == [
        RowError(4, "cusip", "CUSIP 037833101 check digit should be 0")]
    assert parse_row("tax_lots", 5, lots_row(cusip="594918105", ticker="")) == [
        RowError(5, "cusip", "CUSIP 594918105 check digit should be 4")]


def test_a_row_needs_a_cusip_or_a_ticker():
    assert parse_row("tax_lots", 6, lots_row(cusip="", ticker="")) == [
        RowError(6, "", "cusip or ticker is required; both are blank")]
    assert isinstance(parse_row("tax_lots", 6, lots_row(cusip="")), ParsedRow)
    without_ticker_column = lots_row()
    del without_ticker_column["ticker"]  # the header need not have both columns
    assert isinstance(parse_row("tax_lots", 6, without_ticker_column), ParsedRow)


def test_accounts_keep_x_columns_and_default_the_tax_entity_to_the_household():
    raw = {"account_number": "A1", "account_name": "Smith IRA", "household_code": "SMITH",
           "tax_entity": "", "advisor": "pat@example.com", "registration": "IRA",
           "tax_status": "tax_deferred", "status": "Open", "discretionary": "y",
           "approved_for_trading": "0", "opened_date": "2020-03-01",
           "x_tier": " Platinum ", "x_family": "", "branch": "ignored"}
    row = parse_row("accounts", 2, raw)
    assert isinstance(row, ParsedRow)
    assert row.ancillary == {"tier": "Platinum", "family": ""}
    assert (row["tax_entity"], row["registration"], row["status"]) == ("SMITH", "ira", "open")
    assert (row["discretionary"], row["approved_for_trading"]) == (True, False)
    assert "branch" not in row.values


def test_bad_enumerations_and_booleans_name_the_choices():
    raw = {"account_number": "A1", "account_name": "Smith", "tax_status": "sheltered",
           "status": "open", "discretionary": "maybe", "advisor": "pat at example"}
    assert parse_row("accounts", 9, raw) == [
        RowError(9, "advisor", "'pat at example' is not an email address"),
        RowError(9, "tax_status",
                 "'sheltered' is not one of: taxable, tax_deferred, tax_exempt"),
        RowError(9, "discretionary", "'maybe' is not a boolean (Y/N, true/false, 1/0)"),
    ]


def test_a_value_longer_than_its_column_is_a_row_error():
    assert parse_row("tax_lots", 2, lots_row(lot_id="L" * 51)) == [
        RowError(2, "lot_id", "is longer than 50 characters")]


def test_corporate_actions_need_an_old_identifier_and_a_whole_ratio():
    raw = {"action_id": "CA1", "type": "split", "effective_date": "2026-11-24",
           "old_cusip": "", "old_ticker": "", "ratio_from": "1", "ratio_to": "4"}
    assert parse_row("corporate_actions", 2, raw) == [
        RowError(2, "", "old_cusip or old_ticker is required; both are blank")]
    raw |= {"old_ticker": "AAPL", "ratio_from": ""}
    assert parse_row("corporate_actions", 2, raw) == [
        RowError(2, "", "ratio_from and ratio_to are given together or not at all")]
    raw |= {"ratio_from": "1", "basis_allocation_pct": "120"}
    assert parse_row("corporate_actions", 2, raw) == [
        RowError(2, "basis_allocation_pct", "must be at most 100, got 120")]


def test_transactions_need_no_security_and_cancels_is_optional():
    raw = {"account_number": "A1", "transaction_id": "T1", "trade_date": "2026-11-24",
           "type": "deposit", "amount": "5000", "cancels": ""}
    row = parse_row("transactions", 2, raw)
    assert isinstance(row, ParsedRow) and row["cancels"] is None and row["cusip"] is None
    assert isinstance(parse_row("transactions", 3, raw | {"transaction_id": "T2",
                                                          "cancels": "T1"}), ParsedRow)
    assert parse_row("transactions", 4, raw | {"cancels": "T1"}) == [
        RowError(4, "cancels", "a transaction cannot cancel itself")]
    assert parse_row("transactions", 5, raw | {"settle_date": "2026-11-23"}) == [
        RowError(5, "settle_date", "settle_date 2026-11-23 is before trade_date 2026-11-24")]


def test_risk_covariance_is_numeric_and_variances_not_negative():
    raw = {"as_of_date": "2026-11-24", "factor_1": "value", "factor_2": "momentum",
           "covariance": "-0.0012"}
    assert isinstance(parse_row("risk_covariance", 2, raw), ParsedRow)
    assert parse_row("risk_covariance", 3, raw | {"covariance": "1.2e-3"}) == [
        RowError(3, "covariance", "'1.2e-3' has an exponent; write the number in full")]
    assert parse_row("risk_covariance", 4, raw | {"factor_2": "value"}) == [
        RowError(4, "covariance", "a factor's variance cannot be negative, got -0.0012")]


# The whole file ----------------------------------------------------------------------------


def parsed(feed: str, *raws: dict[str, str]) -> list[ParsedRow]:
    rows = [parse_row(feed, line, raw) for line, raw in enumerate(raws, start=2)]
    assert all(isinstance(row, ParsedRow) for row in rows), rows
    return rows  # type: ignore[return-value]


def test_a_duplicate_lot_id_within_an_account_fails_every_copy():
    rows = parsed("tax_lots", lots_row(), lots_row(lot_id="L2"), lots_row(),
                  lots_row(account_number="A2"))
    reason = "duplicate lot_id 'L1' for account_number 'A1' (lines 2, 4)"
    assert validate_file("tax_lots", rows) == [RowError(2, "lot_id", reason),
                                               RowError(4, "lot_id", reason)]


def test_a_duplicate_transaction_id_fails_every_copy():
    base = {"account_number": "A1", "transaction_id": "T1", "trade_date": "2026-11-24",
            "type": "fee", "amount": "-10"}
    rows = parsed("transactions", base, base | {"account_number": "A2"})
    reason = "duplicate transaction_id 'T1' (lines 2, 3)"
    assert validate_file("transactions", rows) == [RowError(2, "transaction_id", reason),
                                                   RowError(3, "transaction_id", reason)]


def test_a_security_priced_twice_on_a_date_is_a_duplicate():
    base = {"as_of_date": "2026-11-24", "cusip": APPLE, "close": "230.10"}
    rows = parsed("prices", base, base | {"cusip": MICROSOFT}, base | {"close": "231"})
    reason = f"duplicate cusip '{APPLE}' for as_of_date 2026-11-24 (lines 2, 4)"
    assert validate_file("prices", rows) == [RowError(2, "cusip", reason),
                                             RowError(4, "cusip", reason)]


def model_row(code: str, ticker: str, weight: str) -> dict[str, str]:
    return {"model_code": code, "as_of_date": "2026-11-24", "ticker": ticker, "weight": weight}


def test_a_model_whose_weights_do_not_sum_to_one_fails_all_its_rows():
    rows = parsed("models", model_row("GROWTH", "VTI", "0.60"), model_row("INCOME", "BND", "1"),
                  model_row("GROWTH", "VXUS", "0.35"),
                  model_row("BALANCED", "VTI", "0.50005"), model_row("BALANCED", "BND", "0.5"))
    reason = "weights of model 'GROWTH' sum to 0.95, not 1 (within 0.0001)"
    assert validate_file("models", rows) == [RowError(2, "weight", reason),
                                             RowError(4, "weight", reason)]


def test_both_covariance_triangles_must_agree():
    base = {"as_of_date": "2026-11-24", "factor_1": "value", "factor_2": "size",
            "covariance": "0.01"}
    agreeing = parsed("risk_covariance", base, base | {"factor_1": "size", "factor_2": "value"})
    assert validate_file("risk_covariance", agreeing) == []
    disagreeing = parsed("risk_covariance", base,
                         base | {"factor_1": "size", "factor_2": "value", "covariance": "0.02"})
    assert validate_file("risk_covariance", disagreeing) == [
        RowError(2, "covariance", "0.01 for (value, size) but 0.02 for (size, value) on line 3"),
        RowError(3, "covariance", "0.02 for (size, value) but 0.01 for (value, size) on line 2")]


def test_a_whole_file_from_bytes_keeps_its_good_rows_and_names_every_bad_one():
    data = (
        "account_number,cusip,ticker,lot_id,quantity,cost_basis,acquired_date,note\n"
        f"A1,{APPLE},AAPL,L1,100,15000.00,2024-01-02,\"a note\n"  # lines 2-3
        "over two lines\"\n"
        f"A1,{MICROSOFT},MSFT,L2,-5,900,2024-02-30,\n"  # line 4
        "A1,037833101,,L3,1,1,2024-01-02,\n"  # line 5
        ",,,,\n"  # line 6
        f"A2,{APPLE},,L1,10,1500,2024-01-02,\n"  # line 7
        f"A2,,AAPL,L1,10,1500,2024-01-02,\n"  # line 8
    ).encode()
    result = parse_table("tax_lots", read_feed("tax_lots_20261124.csv", data))
    assert [row.line_number for row in result.rows] == [2]
    duplicate = "duplicate lot_id 'L1' for account_number 'A2' (lines 7, 8)"
    assert result.errors == (
        RowError(4, "quantity", "must not be negative, got -5"),
        RowError(4, "acquired_date", "'2024-02-30' is not a calendar date"),
        RowError(5, "cusip", "CUSIP 037833101 check digit should be 0"),
        RowError(6, "", "row has 5 fields, the header has 8"),
        RowError(7, "lot_id", duplicate),
        RowError(8, "lot_id", duplicate),
    )


def test_parse_table_rejects_a_header_without_required_columns():
    with pytest.raises(FeedRejected, match=r"missing required column\(s\): cash"):
        parse_table("cash", read_feed("cash_20261124.csv", b"account_number\n"))


# Field parsers -----------------------------------------------------------------------------


@pytest.mark.parametrize(("parse", "value", "parsed_value"), [
    (parse_date, " 2026-11-24 ", date(2026, 11, 24)),
    (parse_decimal, "-0.125", Decimal("-0.125")),
    (parse_decimal, "+.5", Decimal("0.5")),
    (parse_bool, "TRUE", True), (parse_bool, "n", False), (parse_bool, "1", True),
    (parse_cusip, "02079k305", "02079K305"),
    (parse_isin, "us0378331005", "US0378331005"),
    (parse_ticker, "brk.b", "BRK.B"),
    (parse_currency, "usd", "USD"),
    (parse_email, "pat@example.com", "pat@example.com"),
])
def test_fields_parse(parse, value, parsed_value):
    assert parse("column", value) == parsed_value


@pytest.mark.parametrize(("parse", "value", "reason"), [
    (parse_date, "20261124", "'20261124' is not a date in YYYY-MM-DD form"),
    (parse_date, "2026-11-24T00:00", "'2026-11-24T00:00' is not a date in YYYY-MM-DD form"),
    (parse_date, "2026-13-01", "'2026-13-01' is not a calendar date"),
    (parse_date, "", "value is blank"),
    (parse_decimal, "1.234,5", "'1.234,5' has a thousands separator or decimal comma;"
                               " write digits and '.' only"),
    (parse_decimal, "1E5", "'1E5' has an exponent; write the number in full"),
    (parse_decimal, "NaN", "'NaN' is not a number"),
    (parse_decimal, "1_000", "'1_000' is not a number"),
    (parse_decimal, "$5", "'$5' is not a number"),
    (parse_cusip, "03783310", "CUSIP '03783310' must be 9 characters, not 8"),
    (parse_cusip, "0378-3310", "CUSIP '0378-3310' may hold only 0-9, A-Z, *, @ and #"),
    (parse_isin, "US0378331006", "ISIN US0378331006 check digit should be 5"),
    (parse_isin, "0378331005", "ISIN '0378331005' must be 2 letters, 9 letters or digits and a"
                               " check digit"),
    (parse_ticker, "BRK B", "ticker 'BRK B' may contain only letters, digits, '.', '-' and '/'"
                            " and must start with a letter or digit"),
    (parse_ticker, " ", "value is blank"),
    (parse_currency, "US$", "'US$' is not a three-letter currency code"),
    (parse_bool, "yes", "'yes' is not a boolean (Y/N, true/false, 1/0)"),
])
def test_fields_refuse_with_a_reason(parse, value, reason):
    with pytest.raises(FieldError) as raised:
        parse("column", value)
    assert (raised.value.column, raised.value.reason) == ("column", reason)


def test_decimal_options():
    assert parse_decimal("q", "0", non_negative=True) == 0
    with pytest.raises(FieldError, match="must be positive, got 0"):
        parse_decimal("q", "0", positive=True)
    with pytest.raises(FieldError, match="must be positive, got -1"):
        parse_decimal("q", "-1", positive=True)


def test_choices_are_case_insensitive():
    assert parse_choice("type", " Buy ", ("buy", "sell")) == "buy"
    with pytest.raises(FieldError, match="'hold' is not one of: buy, sell"):
        parse_choice("type", "hold", ("buy", "sell"))


def test_a_long_bad_value_is_shortened_in_the_reason():
    with pytest.raises(FieldError) as raised:
        parse_decimal("amount", "x" * 500)
    assert raised.value.reason == f"'{'x' * 40}…' is not a number"
