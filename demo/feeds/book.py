"""Households, tax entities, accounts, tax lots, cash and transactions of the demo firm.

People and accounts (N accounts):

- Households of 1-4 accounts, each its own tax entity (`TE-nnnnnn`), except couples filing
  jointly who keep separate households: about 4% of households come in such pairs (at least one
  pair when there are two households), and both name the same tax entity.
- Advisors by household: the demo firm's own advisor, DEMO_ADVISOR (advisor@demo.rebal.test, the
  user `demo_setup` creates), has about a fifth of the households, so the advisor's pages show a
  real book; the rest go to `advisor<k>@demo.rebal.test` (k from 2, one per ~150 accounts, at
  least 2 of them); about 2% of households have none.
- Registrations by quota: individual 24%, joint 24%, ira 22%, roth_ira 10%, trust 10%,
  corporate 5%, other 5%. tax_status: ira → tax_deferred, roth_ira → tax_exempt, trust →
  taxable (a charitable remainder trust, 1 in 10, tax_exempt), other → a family foundation
  (tax_exempt) or a UTMA custodial account (taxable), the rest taxable.
- Statuses by quota: closed 2%, suspended 2%, pending_close 1.5%, the rest open. From 20
  accounts up every registration and every status appears at least once.
- Programs (PROGRAMS) BAL60, GROWTH80, EQUITY100, CONS30, INCOME; discretionary 85% Y;
  approved_for_trading 90% Y; opened 1-12 years back; x_tier by household value (Platinum from
  $5M, Gold from $1M, else Silver) and x_family the surname.

Holdings (open, suspended and pending_close accounts):

- A value drawn log-normal (median $450k, $25k-$25M) spread over the program's asset classes,
  drifted. Large cap is a direct index of stocks (60% of accounts), index ETFs (25%) or the
  index mutual fund (15%); ETF and fund accounts keep 3-15 legacy stocks; the other asset
  classes sit in one ETF or one mutual fund's Admiral class (a quarter of fund holders also keep
  the legacy Investor class); taxable accounts from $500k mostly hold municipal bonds.
- 10-60 positions (at most 57 before the wash-sale purchases below), 1-6 lots each, acquired
  between the account's opening and the business date (skewed recent, never before the company
  was founded), so lots are short and long term. Basis = quantity × that day's price × ±1.5%
  noise for stocks and ETFs (mutual funds at NAV), so gains and losses both occur.
- Quantities: whole shares; mutual funds to 3 decimals; money market funds to the cent.
- The custodian's own wash-sale adjustments (holding_period_start and wash_sale_adjustment,
  already in cost_basis) on ~0.6% of the lots bought in the last year and on the engineered
  same-account replacement lots below. Wash sales that the random trading makes by chance are
  left unadjusted, for Rebal to find.
- The first funded account holds every security the market leaves out of the risk model or
  unpriced on the business date, so those cases exist in every book; the unpriced (halted) one is
  never traded or paid on the business date, and only other stocks are drawn at random.
- New accounts (1%, opened in the last 30 business days) hold only the cash they deposited;
  closed accounts hold no lots and zero cash. Every account is in the cash file.

The custodian's snapshot at the start of the window (`opening_date`, the business day before the
window's first day, WINDOW_DAYS + 1 business days back) is the business date's snapshot with the
window's transactions undone, so that start snapshot + transactions = business-date snapshot,
exactly:

- Lots acquired before the window are in both snapshots under the same lot_id; lots opened in
  the window (buys, dividend reinvestments, wash-sale replacements) only in the business date's,
  with the lot_id of the transaction that opened them.
- Every sell relieves a lot of the start snapshot, once: a whole lot (closed in the window, so
  only in the start snapshot) or part of one (in the start snapshot with all its shares, in the
  business date's with what is left: basis relieved pro rata, rounded half up to the cent, the
  way Rebal's tax engine relieves a lot).
- Cash, on a trade-date basis: start cash = business-date cash − the effective transactions'
  amounts (cancelled rows and pure cancels left out, as Rebal reads `cancels`). Where that would
  make the start cash, or the balance on any day of the window, negative, the business-date cash
  is raised (the proceeds stayed in cash), so no snapshot has negative cash.
- Accounts opened in the window are not in the start snapshot; closed accounts are, empty.

Transactions (the last WINDOW_DAYS business days; ids `<account>-<YYYYMMDD business
date>-<nnnn>`; amount is the signed effect on cash: buys, reinvestments, withdrawals and fees are
negative; quantity and price are unsigned; settle T+1 for trades, same day for cash flows):

- A buy for every lot acquired in the window (basis = quantity × that day's close); a dividend
  and a dividend_reinvestment for mutual funds that reinvest (monthly for bond funds, quarterly
  for equity funds); cash dividends on other payers on each security's pay date (on the shares
  held before it); monthly interest on cash (last business day of a month) and advisory fees
  (first business day); deposits and withdrawals; sells of whole earlier lots and of parts of
  lots still held (lot_id is the relieved lot, realized_gain = proceeds − relieved basis).
- Wash sales to detect: max(3, taxable open accounts / 40) loss sales of a whole lot held since
  before the window, in the last RECENT_SALE_DAYS business days (inside the 60 days Rebal's tax
  view looks back), each followed 1-20 business days later (under 30 calendar days) by a
  purchase in the same tax entity, cycling through: the same security in the same account (the
  custodian adjusted the new lot: the disallowed loss, in proportion to the shares bought back,
  and the sold shares' holding period carried over), the same security in another account of
  the tax entity (e.g. the spouse's IRA; not adjusted), another class of the same fund or
  company, and across the two households of a couple. The security is one the tax entity
  neither holds nor trades otherwise (when one is left), so each planted wash sale pairs
  exactly one sale with one purchase. `Book.wash_sales` lists them.
- Cancels: a duplicated fee, cancelled by a row that repeats the duplicate with `cancels` set
  and no amount (a pure cancel); and a dividend posted with a slipped decimal, cancelled the
  same way and re-posted correctly under a new id.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from demo.feeds import seeded_random
from demo.feeds.market import (
    BUSINESS_DAYS_PER_YEAR,
    CENT,
    HALTED_TICKER,
    RISK_MODEL_OMITTED,
    WINDOW_DAYS,
    Market,
)
from demo.feeds.universe import (
    BOND_AGG,
    BOND_MUNI,
    CASH,
    CASH_EQUIVALENT,
    ETF,
    INTL_DEV,
    INTL_EM,
    LARGE,
    MID,
    MUTUAL_FUND,
    REAL_ESTATE,
    SMALL,
    DemoSecurity,
    Universe,
)

BONDS = "FI"  # a program's bond sleeve, split between FI.US.AGG and FI.US.MUNI per account
PROGRAMS: dict[str, dict[str, float]] = {
    "EQUITY100": {LARGE: 0.58, MID: 0.10, SMALL: 0.08, INTL_DEV: 0.15, INTL_EM: 0.07, CASH: 0.02},
    "GROWTH80": {LARGE: 0.44, MID: 0.07, SMALL: 0.05, INTL_DEV: 0.12, INTL_EM: 0.05,
                 REAL_ESTATE: 0.05, BONDS: 0.20, CASH: 0.02},
    "BAL60": {LARGE: 0.33, MID: 0.05, SMALL: 0.04, INTL_DEV: 0.09, INTL_EM: 0.03,
              REAL_ESTATE: 0.04, BONDS: 0.40, CASH: 0.02},
    "CONS30": {LARGE: 0.17, MID: 0.03, SMALL: 0.02, INTL_DEV: 0.05, REAL_ESTATE: 0.03,
               BONDS: 0.65, CASH: 0.05},
    "INCOME": {LARGE: 0.22, INTL_DEV: 0.05, REAL_ESTATE: 0.08, BONDS: 0.60, CASH: 0.05},
}
PROGRAM_SHARES = {"BAL60": 34, "GROWTH80": 26, "EQUITY100": 12, "CONS30": 15, "INCOME": 13}
REGISTRATION_SHARES = {"individual": 0.24, "joint": 0.24, "ira": 0.22, "roth_ira": 0.10,
                       "trust": 0.10, "corporate": 0.05, "other": 0.05}
STATUS_SHARES = {"open": 0.945, "closed": 0.02, "suspended": 0.02, "pending_close": 0.015}
ACTIVE_STATUSES = ("open", "suspended", "pending_close")
TIER_FEE_RATES = {"Platinum": 0.0060, "Gold": 0.0085, "Silver": 0.0100}
MAX_POSITIONS_BEFORE_WASH_SALES = 57
DEMO_ADVISOR = "advisor@demo.rebal.test"  # the demo firm's advisor user (demo.services)
DEMO_ADVISOR_SHARE = 0.2
RECENT_SALE_DAYS = 40  # business days: 8 weeks, inside the tax view's 60 calendar days
_QUOTA_MIN_ACCOUNTS = 20  # below this many accounts, quotas cannot show every value

SURNAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
    "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy",
    "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed",
    "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez",
    "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell",
    "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander",
    "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes",
    "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray",
    "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "Mcdonald", "Woods",
    "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker",
    "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez",
    "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks", "Holmes", "Palmer",
    "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills",
    "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens", "Soto",
    "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins",
    "Arnold", "Pierce", "Vazquez", "Hansen", "Peters", "Santos", "Hart", "Bradley", "Knight",
    "Elliott", "Cunningham", "Duncan", "Armstrong", "Hudson", "Carroll", "Lane", "Riley",
    "Andrews", "Alvarado", "Ray", "Delgado", "Berry", "Perkins", "Hoffman", "Johnston", "Matthews",
    "Pena", "Richards", "Contreras", "Willis", "Carpenter", "Lawrence", "Sandoval", "Okafor",
    "Nakamura", "Kowalski", "Novak", "Rossi", "Haddad", "Cohen", "Singh", "Shah", "Yamamoto",
    "Lindqvist", "Oconnor",
)
FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Christopher", "Karen", "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony",
    "Sandra", "Mark", "Margaret", "Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily",
    "Paul", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian",
    "Melissa", "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Dorothy", "Jason",
    "Rebecca", "Edward", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia", "Jacob", "Amy", "Gary",
    "Kathleen", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Brenda", "Stephen", "Emma",
    "Larry", "Anna", "Justin", "Pamela", "Scott", "Nicole", "Brandon", "Samantha", "Benjamin",
    "Katherine", "Samuel", "Christine", "Gregory", "Helen", "Alexander", "Debra", "Patrick",
    "Rachel", "Frank", "Carolyn", "Raymond", "Janet", "Jack", "Maria", "Dennis", "Olivia", "Jerry",
    "Heather", "Tyler", "Diane", "Aaron", "Julie", "Jose", "Joyce", "Adam", "Victoria", "Nathan",
    "Ruth", "Henry", "Virginia", "Zachary", "Lauren", "Douglas", "Kelly", "Peter", "Christina",
    "Kyle", "Joan", "Noah", "Evelyn", "Ethan", "Judith", "Jeremy", "Andrea", "Walter", "Hannah",
    "Christian", "Megan", "Keith", "Cheryl", "Roger", "Jacqueline", "Terry", "Martha", "Austin",
    "Madison", "Sean", "Teresa", "Gerald", "Gloria", "Carl", "Sara", "Harold", "Janice", "Dylan",
    "Ann", "Arthur", "Kathryn", "Lawrence", "Abigail", "Jordan", "Sophia", "Jesse", "Frances",
)


@dataclass(slots=True)
class Household:
    """A client household; `tax_entity` is shared by the two households of a couple."""

    code: str
    surname: str
    people: tuple[str, ...]
    tax_entity: str
    advisor: str
    tier: str = "Silver"


@dataclass(slots=True)
class Account:
    """A client account; `value` is the market value its holdings were drawn for."""

    number: str
    name: str
    household: Household
    registration: str
    tax_status: str
    status: str
    discretionary: bool
    approved_for_trading: bool
    program: str
    opened_offset: int
    opened: date
    value: float


@dataclass(slots=True)
class TaxLot:
    """An open lot of the snapshot; cost_basis already includes wash_sale_adjustment."""

    account_number: str
    security: DemoSecurity
    lot_id: str
    quantity: Decimal
    cost_basis: Decimal
    acquired: date
    acquired_offset: int
    holding_period_start: date | None = None
    wash_sale_adjustment: Decimal | None = None


@dataclass(slots=True)
class CashBalance:
    """An account's cash in the snapshot."""

    account_number: str
    cash: Decimal
    pending_withdrawal: Decimal | None


