"""Which lots an analysis uses while a corporate action sits between the custodian's snapshots.

Prices turn on the ex-date; the custodian's lots turn when it processes the action, which may
be days later (or earlier: shares distributed before the ex-date). Lots and prices from
different sides of an action show phantom drift — 100 AAPL at the post-split price look like
three quarters of the position gone, and the optimizer would buy it back. So while a holder's
expectation stands (the custodian has not confirmed it), the holder's shares of the securities
the action involves are compared with the lots before and after the action, and the analysis
uses the lots on the side the prices are on:

- the custodian's lots are on the prices' side: they are used as they are;
- they are on the other side: the expectation's lots of the prices' side replace them (the
  lots after come with the cash the action pays: cash in lieu, a merger's cash);
- they match neither (the account traded since the snapshot the expectation was computed
  from, or the custodian got the action wrong), or two standing actions involve the same
  security: the account is not analyzed, and the reason says why.

Prices are on the far side of an action once the old security's latest close on or before the
analysis date is dated on or after the ex-date (for a merger, which retires the old security:
once the ex-date has come). Quantities decide, not basis: a basis the custodian allocated
differently is a reconciliation break (`accounts.services.corporate_actions`), not drift.
Replacement lots carry the custodian's basis as the expectation computed it, without Rebal's
wash-sale overlay on those lots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from accounts.models import CorporateActionExpectation
from accounts.tax.corporate_actions import MERGERS
from accounts.tax.realized import Lot
from dataops.models import CorporateAction, Price

Expectation = CorporateActionExpectation
Shares = dict[int, Decimal]


@dataclass(frozen=True)
class ActionLots:
    """The lots of the securities one action involves, as the analysis should see them."""

    action_id: str
    securities: frozenset[int]  # the custodian's lots of these are replaced by `lots`
    lots: tuple[Lot, ...]  # security = the security id as text
    cash: Decimal  # paid by the action, not in the custodian's pre-action balance
    note: str


@dataclass(frozen=True)
class LotsForAnalysis:
    """An account's replacements, or why it cannot be analyzed (`refusal`)."""

    replacements: tuple[ActionLots, ...] = ()
    refusal: str = ""


def shares_of(lots: Any) -> Shares:
    """Shares per security id of lots given as JSON rows (an expectation's)."""
    shares: Shares = {}
    for lot in lots:
        key = int(lot["security_id"])
        shares[key] = shares.get(key, Decimal(0)) + Decimal(lot["quantity"])
    return {key: quantity for key, quantity in shares.items() if quantity}


def _lots(account_id: int, rows: Any) -> tuple[Lot, ...]:
    return tuple(Lot(account=str(account_id), lot_id=row["lot_id"],
                     security=str(row["security_id"]), quantity=Decimal(row["quantity"]),
                     cost_basis=Decimal(row["cost_basis"]),
                     acquired_date=date.fromisoformat(row["acquired_date"]),
                     holding_period_start=date.fromisoformat(row["holding_period_start"])
                     if row.get("holding_period_start") else None) for row in rows)


def _shown(shares: Shares, names: Mapping[int, str]) -> str:
    return ", ".join(f"{quantity.normalize():f} {names.get(sid, sid)}"
                     for sid, quantity in sorted(shares.items())) or "no shares"


def _prices_after(action: CorporateAction, as_of: date, latest: Mapping[int, date]) -> bool:
    if action.type in MERGERS:
        return as_of >= action.effective_date
    priced = latest.get(action.old_security_id or 0)
    return priced is not None and priced >= action.effective_date


