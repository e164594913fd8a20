"""Security identifiers: CUSIP and ISIN check digits, ticker normalization.

Pure functions over strings. A CUSIP is 8 characters plus a modulus-10 "double add double" check
digit; an ISIN is a country code, 9 characters and a Luhn check digit over the letter-expanded
string. Callers upper-case and strip; these functions judge the characters they are given.
"""

from __future__ import annotations

import re

_CUSIP_BODY = re.compile(r"[0-9A-Z*@#]{8}")
_ISIN_BODY = re.compile(r"[A-Z]{2}[0-9A-Z]{9}")
_TICKER = re.compile(r"[A-Z0-9][A-Z0-9./-]*")
TICKER_MAX_LENGTH = 20
_CUSIP_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*@#"  # a character's value is its index


def _digit_sum(number: int) -> int:
    return number // 10 + number % 10


# What each character adds to the sum, as is and doubled ("double add double"), looked up once.
_PLAIN = {char: _digit_sum(value) for value, char in enumerate(_CUSIP_ALPHABET)}
_DOUBLED = {char: _digit_sum(2 * value) for value, char in enumerate(_CUSIP_ALPHABET)}


def cusip_check_digit(body: str) -> str:
    """The check digit of the first 8 characters of a CUSIP (digits, A-Z, '*', '@', '#').

    Raises ValueError when `body` is not 8 such characters.
    """
    if not _CUSIP_BODY.fullmatch(body):
        raise ValueError(f"a CUSIP body is 8 characters of 0-9, A-Z, *, @, #; got {body!r}")
    # Every second character, counting from the left, is doubled.
    total = sum(_PLAIN[char] for char in body[0::2]) + sum(_DOUBLED[char] for char in body[1::2])
    return str((10 - total % 10) % 10)


def is_valid_cusip(value: str) -> bool:
    """True for 9 characters whose last is the check digit of the first 8."""
    return (len(value) == 9 and _CUSIP_BODY.fullmatch(value[:8]) is not None
            and cusip_check_digit(value[:8]) == value[8])


def _luhn_check_digit(digits: str) -> str:
    total = 0
    # Doubling starts at the rightmost digit, because the check digit will follow it.
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        total += _digit_sum(2 * value if position % 2 == 0 else value)
    return str((10 - total % 10) % 10)


def isin_check_digit(body: str) -> str:
    """The check digit of the first 11 characters of an ISIN (2 letters, 9 of 0-9/A-Z).

    Letters expand to two digits (A=10 .. Z=35) before the Luhn algorithm runs.
    """
    if not _ISIN_BODY.fullmatch(body):
        raise ValueError(f"an ISIN body is 2 letters and 9 of 0-9, A-Z; got {body!r}")
    return _luhn_check_digit("".join(str(int(char, 36)) for char in body))


def is_valid_isin(value: str) -> bool:
    """True for 12 characters whose last is the check digit of the first 11."""
    return (len(value) == 12 and _ISIN_BODY.fullmatch(value[:11]) is not None
            and isin_check_digit(value[:11]) == value[11])


def normalize_ticker(value: str) -> str:
    """The ticker upper-cased and stripped: letters, digits, '.', '-', '/', starting alphanumeric.

    Raises ValueError naming the problem. Share-class spellings differ between sources (BRK.B,
    BRK-B, BRK/B); they are kept as given, not unified, because the security master decides.
    """
    ticker = value.strip().upper()
    if not ticker:
        raise ValueError("ticker is blank")
    if len(ticker) > TICKER_MAX_LENGTH:
        raise ValueError(f"ticker {ticker!r} is longer than {TICKER_MAX_LENGTH} characters")
    if not _TICKER.fullmatch(ticker):
        raise ValueError(f"ticker {ticker!r} may contain only letters, digits, '.', '-' and '/'"
                         " and must start with a letter or digit")
    return ticker
