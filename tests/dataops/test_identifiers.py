"""CUSIP and ISIN check digits against real identifiers; ticker normalization."""

from __future__ import annotations

import pytest

from dataops.identifiers import (
    cusip_check_digit,
    is_valid_cusip,
    is_valid_isin,
    isin_check_digit,
    normalize_ticker,
)


@pytest.mark.parametrize(("cusip", "issuer"), [
    ("037833100", "Apple"),
    ("594918104", "Microsoft"),
    ("02079K305", "Alphabet class C"),
    ("38259P508", "Google (former)"),
    ("N6596X109", "NXP Semiconductors"),
    ("G1151C101", "Accenture"),
])
def test_real_cusips_are_valid(cusip, issuer):
    assert cusip_check_digit(cusip[:8]) == cusip[8]
    assert is_valid_cusip(cusip)


def test_symbols_count_36_to_38():
    # By hand: values 1,2,36,37,38,10,11,3; doubled at even positions (from 1): 4, 74, 20, 6;
    # digit sums 1+4 + 9+11 + 11+2 + 2+6 = 46, so the check digit is 4.
    assert cusip_check_digit("12*@#AB3") == "4"
    assert is_valid_cusip("12*@#AB34")


@pytest.mark.parametrize("value", [
    "037833101",  # wrong check digit
    "037833109",
    "03783310",  # 8 characters
    "0378331000",  # 10 characters
    "03783310X",  # check character not a digit
    "037833$00",  # character outside the alphabet
    "02079k305",  # lower case: callers upper-case first
])
def test_invalid_cusips(value):
    assert not is_valid_cusip(value)


def test_check_digit_needs_eight_known_characters():
    with pytest.raises(ValueError, match="8 characters"):
        cusip_check_digit("0378331")
    with pytest.raises(ValueError, match="8 characters"):
        cusip_check_digit("0378331$")


@pytest.mark.parametrize("isin", ["US0378331005", "US5949181045", "GB0002634946", "AU0000XVGZA3"])
def test_real_isins_are_valid(isin):
    assert isin_check_digit(isin[:11]) == isin[11]
    assert is_valid_isin(isin)


@pytest.mark.parametrize("value", ["US0378331006", "US037833100", "1S0378331005", "US03783310O5"])
def test_invalid_isins(value):
    assert not is_valid_isin(value)


@pytest.mark.parametrize(("value", "ticker"), [
    (" aapl ", "AAPL"), ("brk.b", "BRK.B"), ("BF-B", "BF-B"), ("BRK/B", "BRK/B"), ("7203", "7203"),
])
def test_tickers_are_upper_cased_and_stripped(value, ticker):
    assert normalize_ticker(value) == ticker


@pytest.mark.parametrize(("value", "message"), [
    ("", "ticker is blank"),
    ("BRK B", "ticker 'BRK B' may contain only letters, digits, '.', '-' and '/'"),
    ("$SPX", "ticker '$SPX' may contain only"),
    (".B", "must start with a letter or digit"),
    ("A" * 21, "is longer than 20 characters"),
])
def test_bad_tickers_are_refused(value, message):
    with pytest.raises(ValueError) as raised:
        normalize_ticker(value)
    assert message in str(raised.value)