@dataclass(slots=True)
class Transaction:
    """A trade or cash flow; amount is the signed effect on cash."""

    account_number: str
    transaction_id: str
    trade_date: date
    settle_date: date
    type: str
    security: DemoSecurity | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    amount: Decimal | None = None
    lot_id: str = ""
    realized_gain: Decimal | None = None
    cancels: str = ""


@dataclass(frozen=True, slots=True)
class PlantedWashSale:
    """A loss sale and the purchase that washes it, planted in the tax entity."""

    kind: str  # same_account, other_account, share_class, couple
    tax_entity: str
    sale_transaction_id: str
    seller: str  # account numbers
    buyer: str
    sold: str  # tickers
    bought: str
    replacement_lot_id: str
    loss: Decimal
    custodian_adjustment: Decimal | None  # what the custodian added to the replacement lot


@dataclass
class Book:
    """The firm's clients, their snapshots at both ends of the window and the window's
    transactions, in feed order."""

    households: list[Household]
    accounts: list[Account]
    lots: list[TaxLot]
    cash: list[CashBalance]
    transactions: list[Transaction]
    opening_date: date
    opening_lots: list[TaxLot]
    opening_cash: list[CashBalance]
    wash_sales: list[PlantedWashSale]


@dataclass
class _AccountBook:
    """One account's lots and transactions while they are drawn."""

    account: Account
    id_prefix: str
    lots: list[TaxLot] = field(default_factory=list)
    positions: dict[str, list[TaxLot]] = field(default_factory=dict)
    transactions: list[Transaction] = field(default_factory=list)
    cash_value: float = 0.0
    pending_withdrawal: float = 0.0
    funded: bool = False
    # Lots partly sold in the window: lot_id -> (quantity, cost_basis) in the start snapshot.
    opening: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    # Lots of the start snapshot sold whole in the window.
    closed_lots: list[TaxLot] = field(default_factory=list)
    _lot_sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _transaction_sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_lot_id(self) -> str:
        return f"L{next(self._lot_sequence):05d}"

    def next_transaction_id(self) -> str:
        return f"{self.id_prefix}-{next(self._transaction_sequence):04d}"

    def add_lot(self, lot: TaxLot) -> None:
        self.lots.append(lot)
        self.positions.setdefault(lot.security.ticker, []).append(lot)


