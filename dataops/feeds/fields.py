"""Typed parsers for feed fields, each raising FieldError(column, reason) with a human reason.

Every parser takes `(column, value)`, strips surrounding whitespace and refuses a blank value;
whether a blank is allowed is the schema's decision, made before a parser is called.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NoReturn

from dataops.identifiers import (
    cusip_check_digit,
    is_valid_cusip,
    is_valid_isin,
    isin_check_digit,
    normalize_ticker,
)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CURRENCY = re.compile(r"[A-Z]{3}")
_ISIN = re.compile(r"[A-Z]{2}[0-9A-Z]{9}[0-9]")
_CUSIP_CHARACTERS = re.compile(r"[0-9A-Z*@#]+")
_TRUE = frozenset({"y", "true", "1"})
_FALSE = frozenset({"n", "false", "0"})
_SHOWN_LENGTH = 40
_EMAIL_MAX_LENGTH = 254  # RFC 5321, and Django's EmailField


class FieldError(ValueError):
    """A value that does not parse; `reason` is written for the person who sent the file."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


def shown(value: str) -> str:
    """The value quoted for a message, shortened so one bad cell cannot flood a report."""
    if len(value) > _SHOWN_LENGTH:
        value = value[:_SHOWN_LENGTH] + "…"
    return repr(value)


def _blank(column: str) -> NoReturn:
    raise FieldError(column, "value is blank")


@lru_cache(maxsize=4096)  # a file repeats few distinct dates (as_of_date, trade dates)
def _calendar_date(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_date(column: str, value: str) -> date:
    text = value.strip() or _blank(column)
    parsed = _calendar_date(text)
    if parsed is None:
        if _DATE.fullmatch(text):
            raise FieldError(column, f"{shown(text)} is not a calendar date")
        raise FieldError(column, f"{shown(text)} is not a date in YYYY-MM-DD form")
    return parsed


def parse_decimal(column: str, value: str, *, non_negative: bool = False, positive: bool = False,
                  maximum: Decimal | None = None) -> Decimal:
    """A Decimal written with '.', no thousands separators, no exponent, an optional sign."""
    text = value.strip() or _blank(column)
    if not _DECIMAL.fullmatch(text):
        if "," in text:
            reason = "has a thousands separator or decimal comma; write digits and '.' only"
        elif "e" in text.lower() and _DECIMAL.fullmatch(re.split("[eE]", text)[0]):
            reason = "has an exponent; write the number in full"
        else:
            reason = "is not a number"
        raise FieldError(column, f"{shown(text)} {reason}")
    number = Decimal(text)
    if positive and number <= 0:
        raise FieldError(column, f"must be positive, got {text}")
    if non_negative and number < 0:
        raise FieldError(column, f"must not be negative, got {text}")
    if maximum is not None and number > maximum:
        raise FieldError(column, f"must be at most {maximum}, got {text}")
    return number


def parse_bool(column: str, value: str) -> bool:
    text = value.strip().lower() or _blank(column)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldError(column, f"{shown(value.strip())} is not a boolean (Y/N, true/false, 1/0)")


@lru_cache(maxsize=65536)  # a file names far fewer securities than it has rows
def _cusip_problem(cusip: str) -> str | None:
    if len(cusip) != 9:
        return f"CUSIP {shown(cusip)} must be 9 characters, not {len(cusip)}"
    if not _CUSIP_CHARACTERS.fullmatch(cusip[:8]):
        return f"CUSIP {shown(cusip)} may hold only 0-9, A-Z, *, @ and #"
    if not is_valid_cusip(cusip):
        return f"CUSIP {cusip} check digit should be {cusip_check_digit(cusip[:8])}"
    return None


def parse_cusip(column: str, value: str) -> str:
    """Nine characters with a valid check digit, upper-cased."""
    cusip = value.strip().upper() or _blank(column)
    problem = _cusip_problem(cusip)
    if problem is not None:
        raise FieldError(column, problem)
    return cusip


def parse_isin(column: str, value: str) -> str:
    """Twelve characters with a valid Luhn check digit, upper-cased."""
    isin = value.strip().upper() or _blank(column)
    if not _ISIN.fullmatch(isin):
        raise FieldError(column, f"ISIN {shown(isin)} must be 2 letters, 9 letters or digits"
                         " and a check digit")
    if not is_valid_isin(isin):
        raise FieldError(column, f"ISIN {isin} check digit should be {isin_check_digit(isin[:11])}")
    return isin


_normalized_ticker = lru_cache(maxsize=65536)(normalize_ticker)


def parse_ticker(column: str, value: str) -> str:
    text = value.strip() or _blank(column)
    try:
        return _normalized_ticker(text)
    except ValueError as error:
        raise FieldError(column, str(error)) from None


def parse_choice(column: str, value: str, choices: Collection[str]) -> str:
    """One of `choices` (which are lower-case), matched case-insensitively."""
    text = value.strip().lower() or _blank(column)
    if text not in choices:
        raise FieldError(column, f"{shown(value.strip())} is not one of: " + ", ".join(choices))
    return text


def parse_text(column: str, value: str, *, max_length: int | None = None) -> str:
    text = value.strip() or _blank(column)
    if max_length is not None and len(text) > max_length:
        raise FieldError(column, f"is longer than {max_length} characters")
    return text


def parse_email(column: str, value: str) -> str:
    text = value.strip() or _blank(column)
    if len(text) > _EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(text):
        raise FieldError(column, f"{shown(text)} is not an email address")
    return text


def parse_currency(column: str, value: str) -> str:
    """An ISO 4217 code such as USD, upper-cased."""
    text = value.strip().upper() or _blank(column)
    if not _CURRENCY.fullmatch(text):
        raise FieldError(column, f"{shown(text)} is not a three-letter currency code")
    return text