def _decide(expectation: Expectation, held: Shares, prices_after: bool,
            names: Mapping[int, str]) -> ActionLots | str | None:
    """The replacement for one standing expectation, None when the custodian's lots do, or
    the refusal."""
    action = expectation.action
    involved = {sid for sid in (action.old_security_id, action.new_security_id) if sid}
    now = {sid: quantity for sid, quantity in held.items() if sid in involved and quantity}
    before, after = shares_of(expectation.lots_before), shares_of(expectation.lots_after)
    if before == after:
        return None  # a change of name or identifier: the same lots either way
    wanted, other = (after, before) if prices_after else (before, after)
    if now == wanted:
        return None
    what = f"{action.action_id} ({action.get_type_display()}, ex-date {action.effective_date})"
    if now != other:
        return (f"Its positions in {', '.join(sorted(names.get(s, str(s)) for s in involved))} "
                f"({_shown(now, names)}) match neither the lots before {what} "
                f"({_shown(before, names)}) nor the lots expected after it "
                f"({_shown(after, names)}): which lots to analyze cannot be worked out until "
                "the custodian's snapshot agrees.")
    if prices_after:
        lots, cash = _lots(expectation.account_id, expectation.lots_after), Decimal(
            expectation.cash_received)
        note = (f"{names.get(action.old_security_id or 0)}: analyzed on the lots expected after "
                f"{what} ({_shown(after, names)}"
                + (f", ${cash:,.2f} cash" if cash else "") + "): prices are adjusted for it, "
                "the custodian's lots not yet.")
    else:
        lots, cash = _lots(expectation.account_id, expectation.lots_before), Decimal(0)
        note = (f"{names.get(action.old_security_id or 0)}: analyzed on the lots before {what} "
                f"({_shown(before, names)}): the custodian's lots are adjusted for it, prices "
                "not yet.")
    return ActionLots(action.action_id, frozenset(involved), lots, cash, note)


def lots_for_analysis(held: Mapping[int, Shares], as_of: date) -> dict[int, LotsForAnalysis]:
    """For accounts given with the custodian's shares per security id on `as_of` (their
    current snapshot), which lots an analysis on `as_of` uses; accounts not in the answer use
    the custodian's lots as they are. Two queries whatever the number of accounts (one when
    no action stands)."""
    standing = list(
        Expectation.objects.filter(account_id__in=list(held), window_start__lte=as_of,
                                   action__status=CorporateAction.Status.APPLIED,
                                   status__in=[Expectation.Status.EXPECTED,
                                               Expectation.Status.BREAK])
        .select_related("action", "action__old_security", "action__new_security")
        .order_by("account_id", "action__effective_date", "pk"))
    if not standing:
        return {}
    olds = {e.action.old_security_id or 0 for e in standing if e.action.type not in MERGERS}
    latest = dict(Price.objects.filter(security_id__in=olds, as_of_date__lte=as_of)
                  .order_by("security_id", "-as_of_date").distinct("security_id")
                  .values_list("security_id", "as_of_date"))
    names = {security.pk: security.ticker or security.cusip for e in standing
             for security in (e.action.old_security, e.action.new_security) if security}
    out: dict[int, LotsForAnalysis] = {}
    by_account: dict[int, list[Expectation]] = {}
    for expectation in standing:
        by_account.setdefault(expectation.account_id, []).append(expectation)
    for account_id, expectations in by_account.items():
        replacements: list[ActionLots] = []
        seen: set[int] = set()
        refusal = ""
        for expectation in expectations:
            action = expectation.action
            involved = {sid for sid in (action.old_security_id, action.new_security_id) if sid}
            if involved & seen:
                refusal = (f"Two corporate actions stand on {names.get(min(involved & seen))} "
                           f"(the later {action.action_id}) until the custodian confirms the "
                           "first: which lots to analyze cannot be worked out.")
                break
            seen |= involved
            decided = _decide(expectation, held[account_id],
                              _prices_after(action, as_of, latest), names)
            if isinstance(decided, str):
                refusal = decided
                break
            if decided is not None:
                replacements.append(decided)
        if refusal or replacements:
            out[account_id] = LotsForAnalysis(() if refusal else tuple(replacements), refusal)
    return out