def _quota(rng: random.Random, count: int, shares: dict[str, float], dominant: str) -> list[str]:
    """`count` values in the given shares, each at least once from a useful count up, shuffled."""
    values: list[str] = []
    for value, share in shares.items():
        if value != dominant:
            wanted = round(count * share)
            if count >= _QUOTA_MIN_ACCOUNTS:
                wanted = max(1, wanted)
            values += [value] * wanted
    values = values[:count]
    values += [dominant] * (count - len(values))
    rng.shuffle(values)
    return values


def _money(value: float) -> Decimal:
    return Decimal(value).quantize(CENT)


def _pro_rata(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """`part`/`whole` of `total`, to the cent, halves away from zero (as Rebal relieves lots)."""
    return (total * part / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def _quantity(value: float, decimals: int) -> Decimal:
    """A positive quantity at the security's precision (at least one unit of it)."""
    unit = Decimal(1).scaleb(-decimals)
    return max(unit, Decimal(value).quantize(unit))


class _BookBuilder:
    def __init__(self, *, universe: Universe, market: Market, accounts: int, seed: int) -> None:
        self.universe = universe
        self.market = market
        self.calendar = market.calendar
        self.count = accounts
        self.rng = seeded_random(seed, "book")
        self.business_date = self.calendar.business_date
        self.stocks = [s for s in universe.stocks if s.ticker != HALTED_TICKER
                       and s.ticker not in RISK_MODEL_OMITTED]
        self.stock_cumulative_caps = list(itertools.accumulate(
            s.market_cap for s in self.stocks))
        self.earliest_offset = {
            s.ticker: (self.calendar.offset_of(date(s.founded_year, 1, 1))
                       if s.founded_year else self.calendar.depth)
            for s in universe.securities}
        self.pay_offsets = {s.ticker: self._pay_offsets(s) for s in universe.securities}
        self.month_starts = [o for o in range(WINDOW_DAYS, -1, -1)
                             if self.calendar.day(o).month != self.calendar.day(o + 1).month]
        self.month_ends = [o for o in range(WINDOW_DAYS, 0, -1)
                           if self.calendar.day(o).month != self.calendar.day(o - 1).month]

    # --- calendar helpers ---------------------------------------------------------------

    def _pay_offsets(self, security: DemoSecurity) -> tuple[int, ...]:
        """The window offsets on which a security pays: monthly for bond and money market funds,
        quarterly otherwise; the phase is stable per ticker."""
        if security.dividend_yield <= 0 or security.ticker == HALTED_TICKER:
            return ()
        phase_rng = seeded_random("pay-phase", security.ticker)
        if security.asset_class in (BOND_AGG, BOND_MUNI, CASH):
            phase = phase_rng.randint(0, 20)
            return tuple(o for o in (phase + 42, phase + 21, phase) if o < WINDOW_DAYS)
        phase = phase_rng.randint(0, 62)
        return (phase,) if phase < WINDOW_DAYS else ()

    def _settle(self, offset: int, days: int = 1) -> date:
        if offset - days >= 0:
            return self.calendar.day(offset - days)
        day = self.business_date
        for _ in range(days - offset):
            day += timedelta(days=1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
        return day

    # --- people -------------------------------------------------------------------------

    def households_and_accounts(self) -> tuple[list[Household], list[_AccountBook]]:
        rng = self.rng
        sizes: list[int] = []
        placed = 0
        while placed < self.count:
            sizes.append(min(self.count - placed,
                             rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0]))
            placed += sizes[-1]
        pair_candidates = list(range(0, len(sizes) - 1, 2))
        pairs = set(rng.sample(pair_candidates, min(len(pair_candidates),
                                                    max(1, round(len(sizes) * 0.02)))))
        advisors = max(3, self.count // 150)  # advisor2 .. advisor<advisors>
        registrations = _quota(rng, self.count, REGISTRATION_SHARES, "individual")
        statuses = _quota(rng, self.count, STATUS_SHARES, "open")
        programs = list(PROGRAM_SHARES)
        households: list[Household] = []
        books: list[_AccountBook] = []
        prefix_date = self.business_date.strftime("%Y%m%d")
        spouse = ""
        for index, size in enumerate(sizes):
            code = f"HH-{index + 1:06d}"
            people: tuple[str, ...]
            if index - 1 in pairs:  # the spouse's own household, one tax entity with the first
                partner = households[-1]
                surname, people = partner.surname, (spouse,)
                tax_entity, advisor = partner.tax_entity, partner.advisor
            else:
                surname = rng.choice(SURNAMES)
                first, spouse = rng.sample(FIRST_NAMES, 2)
                tax_entity = f"TE-{index + 1:06d}"
                draw = rng.random()
                advisor = ("" if draw < 0.02 else DEMO_ADVISOR if draw < 0.02 + DEMO_ADVISOR_SHARE
                           else f"advisor{rng.randint(2, advisors)}@demo.rebal.test")
                # A couple filing jointly with a household each: one person per household.
                people = (first,) if index in pairs else (first, spouse)
            household = Household(code=code, surname=surname, people=people,
                                  tax_entity=tax_entity, advisor=advisor)
            households.append(household)
            for _ in range(size):
                position = len(books)
                registration = registrations[position]
                name, tax_status = self._account_name(household, registration)
                status = statuses[position]
                new = status == "open" and rng.random() < 0.01
                opened_offset = (rng.randint(1, 30) if new else
                                 rng.randint(BUSINESS_DAYS_PER_YEAR, 12 * BUSINESS_DAYS_PER_YEAR))
                value = min(25_000_000.0, max(25_000.0,
                                              math.exp(rng.gauss(math.log(450_000), 1.0))))
                account = Account(
                    number=f"{30_000_001 + position}", name=name, household=household,
                    registration=registration, tax_status=tax_status, status=status,
                    discretionary=rng.random() < 0.85, approved_for_trading=rng.random() < 0.90,
                    program=rng.choices(programs, weights=list(PROGRAM_SHARES.values()))[0],
                    opened_offset=opened_offset, opened=self.calendar.day(opened_offset),
                    value=round(value, 2))
                book = _AccountBook(account=account, id_prefix=f"{account.number}-{prefix_date}")
                book.funded = status in ACTIVE_STATUSES and not new
                books.append(book)
        totals: dict[str, float] = defaultdict(float)
        for book in books:
            totals[book.account.household.code] += book.account.value
        for household in households:
            total = totals[household.code]
            household.tier = ("Platinum" if total >= 5_000_000 else
                              "Gold" if total >= 1_000_000 else "Silver")
        return households, books

    def _account_name(self, household: Household, registration: str) -> tuple[str, str]:
        rng, surname = self.rng, household.surname
        person = rng.choice(household.people)
        if registration == "individual":
            return f"{person} {surname} Individual", "taxable"
        if registration == "joint":
            if len(household.people) > 1:
                return f"{household.people[0]} & {household.people[1]} {surname} JTWROS", "taxable"
            return f"{person} {surname} Joint TIC", "taxable"
        if registration == "ira":
            return f"{person} {surname} {rng.choice(('IRA', 'Rollover IRA', 'SEP IRA'))}", \
                "tax_deferred"
        if registration == "roth_ira":
            return f"{person} {surname} Roth IRA", "tax_exempt"
        if registration == "trust":
            if rng.random() < 0.1:
                return f"{surname} Charitable Remainder Trust", "tax_exempt"
            return rng.choice((f"{surname} Family Trust", f"{person} {surname} Revocable Trust")), \
                "taxable"
        if registration == "corporate":
            return f"{surname} {rng.choice(('Holdings LLC', 'Capital Inc', 'Partners LP'))}", \
                "taxable"
        if rng.random() < 0.5:
            return f"{surname} Family Foundation", "tax_exempt"
        return f"{person} {surname} UTMA", "taxable"

    # --- holdings -----------------------------------------------------------------------

    def _pick_stocks(self, count: int, exclude: set[str]) -> list[DemoSecurity]:
        """`count` distinct stocks, more likely the larger, none of `exclude`."""
        chosen: list[DemoSecurity] = []
        seen = set(exclude)
        while len(chosen) < count:
            for stock in self.rng.choices(self.stocks, cum_weights=self.stock_cumulative_caps,
                                          k=2 * (count - len(chosen))):
                if stock.ticker not in seen:
                    seen.add(stock.ticker)
                    chosen.append(stock)
                    if len(chosen) == count:
                        break
        return chosen

    def _fund_choice(self, asset_class: str, value: float) -> list[tuple[DemoSecurity, float]]:
        """One of the asset class's ETFs (70%), or its mutual fund."""
        if self.rng.random() < 0.7:
            return [(self.rng.choice(self.universe.funds(asset_class, ETF)), value)]
        return self._mutual_fund(asset_class, value)

    def _mutual_fund(self, asset_class: str, value: float) -> list[tuple[DemoSecurity, float]]:
        """The fund's Admiral class; a quarter of holders also keep the legacy Investor class."""
        investor, admiral = self.universe.funds(asset_class, MUTUAL_FUND)[:2]
        if self.rng.random() < 0.25:
            return [(admiral, value * 0.65), (investor, value * 0.35)]
        return [(admiral, value)]

    def _positions(self, book: _AccountBook, must_hold: list[DemoSecurity]
                   ) -> list[tuple[DemoSecurity, float]]:
        rng, account = self.rng, book.account
        drifted = {ac: w * math.exp(rng.gauss(0, 0.12))
                   for ac, w in PROGRAMS[account.program].items()}
        total = sum(drifted.values())
        sleeves = {ac: account.value * w / total for ac, w in drifted.items()}
        positions: list[tuple[DemoSecurity, float]] = []
        cash_sleeve = sleeves.pop(CASH)
        if rng.random() < 0.4:
            fund = self.universe.by_ticker["VMFXX" if rng.random() < 0.8 else "SPAXX"]
            positions.append((fund, cash_sleeve * 0.7))
            cash_sleeve *= 0.3
        book.cash_value = cash_sleeve * math.exp(rng.gauss(0, 0.4))
        bonds = sleeves.pop(BONDS, 0.0)
        if bonds:
            if account.tax_status == "taxable" and account.value >= 500_000 and rng.random() < 0.8:
                sleeves[BOND_MUNI], sleeves[BOND_AGG] = bonds * 0.7, bonds * 0.3
            else:
                sleeves[BOND_AGG] = bonds
        large = sleeves.pop(LARGE)
        for asset_class, value in sleeves.items():
            positions += self._fund_choice(asset_class, value)
        style = rng.choices(("direct", "etf", "fund"), weights=(60, 25, 15))[0]
        top = min(MAX_POSITIONS_BEFORE_WASH_SALES, 10 + int(account.value / 20_000))
        target = rng.randint(10, max(10, top))
        if style == "direct":
            stock_count = max(5, target - len(positions))
            stock_value = large
        else:
            if style == "etf":
                etfs = rng.sample(self.universe.funds(LARGE, ETF), 2 if rng.random() < 0.2 else 1)
                legacy_share = rng.uniform(0.1, 0.3)
                positions += [(etf, large * (1 - legacy_share) / len(etfs)) for etf in etfs]
            else:
                legacy_share = rng.uniform(0.1, 0.3)
                positions += self._mutual_fund(LARGE, large * (1 - legacy_share))
            stock_count = max(10 - len(positions), rng.randint(3, 15))
            stock_value = large * legacy_share
        stock_count = min(stock_count, MAX_POSITIONS_BEFORE_WASH_SALES - len(positions))
        stock_count = max(stock_count - len(must_hold), 0)
        stocks = must_hold + self._pick_stocks(stock_count, {s.ticker for s in must_hold})
        raw = [s.market_cap ** 0.8 * math.exp(rng.gauss(0, 0.35)) for s in stocks]
        raw_total = sum(raw)
        positions += [(s, stock_value * r / raw_total) for s, r in zip(stocks, raw, strict=True)]
        return positions

    def _split(self, quantity: Decimal, decimals: int, parts: int) -> list[Decimal]:
        """`quantity` in `parts` positive pieces at the security's precision."""
        units = int(quantity.scaleb(decimals))
        parts = max(1, min(parts, units))
        weights = [self.rng.expovariate(1.0) for _ in range(parts)]
        spare = units - parts
        total = sum(weights)
        pieces = [1 + int(spare * w / total) for w in weights]
        pieces[-1] += units - sum(pieces)
        return [Decimal(p).scaleb(-decimals) for p in pieces]

    def _basis(self, security: DemoSecurity, quantity: Decimal, offset: int) -> Decimal:
        """What a lot cost: at the close within the window, at the day's price with intraday
        noise before it (mutual funds trade at NAV)."""
        if offset <= WINDOW_DAYS:
            return (quantity * self.market.close(security.ticker, offset)).quantize(CENT)
        price = self.market.price(security.ticker, offset)
        if security.security_type not in (MUTUAL_FUND, CASH_EQUIVALENT):
            price *= 1 + self.rng.gauss(0, 0.015)
        return _money(float(quantity) * price)

    def _buy(self, book: _AccountBook, security: DemoSecurity, quantity: Decimal, offset: int,
             *, kind: str = "buy", basis: Decimal | None = None,
             adjustment: tuple[date, Decimal] | None = None) -> TaxLot:
        """A lot acquired `offset` business days back, with its buy transaction if in the window."""
        cost = basis if basis is not None else self._basis(security, quantity, offset)
        lot = TaxLot(account_number=book.account.number, security=security,
                     lot_id=book.next_lot_id(), quantity=quantity, cost_basis=cost,
                     acquired=self.calendar.day(offset), acquired_offset=offset)
        if adjustment is not None:
            lot.holding_period_start, lot.wash_sale_adjustment = adjustment
            lot.cost_basis += adjustment[1]
        book.add_lot(lot)
        if offset <= WINDOW_DAYS:
            book.transactions.append(Transaction(
                account_number=book.account.number, transaction_id=book.next_transaction_id(),
                trade_date=lot.acquired, settle_date=self._settle(offset), type=kind,
                security=security, quantity=quantity,
                price=self.market.close(security.ticker, offset), amount=-cost,
                lot_id=lot.lot_id))
        return lot

    def hold(self, book: _AccountBook, must_hold: list[DemoSecurity]) -> None:
        rng, market = self.rng, self.market
        opened = book.account.opened_offset
        for security, value in self._positions(book, must_hold):
            decimals = security.quantity_decimals
            quantity = _quantity(value / market.price(security.ticker, 0), decimals)
            reinvests = security.security_type == MUTUAL_FUND and rng.random() < 0.6
            reinvest_offsets = self.pay_offsets[security.ticker] if reinvests else ()
            lot_count = rng.choices((1, 2, 3, 4, 5, 6), weights=(28, 24, 18, 13, 9, 8))[0]
            lot_count = max(1, min(lot_count, 6 - len(reinvest_offsets)))
            earliest = min(opened, self.earliest_offset[security.ticker])
            offsets = sorted((int(earliest * rng.random() ** 1.2)
                              for _ in range(lot_count)), reverse=True)
            for piece, offset in zip(self._split(quantity, decimals, lot_count), offsets,
                                     strict=False):
                if offset == 0 and security.ticker == HALTED_TICKER:
                    offset = 1  # no trade, and no price, on the day it is halted
                adjustment = None
                if (WINDOW_DAYS < offset <= BUSINESS_DAYS_PER_YEAR and rng.random() < 0.006
                        and security.security_type != CASH_EQUIVALENT):
                    start = min(opened, offset + rng.randint(30, 400))
                    if start > offset:
                        disallowed = _money(float(piece) * market.price(security.ticker, offset)
                                            * rng.uniform(0.02, 0.12))
                        adjustment = (self.calendar.day(start), disallowed)
                self._buy(book, security, piece, offset, adjustment=adjustment)
            for pay in reinvest_offsets:
                self._reinvest(book, security, pay)

    def _held_before(self, book: _AccountBook, ticker: str, offset: int) -> Decimal:
        return sum((lot.quantity for lot in book.positions.get(ticker, ())
                    if lot.acquired_offset > offset), Decimal(0))

    def _distribution(self, security: DemoSecurity, quantity: Decimal, offset: int) -> Decimal:
        per_year = 12 if security.asset_class in (BOND_AGG, BOND_MUNI, CASH) else 4
        return _money(float(quantity) * float(self.market.close(security.ticker, offset))
                      * security.dividend_yield / per_year)

    def _reinvest(self, book: _AccountBook, security: DemoSecurity, offset: int) -> None:
        amount = self._distribution(security, self._held_before(book, security.ticker, offset),
                                    offset)
        if amount <= 0:
            return
        book.transactions.append(self._cash_flow(book, "dividend", offset, amount, security))
        nav = self.market.close(security.ticker, offset)
        quantity = _quantity(float(amount / nav), security.quantity_decimals)
        self._buy(book, security, quantity, offset, kind="dividend_reinvestment", basis=amount)

    def _cash_flow(self, book: _AccountBook, kind: str, offset: int, amount: Decimal,
                   security: DemoSecurity | None = None) -> Transaction:
        day = self.calendar.day(offset)
        return Transaction(account_number=book.account.number,
                           transaction_id=book.next_transaction_id(), trade_date=day,
                           settle_date=day, type=kind, security=security, amount=amount)

    def cash_dividends(self, book: _AccountBook) -> None:
        reinvested = {t.security.ticker for t in book.transactions
                      if t.type == "dividend_reinvestment" and t.security is not None}
        for ticker in list(book.positions):
            if ticker in reinvested:
                continue
            security = self.universe.by_ticker[ticker]
            for offset in self.pay_offsets[ticker]:
                amount = self._distribution(security, self._held_before(book, ticker, offset),
                                            offset)
                if amount > 0:
                    book.transactions.append(
                        self._cash_flow(book, "dividend", offset, amount, security))

    def _sell(self, book: _AccountBook, security: DemoSecurity, quantity: Decimal, offset: int,
              lot_id: str, basis: Decimal) -> Transaction:
        price = self.market.close(security.ticker, offset)
        proceeds = (quantity * price).quantize(CENT)
        transaction = Transaction(
            account_number=book.account.number, transaction_id=book.next_transaction_id(),
            trade_date=self.calendar.day(offset), settle_date=self._settle(offset), type="sell",
            security=security, quantity=quantity, price=price, amount=proceeds, lot_id=lot_id,
            realized_gain=proceeds - basis)
        book.transactions.append(transaction)
        return transaction

    def sells(self, book: _AccountBook) -> None:
        """Sales in the window, each of a lot of the start snapshot: part of a lot still held,
        or a whole earlier lot (of a position still held, or closed out in the window)."""
        rng = self.rng
        tickers = [t for t in book.positions if t != HALTED_TICKER
                   and self.universe.by_ticker[t].security_type != CASH_EQUIVALENT]
        if not tickers or rng.random() >= 0.45:
            return
        opened = book.account.opened_offset
        for _ in range(rng.randint(1, 4)):
            offset = rng.randint(0, WINDOW_DAYS - 1)
            security = self.universe.by_ticker[rng.choice(tickers)]
            decimals = security.quantity_decimals
            older = [lot for lot in book.positions[security.ticker]
                     if lot.acquired_offset > WINDOW_DAYS and lot.wash_sale_adjustment is None
                     and lot.lot_id not in book.opening]
            if older and rng.random() < 0.5:
                lot = rng.choice(older)
                self._partial_sale(book, lot, _quantity(float(lot.quantity) * rng.uniform(0.2, 1.0),
                                                        decimals), offset)
                continue
            if rng.random() < 0.3:  # a position closed out in the window
                security = self._pick_stocks(1, set(book.positions))[0]
                decimals = 0
            start = min(opened, self.earliest_offset[security.ticker])
            if start <= WINDOW_DAYS:
                continue
            acquired = rng.randint(WINDOW_DAYS + 1, start)
            value = book.account.value * rng.uniform(0.003, 0.02)
            quantity = _quantity(value / self.market.price(security.ticker, offset), decimals)
            lot = self._closed_lot(book, security, quantity, acquired,
                                   self._basis(security, quantity, acquired))
            self._sell(book, security, quantity, offset, lot.lot_id, lot.cost_basis)

    def _closed_lot(self, book: _AccountBook, security: DemoSecurity, quantity: Decimal,
                    acquired: int, basis: Decimal) -> TaxLot:
        """A lot of the start snapshot that a sale in the window relieves whole."""
        lot = TaxLot(account_number=book.account.number, security=security,
                     lot_id=book.next_lot_id(), quantity=quantity, cost_basis=basis,
                     acquired=self.calendar.day(acquired), acquired_offset=acquired)
        book.closed_lots.append(lot)
        return lot

    def _partial_sale(self, book: _AccountBook, lot: TaxLot, sold: Decimal, offset: int) -> None:
        """`sold` shares of `lot`, which keeps the rest: the start snapshot shows the lot with
        all its shares and a basis in proportion, the sale relieves its share of that basis."""
        whole = lot.quantity + sold
        basis = _pro_rata(lot.cost_basis, whole, lot.quantity)
        relieved = _pro_rata(basis, sold, whole)
        book.opening[lot.lot_id] = (whole, basis)
        lot.cost_basis = basis - relieved
        self._sell(book, lot.security, sold, offset, lot.lot_id, relieved)

    def cash_flows(self, book: _AccountBook) -> None:
        rng, account = self.rng, book.account
        rate = TIER_FEE_RATES[account.household.tier]
        for offset in self.month_starts:
            if offset < account.opened_offset:
                fee = _money(account.value * rate / 12)
                book.transactions.append(self._cash_flow(book, "fee", offset, -fee))
        for offset in self.month_ends:
            if offset < account.opened_offset:
                interest = _money(book.cash_value * 0.04 / 12)
                if interest > 0:
                    book.transactions.append(self._cash_flow(book, "interest", offset, interest))
        if rng.random() < 0.10:
            amount = _money(account.value * rng.uniform(0.02, 0.10))
            book.transactions.append(self._cash_flow(
                book, "deposit", rng.randint(0, min(WINDOW_DAYS, account.opened_offset)), amount))
        if rng.random() < 0.06:
            amount = _money(account.value * rng.uniform(0.01, 0.04))
            book.transactions.append(self._cash_flow(
                book, "withdrawal", rng.randint(0, min(WINDOW_DAYS, account.opened_offset)),
                -amount))

    def new_account(self, book: _AccountBook) -> None:
        """Opened in the last weeks: the deposit sits in cash, not yet invested."""
        book.cash_value = book.account.value
        book.transactions.append(self._cash_flow(book, "deposit", book.account.opened_offset,
                                                 _money(book.account.value)))

    # --- wash sales and cancels ---------------------------------------------------------

    def wash_sales(self, books: list[_AccountBook]) -> list[PlantedWashSale]:
        rng = self.rng
        active = [b for b in books if b.funded and b.account.status == "open"]
        sellers = [b for b in active if b.account.tax_status == "taxable"]
        if not sellers:
            return []
        by_entity: dict[str, list[_AccountBook]] = defaultdict(list)
        for book in active:
            by_entity[book.account.household.tax_entity].append(book)
        groups = sorted({s.identical_group for s in self.universe.securities
                         if s.identical_group})
        kinds = ("same_account", "other_account", "share_class", "couple")
        planted: list[PlantedWashSale] = []
        for number in range(max(3, len(sellers) // 40)):
            kind = kinds[number % len(kinds)]
            seller = rng.choice(sellers)
            entity = by_entity[seller.account.household.tax_entity]
            others = [b for b in entity if b is not seller]
            if kind == "couple":
                couples = [s for s in sellers if any(
                    b.account.household is not s.account.household
                    for b in by_entity[s.account.household.tax_entity])]
                if couples:
                    seller = rng.choice(couples)
                    others = [b for b in by_entity[seller.account.household.tax_entity]
                              if b.account.household is not seller.account.household]
                else:
                    kind = "other_account"
            if kind == "other_account" and not others:
                with_others = [s for s in sellers
                               if len(by_entity[s.account.household.tax_entity]) > 1]
                if with_others:
                    seller = rng.choice(with_others)
                    others = [b for b in by_entity[seller.account.household.tax_entity]
                              if b is not seller]
                else:
                    kind = "same_account"
            buyer = seller if kind in ("same_account", "share_class") or not others \
                else rng.choice(others)
            # A security the tax entity neither holds nor trades otherwise, where one is left,
            # so that this sale and this purchase pair with each other and nothing else.
            used = {ticker for b in by_entity[seller.account.household.tax_entity]
                    for ticker in _tickers_touched(b)}
            if kind == "share_class":
                free = [g for g in groups
                        if not any(c.ticker in used for c in self.universe.share_classes(g))]
                classes = self.universe.share_classes(rng.choice(free or groups))
                sold, bought = rng.sample(classes, 2)
            else:
                sold = bought = self._pick_stocks(1, used)[0]
            held = buyer.positions.get(bought.ticker)
            if (len(held) >= 6) if held else len(buyer.positions) >= 60:
                continue  # keep 1-6 lots per position and at most 60 positions
            wash_sale = self._wash_sale(seller, buyer, sold, bought, kind)
            if wash_sale is not None:
                planted.append(wash_sale)
        return planted

    def _wash_sale(self, seller: _AccountBook, buyer: _AccountBook, sold: DemoSecurity,
                   bought: DemoSecurity, kind: str) -> PlantedWashSale | None:
        rng, market = self.rng, self.market
        sale = rng.randint(2, RECENT_SALE_DAYS)
        purchase = sale - rng.randint(1, min(20, sale))
        start = min(seller.account.opened_offset, self.earliest_offset[sold.ticker])
        if start <= WINDOW_DAYS:
            return None  # the sold lot must be held since before the window
        acquired = rng.randint(WINDOW_DAYS + 1, max(WINDOW_DAYS + 1, min(sale + 500, start)))
        quantity = _quantity(seller.account.value * rng.uniform(0.01, 0.03)
                             / market.price(sold.ticker, sale), sold.quantity_decimals)
        sale_price = market.close(sold.ticker, sale)
        # Bought above today's price, so the sale is a loss.
        per_share = max(Decimal(market.price(sold.ticker, acquired)),
                        sale_price * Decimal(rng.uniform(1.06, 1.25)))
        lot = self._closed_lot(seller, sold, quantity, acquired,
                               (quantity * per_share).quantize(CENT))
        sell = self._sell(seller, sold, quantity, sale, lot.lot_id, lot.cost_basis)
        assert sell.realized_gain is not None and sell.realized_gain < 0
        loss = -sell.realized_gain
        replacement = _quantity(
            float(quantity * sale_price) / market.price(bought.ticker, purchase),
            bought.quantity_decimals)
        adjustment = None
        if seller is buyer and sold is bought:
            # The custodian sees this one: it adds the disallowed loss (the share of it the
            # shares bought back cover) to the new lot's basis, and carries the sold shares'
            # holding period over (Publication 550), as Rebal's tax engine computes them.
            disallowed = loss if replacement >= quantity else _pro_rata(loss, replacement,
                                                                        quantity)
            held_days = self.calendar.day(sale) - self.calendar.day(acquired)
            adjustment = (self.calendar.day(purchase) - held_days, disallowed)
        new_lot = self._buy(buyer, bought, replacement, purchase, adjustment=adjustment)
        return PlantedWashSale(
            kind=kind, tax_entity=seller.account.household.tax_entity,
            sale_transaction_id=sell.transaction_id, seller=seller.account.number,
            buyer=buyer.account.number, sold=sold.ticker, bought=bought.ticker,
            replacement_lot_id=new_lot.lot_id, loss=loss,
            custodian_adjustment=adjustment[1] if adjustment else None)

    def cancels(self, books: list[_AccountBook]) -> None:
        rng = self.rng
        with_fees = [b for b in books if any(t.type == "fee" for t in b.transactions)]
        if with_fees:
            book = rng.choice(with_fees)
            fee = rng.choice([t for t in book.transactions if t.type == "fee"])
            duplicate = replace(fee, transaction_id=book.next_transaction_id())
            book.transactions += [duplicate, replace(
                duplicate, transaction_id=book.next_transaction_id(), amount=None,
                cancels=duplicate.transaction_id)]
        with_dividends = [b for b in books
                          if any(t.type == "dividend" and t.amount for t in b.transactions)]
        if with_dividends:
            book = rng.choice(with_dividends)
            wrong = rng.choice([t for t in book.transactions if t.type == "dividend"])
            right_amount = wrong.amount
            assert right_amount is not None
            wrong.amount = right_amount * 10  # a slipped decimal, corrected below
            book.transactions += [
                replace(wrong, transaction_id=book.next_transaction_id(), amount=None,
                        cancels=wrong.transaction_id),
                replace(wrong, transaction_id=book.next_transaction_id(), amount=right_amount)]

    def cash_balances(self, book: _AccountBook) -> tuple[CashBalance | None, CashBalance]:
        """The account's cash at the start of the window (None: not opened yet) and on the
        business date; the start is the business date's cash less the window's transactions."""
        account, rng = book.account, self.rng
        in_start = account.opened_offset > WINDOW_DAYS
        if account.status == "closed":
            zero = CashBalance(account.number, Decimal("0.00"), None)
            return (zero if in_start else None), zero
        pending = None
        if account.status == "pending_close":
            pending = _money(account.value)
        elif rng.random() < 0.05:
            pending = _money(account.value * rng.uniform(0.005, 0.04))
        flows: dict[date, Decimal] = defaultdict(Decimal)
        for transaction in effective_transactions(book.transactions):
            flows[transaction.trade_date] += transaction.amount or Decimal(0)
        running = lowest = Decimal(0)
        for day in sorted(flows):
            running += flows[day]
            lowest = min(lowest, running)
        if not in_start:  # opened in the window: its deposit is all it has
            return None, CashBalance(account.number, running, pending)
        final = max(_money(book.cash_value), running - lowest)
        return CashBalance(account.number, final - running, None), CashBalance(
            account.number, final, pending)


def effective_transactions(transactions: list[Transaction]) -> list[Transaction]:
    """The transactions that stand, as Rebal reads `cancels`: a cancelled row goes; the row that
    cancels it stays as its correction unless it carries neither quantity nor amount."""
    cancelled = {t.cancels for t in transactions if t.cancels}
    return [t for t in transactions if t.transaction_id not in cancelled
            and not (t.cancels and not t.quantity and not t.amount)]


def _tickers_touched(book: _AccountBook) -> set[str]:
    """Every security the account holds, held at the start of the window, or traded in it."""
    return ({*book.positions, *(lot.security.ticker for lot in book.closed_lots)}
            | {t.security.ticker for t in book.transactions if t.security is not None})


def _opening_lots(book: _AccountBook) -> list[TaxLot]:
    """The account's lots at the start of the window: those acquired before it, partly sold
    ones with all their shares, and the lots the window's sales closed."""
    lots = [lot for lot in book.lots if lot.acquired_offset > WINDOW_DAYS]
    lots = [replace(lot, quantity=book.opening[lot.lot_id][0],
                    cost_basis=book.opening[lot.lot_id][1]) if lot.lot_id in book.opening
            else lot for lot in lots]
    return sorted([*lots, *book.closed_lots], key=_lot_order)


def build_book(*, universe: Universe, market: Market, accounts: int, seed: int) -> Book:
    """The demo firm's book of `accounts` accounts, as the custodian would report it."""
    builder = _BookBuilder(universe=universe, market=market, accounts=accounts, seed=seed)
    households, books = builder.households_and_accounts()
    must_hold = [universe.by_ticker[t] for t in (*RISK_MODEL_OMITTED, HALTED_TICKER)]
    for book in books:
        if book.funded:
            builder.hold(book, must_hold)
            must_hold = []
            builder.sells(book)
            builder.cash_flows(book)
        elif book.account.status == "open":
            builder.new_account(book)
    wash_sales = builder.wash_sales(books)
    for book in books:
        if book.funded:
            builder.cash_dividends(book)
    builder.cancels(books)
    transactions = [t for b in books for t in b.transactions]
    order = {b.account.number: i for i, b in enumerate(books)}
    transactions.sort(key=lambda t: (t.trade_date, order[t.account_number], t.transaction_id))
    lots = [lot for b in books for lot in sorted(b.lots, key=_lot_order)]
    balances = [builder.cash_balances(b) for b in books]
    return Book(households=households, accounts=[b.account for b in books], lots=lots,
                cash=[final for _, final in balances], transactions=transactions,
                opening_date=market.calendar.day(WINDOW_DAYS + 1),
                opening_lots=[lot for b in books if b.account.opened_offset > WINDOW_DAYS
                              for lot in _opening_lots(b)],
                opening_cash=[start for start, _ in balances if start is not None],
                wash_sales=wash_sales)


def _lot_order(lot: TaxLot) -> tuple[str, int, str]:
    """A custodian lists an account's lots by security, oldest first."""
    return lot.security.ticker, -lot.acquired_offset, lot.lot_id
