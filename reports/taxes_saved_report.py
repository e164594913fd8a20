"""The taxes-saved report: the method of `reports.taxes_saved` applied to the stored analyses
of the accounts a person may see, for a period, per account, advisor, team and firm. An
account's team is its advisor's (`rebal.selectors.team_by_email`: the advisor named on the
account record, by e-mail, a member of the firm in a team).

A day's analysis is the latest stored for the account that day; days whose analysis has no
tax-naive shadow (the account did not trade, or the shadow could not be solved) compare
nothing and are left out of both sides. Tax-exempt and tax-deferred accounts save nothing
taxable and are listed with zero.

Each account starts the period with its share of its tax entity's configured capital-loss
carryforwards (settings `short_term_loss_carryforward`, `long_term_loss_carryforward`, resolved
through the settings layers): the entity's taxable accounts — all of them in the firm, whoever
reads the report, so that a figure does not depend on the reader — share it in proportion to
their value at their last analysis in the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Func, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, ExtractMonth, ExtractYear

from accounts.models import Account
from accounts.settings_resolution import effective_settings_batch
from optimizer.models import Analysis
from rebal.firm_context import require_firm
from rebal.selectors import team_by_email
from reports.taxes_saved import (
    ZERO,
    Carryforward,
    Rates,
    Realized,
    Saved,
    allocate_carryforward,
    cents,
    taxes_saved,
)

SETTINGS_CHUNK = 2000
NO_ADVISOR, NO_TEAM = "(no advisor)", "(no team)"
MONEY = DecimalField(max_digits=20, decimal_places=2)
NO_SAVING = Saved(ZERO, ZERO, ZERO, ZERO, ZERO, Carryforward())


@dataclass(frozen=True)
class AccountTaxesSaved:
    """One account's line of the report."""

    account_id: int
    account_number: str
    name: str
    advisor: str
    taxable: bool
    filing_status: str
    rates: Rates | None
    days: int  # days compared
    value: Decimal  # the portfolio's value at its last analysis in the period
    aware: Realized
    naive: Realized
    saved: Saved
    carried_in: Carryforward  # its share of the tax entity's carryforwards at the start
    team: str = ""  # its advisor's team, "" for none

    @property
    def rates_text(self) -> str:
        if self.rates is None:
            return ""
        return (f"short-term {self.rates.short_term * 100:.1f}%, "
                f"long-term {self.rates.long_term * 100:.1f}%")

    @property
    def percent(self) -> Decimal | None:
        """Taxes saved as a percentage of the portfolio's value."""
        return cents(self.saved.saved * 100 / self.value) if self.value else None


@dataclass
class Totals:
    """Sums over a group of accounts (an advisor's, a team's, the firm's)."""

    name: str
    accounts: int = 0
    value: Decimal = ZERO
    saved: Decimal = ZERO
    deferred: Decimal = ZERO
    permanent: Decimal = ZERO
    tax_aware: Decimal = ZERO
    tax_naive: Decimal = ZERO

    def add(self, row: AccountTaxesSaved) -> None:
        self.accounts += 1
        self.value += row.value
        self.saved += row.saved.saved
        self.deferred += row.saved.deferred
        self.permanent += row.saved.permanent
        self.tax_aware += row.saved.tax_aware
        self.tax_naive += row.saved.tax_naive

    @property
    def percent(self) -> Decimal | None:
        return cents(self.saved * 100 / self.value) if self.value else None


@dataclass(frozen=True)
class MonthSaving:
    """The month's stored daily estimates (naive tax − tax-aware tax), before annual netting."""

    month: str  # YYYY-MM
    saved: Decimal


@dataclass
class TaxesSavedReport:
    """The report for a period: the lines, the advisors', teams' and the firm's totals, by
    month."""

    start: date
    end: date
    rows: list[AccountTaxesSaved]
    firm: Totals
    advisors: list[Totals] = field(default_factory=list)
    months: list[MonthSaving] = field(default_factory=list)
    teams: list[Totals] = field(default_factory=list)


def _day_analyses(account_ids: Any, start: date, end: date) -> Any:
    """The latest analysis of each account and day in the period that has a naive shadow."""
    latest = (Analysis.objects.filter(account_id__in=account_ids, trade_date__gte=start,
                                      trade_date__lte=end)
              .order_by("account_id", "trade_date", "-pk").distinct("account_id", "trade_date")
              .values("pk"))
    return Analysis.objects.filter(pk__in=latest, naive_estimated_tax__isnull=False)


def _metric(name: str) -> Func:
    return Cast(KT(f"trade_metrics__{name}"), MONEY)


def _realized_by_year(analyses: Any) -> dict[int, dict[int, tuple[Realized, Realized, int]]]:
    """account → year → (tax-aware, tax-naive, days)."""
    found: dict[int, dict[int, tuple[Realized, Realized, int]]] = defaultdict(dict)
    for row in (analyses.annotate(year=ExtractYear("trade_date")).values("account_id", "year")
                .annotate(st_gain=Sum(_metric("short_term_gains")),
                          st_loss=Sum(_metric("short_term_losses")),
                          lt_gain=Sum(_metric("long_term_gains")),
                          lt_loss=Sum(_metric("long_term_losses")),
                          naive_st=Sum("naive_short_term_gain"),
                          naive_lt=Sum("naive_long_term_gain"), days=Count("pk"))
                .order_by()):
        found[row["account_id"]][row["year"]] = (
            Realized(row["st_gain"] - row["st_loss"], row["lt_gain"] - row["lt_loss"]),
            Realized(row["naive_st"], row["naive_lt"]), row["days"])
    return found


