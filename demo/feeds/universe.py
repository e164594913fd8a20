"""The demo security master: S&P 500 members, index ETFs and mutual funds, and security models.

Asset-class codes form a tree by their dots (a code's parent is the code without its last part):

    EQ              Equity
    EQ.US           US equity
    EQ.US.LARGE     US Large Cap        S&P 500 members with a (made-up) market cap >= $12bn
    EQ.US.MID       US Mid Cap          the smaller S&P 500 members, mid-cap index funds
    EQ.US.SMALL     US Small Cap        small-cap index funds
    EQ.INTL         International equity
    EQ.INTL.DEV     International Developed
    EQ.INTL.EM      Emerging Markets
    FI              Fixed income
    FI.US.AGG       US Aggregate Bond
    FI.US.MUNI      Municipal Bond
    RE.US           US Real Estate (REIT funds)
    CASH            Cash equivalent (money market funds)

Feeds carry only the leaves that securities use; the tree is in the codes.

CUSIPs: real CUSIPs are not in the public data, so each security gets a made-up, syntactically
valid one: a 6-character issuer code drawn from a hash of the issuer (the SEC CIK for stocks, so
share classes of one company share it; the fund for mutual-fund share classes), a 2-character
issue number (10 for the first class, 20 for a second stock class, 70 for a fund's Admiral class)
and the modulus-10 double-add-double check digit. Issuer codes never collide: a collision is
re-drawn with a salt, in a fixed order. The ISIN is `US` + CUSIP + its Luhn check digit.

Substantially identical groups (`identical_group`, for wash sales): the share classes of one fund
(Investor and Admiral) and one company's classes of stock (GOOGL/GOOG, FOXA/FOX, NWSA/NWS).
Index ETFs from different sponsors (SPY, IVV, VOO) are equivalents, not substantially identical,
so they have no group.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from dataops.identifiers import cusip_check_digit, isin_check_digit
from demo.feeds import seeded_random

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CONSTITUENTS_CSV = DATA_DIR / "sp500_constituents.csv"

LARGE, MID, SMALL = "EQ.US.LARGE", "EQ.US.MID", "EQ.US.SMALL"
INTL_DEV, INTL_EM = "EQ.INTL.DEV", "EQ.INTL.EM"
BOND_AGG, BOND_MUNI, REAL_ESTATE, CASH = "FI.US.AGG", "FI.US.MUNI", "RE.US", "CASH"
ASSET_CLASSES: tuple[str, ...] = (LARGE, MID, SMALL, INTL_DEV, INTL_EM, BOND_AGG, BOND_MUNI,
                                  REAL_ESTATE, CASH)
MID_CAP_BELOW_BILLIONS = 12.0

EQUITY, ETF, MUTUAL_FUND, CASH_EQUIVALENT = "equity", "etf", "mutual_fund", "cash_equivalent"

SECTORS: tuple[str, ...] = (
    "Communication Services", "Consumer Discretionary", "Consumer Staples", "Energy",
    "Financials", "Health Care", "Industrials", "Information Technology", "Materials",
    "Real Estate", "Utilities",
)

# Made-up market caps (USD billions) for the largest names, so the top of the direct-index model
# looks like the real index; every other member draws one from a log-normal.
_MEGA_CAPS = {
    "NVDA": 3400.0, "MSFT": 3200.0, "AAPL": 3100.0, "AMZN": 2100.0, "GOOGL": 1150.0,
    "GOOG": 1050.0, "META": 1500.0, "AVGO": 1100.0, "BRK.B": 1000.0, "TSLA": 950.0,
    "JPM": 700.0, "LLY": 700.0, "WMT": 680.0, "V": 620.0, "ORCL": 550.0, "MA": 500.0,
    "XOM": 480.0, "NFLX": 450.0, "COST": 420.0, "JNJ": 400.0, "HD": 390.0, "PG": 380.0,
    "BAC": 340.0, "ABBV": 330.0, "UNH": 300.0, "KO": 290.0, "PLTR": 280.0, "CVX": 260.0,
}
# Typical dividend yields by sector, and the share of non-payers among them.
_SECTOR_YIELD = {
    "Communication Services": (0.010, 0.40), "Consumer Discretionary": (0.012, 0.35),
    "Consumer Staples": (0.028, 0.05), "Energy": (0.036, 0.05), "Financials": (0.025, 0.08),
    "Health Care": (0.018, 0.20), "Industrials": (0.016, 0.10),
    "Information Technology": (0.009, 0.35), "Materials": (0.021, 0.05),
    "Real Estate": (0.038, 0.02), "Utilities": (0.034, 0.02),
}
# Issue numbers (CUSIP characters 7-8) by class.
_ISSUE_FIRST, _ISSUE_SECOND, _ISSUE_ADMIRAL = "10", "20", "70"
_ISSUER_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class FundSpec:
    """An index ETF, mutual fund share class or money market fund of the demo universe."""

    ticker: str
    name: str
    security_type: str
    asset_class: str
    family: str  # mutual-fund share classes of one fund share it: issuer code and identical group
    price: float  # the close on the business date
    dividend_yield: float


FUNDS: tuple[FundSpec, ...] = (
    FundSpec("SPY", "SPDR S&P 500 ETF Trust", ETF, LARGE, "", 585.0, 0.012),
    FundSpec("IVV", "iShares Core S&P 500 ETF", ETF, LARGE, "", 588.0, 0.012),
    FundSpec("VOO", "Vanguard S&P 500 ETF", ETF, LARGE, "", 538.0, 0.012),
    FundSpec("VFINX", "Vanguard 500 Index Fund Investor Shares", MUTUAL_FUND, LARGE,
             "VG-500-INDEX", 540.0, 0.012),
    FundSpec("VFIAX", "Vanguard 500 Index Fund Admiral Shares", MUTUAL_FUND, LARGE,
             "VG-500-INDEX", 541.0, 0.013),
    FundSpec("IJH", "iShares Core S&P Mid-Cap ETF", ETF, MID, "", 62.0, 0.013),
    FundSpec("MDY", "SPDR S&P MidCap 400 ETF Trust", ETF, MID, "", 565.0, 0.012),
    FundSpec("VO", "Vanguard Mid-Cap ETF", ETF, MID, "", 268.0, 0.015),
    FundSpec("VIMSX", "Vanguard Mid-Cap Index Fund Investor Shares", MUTUAL_FUND, MID,
             "VG-MIDCAP-INDEX", 74.0, 0.014),
    FundSpec("VIMAX", "Vanguard Mid-Cap Index Fund Admiral Shares", MUTUAL_FUND, MID,
             "VG-MIDCAP-INDEX", 335.0, 0.015),
    FundSpec("IJR", "iShares Core S&P Small-Cap ETF", ETF, SMALL, "", 118.0, 0.014),
    FundSpec("VB", "Vanguard Small-Cap ETF", ETF, SMALL, "", 240.0, 0.014),
    FundSpec("IWM", "iShares Russell 2000 ETF", ETF, SMALL, "", 225.0, 0.011),
    FundSpec("NAESX", "Vanguard Small-Cap Index Fund Investor Shares", MUTUAL_FUND, SMALL,
             "VG-SMALLCAP-INDEX", 112.0, 0.013),
    FundSpec("VSMAX", "Vanguard Small-Cap Index Fund Admiral Shares", MUTUAL_FUND, SMALL,
             "VG-SMALLCAP-INDEX", 114.0, 0.014),
    FundSpec("EFA", "iShares MSCI EAFE ETF", ETF, INTL_DEV, "", 82.0, 0.029),
    FundSpec("IEFA", "iShares Core MSCI EAFE ETF", ETF, INTL_DEV, "", 77.0, 0.030),
    FundSpec("VEA", "Vanguard FTSE Developed Markets ETF", ETF, INTL_DEV, "", 52.0, 0.031),
    FundSpec("VDVIX", "Vanguard Developed Markets Index Fund Investor Shares", MUTUAL_FUND,
             INTL_DEV, "VG-DEVELOPED-INDEX", 16.2, 0.030),
    FundSpec("VTMGX", "Vanguard Developed Markets Index Fund Admiral Shares", MUTUAL_FUND,
             INTL_DEV, "VG-DEVELOPED-INDEX", 16.8, 0.031),
    FundSpec("EEM", "iShares MSCI Emerging Markets ETF", ETF, INTL_EM, "", 46.0, 0.024),
    FundSpec("IEMG", "iShares Core MSCI Emerging Markets ETF", ETF, INTL_EM, "", 59.0, 0.027),
    FundSpec("VWO", "Vanguard FTSE Emerging Markets ETF", ETF, INTL_EM, "", 47.0, 0.030),
    FundSpec("VEIEX", "Vanguard Emerging Markets Stock Index Fund Investor Shares", MUTUAL_FUND,
             INTL_EM, "VG-EMERGING-INDEX", 31.0, 0.029),
    FundSpec("VEMAX", "Vanguard Emerging Markets Stock Index Fund Admiral Shares", MUTUAL_FUND,
             INTL_EM, "VG-EMERGING-INDEX", 40.5, 0.030),
    FundSpec("AGG", "iShares Core U.S. Aggregate Bond ETF", ETF, BOND_AGG, "", 99.5, 0.038),
    FundSpec("BND", "Vanguard Total Bond Market ETF", ETF, BOND_AGG, "", 73.5, 0.037),
    FundSpec("SCHZ", "Schwab U.S. Aggregate Bond ETF", ETF, BOND_AGG, "", 23.4, 0.039),
    FundSpec("VBMFX", "Vanguard Total Bond Market Index Fund Investor Shares", MUTUAL_FUND,
             BOND_AGG, "VG-TOTAL-BOND-INDEX", 9.82, 0.036),
    FundSpec("VBTLX", "Vanguard Total Bond Market Index Fund Admiral Shares", MUTUAL_FUND,
             BOND_AGG, "VG-TOTAL-BOND-INDEX", 9.82, 0.037),
    FundSpec("MUB", "iShares National Muni Bond ETF", ETF, BOND_MUNI, "", 107.0, 0.030),
    FundSpec("VTEB", "Vanguard Tax-Exempt Bond ETF", ETF, BOND_MUNI, "", 50.5, 0.031),
    FundSpec("TFI", "SPDR Nuveen Bloomberg Municipal Bond ETF", ETF, BOND_MUNI, "", 46.0, 0.029),
    FundSpec("VWITX", "Vanguard Intermediate-Term Tax-Exempt Fund Investor Shares", MUTUAL_FUND,
             BOND_MUNI, "VG-INTERMEDIATE-TAX-EXEMPT", 13.6, 0.030),
    FundSpec("VWIUX", "Vanguard Intermediate-Term Tax-Exempt Fund Admiral Shares", MUTUAL_FUND,
             BOND_MUNI, "VG-INTERMEDIATE-TAX-EXEMPT", 13.6, 0.031),
    FundSpec("VNQ", "Vanguard Real Estate ETF", ETF, REAL_ESTATE, "", 92.0, 0.039),
    FundSpec("IYR", "iShares U.S. Real Estate ETF", ETF, REAL_ESTATE, "", 97.0, 0.025),
    FundSpec("SCHH", "Schwab U.S. REIT ETF", ETF, REAL_ESTATE, "", 21.6, 0.030),
    FundSpec("VGSIX", "Vanguard Real Estate Index Fund Investor Shares", MUTUAL_FUND,
             REAL_ESTATE, "VG-REAL-ESTATE-INDEX", 30.5, 0.037),
    FundSpec("VGSLX", "Vanguard Real Estate Index Fund Admiral Shares", MUTUAL_FUND,
             REAL_ESTATE, "VG-REAL-ESTATE-INDEX", 130.0, 0.038),
    FundSpec("VMFXX", "Vanguard Federal Money Market Fund", CASH_EQUIVALENT, CASH, "", 1.0, 0.043),
    FundSpec("SPAXX", "Fidelity Government Money Market Fund", CASH_EQUIVALENT, CASH, "", 1.0,
             0.041),
)


@dataclass(frozen=True, slots=True)
class DemoSecurity:
    """One row of the securities feed plus what the generator needs to price and hold it."""

    ticker: str
    cusip: str
    isin: str
    name: str
    security_type: str
    asset_class: str
    sector: str  # GICS sector for stocks, blank for funds
    sub_industry: str
    identical_group: str
    market_cap: float  # USD billions, made up; 0 for funds
    dividend_yield: float  # annual, as a fraction of price
    fund_price: float  # funds: the close on the business date; stocks: 0 (the market draws one)
    founded_year: int | None  # no lot is acquired before this year

    @property
    def is_fund(self) -> bool:
        return self.security_type != EQUITY

    @property
    def quantity_decimals(self) -> int:
        """Shares are whole except mutual funds (3 decimals) and money market funds (cents)."""
        return {MUTUAL_FUND: 3, CASH_EQUIVALENT: 2}.get(self.security_type, 0)


@dataclass(frozen=True)
class Universe:
    """The demo security master, in feed order: stocks as in the constituents file, then funds."""

    securities: tuple[DemoSecurity, ...]
    by_ticker: dict[str, DemoSecurity] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_ticker = {s.ticker: s for s in self.securities}
        if len(by_ticker) != len(self.securities):
            raise ValueError("duplicate ticker in the demo universe")
        if len({s.cusip for s in self.securities}) != len(self.securities):
            raise ValueError("duplicate CUSIP in the demo universe")
        object.__setattr__(self, "by_ticker", by_ticker)

    @property
    def stocks(self) -> list[DemoSecurity]:
        return [s for s in self.securities if not s.is_fund]

    def funds(self, asset_class: str, security_type: str | None = None) -> list[DemoSecurity]:
        return [s for s in self.securities if s.is_fund and s.asset_class == asset_class
                and (security_type is None or s.security_type == security_type)]

    def share_classes(self, group: str) -> list[DemoSecurity]:
        """The members of a substantially identical group, in feed order."""
        return [s for s in self.securities if group and s.identical_group == group]


def _issuer_code(key: str, taken: set[str]) -> str:
    """A 6-character issuer code from a hash of `key`, unique within `taken` (which it joins).

    Five digits and a final digit or letter, the shape most real issuer codes have.
    """
    salt = 0
    while True:
        digest = hashlib.sha256(f"rebal-demo-issuer:{key}:{salt}".encode()).digest()
        number = int.from_bytes(digest[:8], "big")
        characters = []
        for _ in range(5):
            number, digit = divmod(number, 10)
            characters.append(str(digit))
        characters.append(_ISSUER_ALPHABET[number % len(_ISSUER_ALPHABET)])
        code = "".join(characters)
        if code not in taken:
            taken.add(code)
            return code
        salt += 1


def make_cusip(issuer: str, issue: str) -> str:
    body = issuer + issue
    return body + cusip_check_digit(body)


def make_isin(cusip: str) -> str:
    body = "US" + cusip
    return body + isin_check_digit(body)


def _founded_year(text: str) -> int | None:
    match = re.match(r"\s*([0-9]{4})", text)
    return int(match.group(1)) if match else None


def _stock_attributes(ticker: str, sector: str) -> tuple[float, float]:
    """(market cap in $bn, dividend yield), made up but stable for the ticker."""
    rng = seeded_random("stock", ticker)
    cap = _MEGA_CAPS.get(ticker) or min(450.0, max(6.0, math.exp(rng.gauss(math.log(38), 0.85))))
    mean_yield, non_payers = _SECTOR_YIELD[sector]
    paid = rng.random() >= non_payers
    dividend_yield = min(0.08, mean_yield * math.exp(rng.gauss(0, 0.35))) if paid else 0.0
    return cap, round(dividend_yield, 4)


def load_universe() -> Universe:
    """The S&P 500 members of the constituents file, then the funds of FUNDS."""
    with CONSTITUENTS_CSV.open(newline="", encoding="utf-8") as handle:
        members = list(csv.DictReader(handle))
    taken: set[str] = set()
    issuers: dict[str, str] = {}
    classes_of_issuer: dict[str, list[str]] = {}
    for member in members:
        classes_of_issuer.setdefault(member["CIK"], []).append(member["Symbol"])
    securities: list[DemoSecurity] = []
    for member in members:
        ticker, cik, sector = member["Symbol"], member["CIK"], member["GICS Sector"]
        if cik not in issuers:
            issuers[cik] = _issuer_code(f"cik:{cik}", taken)
        siblings = classes_of_issuer[cik]
        issue = _ISSUE_FIRST if siblings.index(ticker) == 0 else _ISSUE_SECOND
        cusip = make_cusip(issuers[cik], issue)
        cap, dividend_yield = _stock_attributes(ticker, sector)
        securities.append(DemoSecurity(
            ticker=ticker, cusip=cusip, isin=make_isin(cusip), name=member["Security"],
            security_type=EQUITY, asset_class=LARGE if cap >= MID_CAP_BELOW_BILLIONS else MID,
            sector=sector, sub_industry=member["GICS Sub-Industry"],
            identical_group=f"{siblings[0]}-SHARE-CLASSES" if len(siblings) > 1 else "",
            market_cap=cap, dividend_yield=dividend_yield, fund_price=0.0,
            founded_year=_founded_year(member["Founded"])))
    family_issuers: dict[str, str] = {}
    for fund in FUNDS:
        if fund.family:
            first_class = fund.family not in family_issuers
            if first_class:
                family_issuers[fund.family] = _issuer_code(f"fund:{fund.family}", taken)
            cusip = make_cusip(family_issuers[fund.family],
                               _ISSUE_FIRST if first_class else _ISSUE_ADMIRAL)
        else:
            cusip = make_cusip(_issuer_code(f"fund:{fund.ticker}", taken), _ISSUE_FIRST)
        securities.append(DemoSecurity(
            ticker=fund.ticker, cusip=cusip, isin=make_isin(cusip), name=fund.name,
            security_type=fund.security_type, asset_class=fund.asset_class, sector="",
            sub_industry="", identical_group=fund.family, market_cap=0.0,
            dividend_yield=fund.dividend_yield, fund_price=fund.price, founded_year=None))
    return Universe(securities=tuple(securities))


# --- security models -------------------------------------------------------------------------

WEIGHT_PLACES = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class SecurityModel:
    """A model of the models feed: weights are Decimals that sum to exactly 1."""

    code: str
    name: str
    provider_code: str  # blank for the firm's own models
    weights: tuple[tuple[DemoSecurity, Decimal], ...]


def exact_weights(
        raw: list[tuple[DemoSecurity, float]]) -> tuple[tuple[DemoSecurity, Decimal], ...]:
    """Weights proportional to `raw`, rounded to 8 places; the last absorbs the rounding so that
    the written weights sum to exactly 1."""
    total = sum(value for _, value in raw)
    weights = [(security, Decimal(value / total).quantize(WEIGHT_PLACES))
               for security, value in raw]
    last_security, _ = weights[-1]
    weights[-1] = (last_security, Decimal(1) - sum((w for _, w in weights[:-1]), Decimal(0)))
    if weights[-1][1] <= 0:
        raise ValueError("the last weight must stay positive after rounding")
    return tuple(weights)


def security_models(universe: Universe) -> list[SecurityModel]:
    """The firm's products and one third-party model.

    LCAP_DIRECT is a direct index of the 100 largest members by made-up market cap, cap
    weighted; LCAP_DIVIDEND (provider NQA) holds the 50 highest yielders among members worth at
    least $20bn, weighted by yield; the others implement one asset class with funds.
    """
    large = [s for s in universe.stocks if s.asset_class == LARGE]
    top = sorted(large, key=lambda s: (-s.market_cap, s.ticker))[:100]
    yielders = sorted((s for s in large if s.market_cap >= 20 and s.dividend_yield > 0),
                      key=lambda s: (-s.dividend_yield, s.ticker))[:50]
    fund = universe.by_ticker

    def single(code: str, name: str, ticker: str) -> SecurityModel:
        return SecurityModel(code, name, "", exact_weights([(fund[ticker], 1.0)]))

    return [
        SecurityModel("LCAP_DIRECT", "US Large Cap Direct Index (Top 100)", "",
                      exact_weights([(s, s.market_cap) for s in top])),
        SecurityModel("LCAP_DIVIDEND", "Northfield Quality Dividend 50", "NQA",
                      exact_weights([(s, s.dividend_yield) for s in yielders])),
        single("LCAP_ETF", "US Large Cap ETF", "IVV"),
        single("LCAP_FUND", "US Large Cap Index Fund", "VFIAX"),
        single("MCAP_ETF", "US Mid Cap ETF", "IJH"),
        single("SCAP_ETF", "US Small Cap ETF", "IJR"),
        single("INTL_DEV_ETF", "International Developed ETF", "IEFA"),
        single("EM_ETF", "Emerging Markets ETF", "IEMG"),
        SecurityModel("BOND_CORE", "Core US Aggregate Bond", "",
                      exact_weights([(fund["AGG"], 0.6), (fund["VBTLX"], 0.4)])),
        SecurityModel("MUNI_CORE", "National Municipal Bond", "",
                      exact_weights([(fund["MUB"], 0.5), (fund["VTEB"], 0.5)])),
        single("REIT_ETF", "US Real Estate ETF", "VNQ"),
        single("CASH_MMF", "Cash Sweep Money Market", "VMFXX"),
    ]