def _values(account_ids: Any, start: date, end: date) -> dict[int, Decimal]:
    """Each account's value at its last analysis in the period."""
    rows = (Analysis.objects.filter(account_id__in=account_ids, trade_date__gte=start,
                                    trade_date__lte=end)
            .order_by("account_id", "-trade_date", "-pk").distinct("account_id")
            .annotate(value=Cast(KT("before__value"), MONEY)).values_list("account_id", "value"))
    return {account_id: value or ZERO for account_id, value in rows}


def _months(analyses: Any) -> list[MonthSaving]:
    rows = (analyses.annotate(year=ExtractYear("trade_date"), month=ExtractMonth("trade_date"))
            .values("year", "month")
            .annotate(naive=Sum("naive_estimated_tax"), aware=Sum(_metric("estimated_tax")))
            .order_by("year", "month"))
    return [MonthSaving(f"{r['year']:04d}-{r['month']:02d}", r["naive"] - r["aware"])
            for r in rows]


@dataclass(frozen=True)
class TaxProfile:
    """What the report needs of an account's tax entity settings."""

    rates: Rates
    filing_status: str
    tax_entity_id: int | None
    carryforward: Carryforward  # the entity's configured, before sharing among its accounts


def _tax_settings(accounts: Sequence[Any]) -> dict[int, TaxProfile]:
    found: dict[int, TaxProfile] = {}
    for offset in range(0, len(accounts), SETTINGS_CHUNK):
        for account_id, values in effective_settings_batch(
                accounts[offset:offset + SETTINGS_CHUNK]).items():
            found[account_id] = TaxProfile(
                Rates.from_settings(values), values["filing_status"], values.tax_entity_id,
                Carryforward(values["short_term_loss_carryforward"],
                             values["long_term_loss_carryforward"]))
    return found


def _carried_in(profiles: dict[int, TaxProfile], values: dict[int, Decimal], start: date,
                end: date) -> dict[int, Carryforward]:
    """Each account's share of its entity's carryforwards; an account without a tax entity
    is its own taxpayer and keeps the (firm default's) whole."""
    found = {pk: p.carryforward for pk, p in profiles.items() if p.tax_entity_id is None}
    entities = {p.tax_entity_id for p in profiles.values() if p.tax_entity_id is not None}
    members = list(Account.objects.filter(tax_entity_id__in=entities,
                                          tax_status=Account.TaxStatus.TAXABLE)
                   .values_list("pk", "tax_entity_id"))
    others = [pk for pk, _ in members if pk not in values]
    weights = {**values, **(_values(others, start, end) if others else {})}
    by_entity: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for pk, entity_id in members:
        by_entity[entity_id][pk] = weights.get(pk, ZERO)
    configured = {p.tax_entity_id: p.carryforward for p in profiles.values()}
    for entity_id, accounts in by_entity.items():
        found |= allocate_carryforward(configured[entity_id], accounts)
    return found


def months_of(account_ids: Any, start: date, end: date) -> list[MonthSaving]:
    """The period's stored daily estimates by month, for the accounts."""
    return _months(_day_analyses(account_ids, start, end))


def taxes_saved_report(*, accounts: Any, start: date, end: date) -> TaxesSavedReport:
    """The report on `accounts` (a queryset the caller has scoped to the person) for the
    trade dates start..end inclusive."""
    accounts = list(accounts.order_by("account_number"))
    account_ids = [account.pk for account in accounts]
    day_analyses = _day_analyses(account_ids, start, end)
    realized = _realized_by_year(day_analyses)
    values = _values(account_ids, start, end)
    taxable = [a for a in accounts if a.tax_status == Account.TaxStatus.TAXABLE]
    settings = _tax_settings(taxable)
    carried_in = _carried_in(settings, values, start, end)
    years = range(start.year, end.year + 1)
    firm = Totals("Firm")
    advisors: dict[str, Totals] = {}
    teams: dict[str, Totals] = {}
    team_of = team_by_email(require_firm())
    rows: list[AccountTaxesSaved] = []
    for account in accounts:
        by_year = realized.get(account.pk, {})
        aware = sum((by_year[y][0] for y in by_year), Realized())
        naive = sum((by_year[y][1] for y in by_year), Realized())
        days = sum(by_year[y][2] for y in by_year)
        profile = settings.get(account.pk)
        carried = carried_in.get(account.pk, Carryforward())
        saved = replace(NO_SAVING, carryforward=carried)
        if profile is not None and by_year:
            # every year of the period, traded or not: a carried loss still deducts
            saved = taxes_saved(((by_year[y][0], by_year[y][1]) if y in by_year
                                 else (Realized(), Realized()) for y in years),
                                rates=profile.rates, filing_status=profile.filing_status,
                                carried_in=carried)
        row = AccountTaxesSaved(
            account.pk, account.account_number, account.name, account.advisor_email,
            profile is not None, profile.filing_status if profile else "",
            profile.rates if profile else None, days, values.get(account.pk, ZERO), aware,
            naive, saved, carried, team_of.get(account.advisor_email.lower(), ""))
        rows.append(row)
        firm.add(row)
        advisor = account.advisor_email or NO_ADVISOR
        advisors.setdefault(advisor, Totals(advisor)).add(row)
        team = row.team or NO_TEAM
        teams.setdefault(team, Totals(team)).add(row)
    return TaxesSavedReport(start, end, rows, firm,
                            sorted(advisors.values(), key=lambda t: t.name),
                            _months(day_analyses),
                            sorted(teams.values(), key=lambda t: t.name) if team_of else [])
