"""Corporate actions in the accounts room: expected lots per holder, and the custodian checked.

Applying an action computes, for every account whose snapshot before the action holds the old
security, the lots it should hold afterwards (accounts.tax.corporate_actions). The custodian
stays the book of record: nothing here edits its lots. Each later snapshot is compared with the
expectation, per security, in shares and basis (to the cent per lot: custodians round each
lot). Between the earlier and the later of the ex-date and the pay date either the old or the
new holdings are accepted; after both, only the new. A difference is a reconciliation break and
a hold with both versions shown, released when a later snapshot agrees.

The holder's trades in the securities involved between the snapshot the expectation was
computed from and the one checked are counted (accounts.services.corporate_action_trades):
then shares are compared, not basis.

Feeds that disagree hold the holders too, until the data agrees: holdings already split while
the same day's price is not (or the reverse), and an account holding both the old and the new
security after a merger.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from accounts.models import (
    Account,
    AccountHold,
    CorporateActionExpectation,
    LotSet,
    ReconciliationBreak,
    TaxLot,
)
from accounts.selectors import current_lot_sets
from accounts.services.corporate_action_trades import Trade, shares_with_trades, trades_since
from accounts.services.holds import holds_clear, holds_place
from accounts.targets import resolve_targets
from accounts.tax.corporate_actions import (
    SHARE_CHANGES,
    ActionType,
    CorporateActionTerms,
    HolderOutcome,
    IncompleteActionError,
    TaxTreatment,
    apply_action,
)
from accounts.tax.realized import Lot
from dataops.corporate_actions.registry import CheckOutcome, CorporateActionProblem
from dataops.models import CorporateAction, Price, Security
from dataops.services.corporate_actions import standing_application
from models_hub.corporate_actions import models_naming_retired
from rebal.firm_context import require_firm

HOLD_PREFIX = "corporate_action:"
ZERO = Decimal(0)
CENT = Decimal("0.01")
Expectation = CorporateActionExpectation


def hold_source(action: CorporateAction, check: str = "") -> str:
    return f"{HOLD_PREFIX}{action.action_id}" + (f":{check}" if check else "")


def window(action: CorporateAction) -> tuple[date, date]:
    """The ex-date and the pay date, earlier first (the pay date may come before)."""
    pay = action.pay_date or action.effective_date
    return min(pay, action.effective_date), max(pay, action.effective_date)


def _close(security_id: int | None, day: date) -> Decimal | None:
    if security_id is None:
        return None
    return (Price.objects.filter(security_id=security_id, as_of_date=day)
            .values_list("close", flat=True).first())


def _last_close_adjusted(action: CorporateAction) -> Decimal | None:
    """The old security's last close before the ex-date, in post-action shares (a share change
    of the same security only)."""
    old = action.old_security_id
    if old is None or action.type not in SHARE_CHANGES or not (action.ratio_from
                                                                and action.ratio_to):
        return None
    close = (Price.objects.filter(security_id=old,
                                  as_of_date__lt=action.effective_date)
             .order_by("-as_of_date").values_list("close", flat=True).first())
    if close is None:
        return None
    shares = (action.ratio_to + action.ratio_from if action.type == "stock_dividend"
              else action.ratio_to)
    return (close * action.ratio_from / shares).quantize(Decimal("0.000001"))


def terms_for(action: CorporateAction) -> CorporateActionTerms:
    """The pure engine's view of the action; securities are keyed by their ids as text.

    Where the file gave no price for fractions, the close of the resulting security on the
    effective date stands in, else (a split of the same security) the last close before the
    ex-date adjusted by the ratio; a new share's value is its close that day (else that price).
    """
    assert action.old_security_id is not None
    resulting = action.new_security_id or action.old_security_id
    close = _close(resulting, action.effective_date)
    in_lieu_price = action.cash_in_lieu_price or close or _last_close_adjusted(action)
    return CorporateActionTerms(
        action_id=action.action_id, type=ActionType(action.type),
        effective_date=action.effective_date, old_security=str(action.old_security_id),
        new_security=str(action.new_security_id) if action.new_security_id else None,
        ratio_from=action.ratio_from, ratio_to=action.ratio_to,
        cash_per_share=action.cash_per_share, basis_allocation_pct=action.basis_allocation_pct,
        cash_in_lieu=action.cash_in_lieu, cash_in_lieu_price=in_lieu_price,
        new_share_value=close if action.new_security_id and close else action.cash_in_lieu_price,
        tax_treatment=TaxTreatment(action.tax_treatment or TaxTreatment.REORGANIZATION))


def _lot_json(lot: Lot) -> dict[str, Any]:
    return {"security_id": int(lot.security), "lot_id": lot.lot_id,
            "quantity": f"{lot.quantity.normalize():f}", "cost_basis": str(lot.cost_basis),
            "acquired_date": str(lot.acquired_date),
            "holding_period_start": str(lot.holding_period_start or "")}


def _lots_before(action: CorporateAction) -> dict[int, tuple[LotSet, list[Lot]]]:
    """Each holder's snapshot before the action's window, and its lots of the old security."""
    start, _ = window(action)
    old = action.old_security_id
    assert old is not None
    holders = list(TaxLot.objects.filter(security_id=old,
                                         lot_set__business_date__lt=start)
                   .values_list("account_id", flat=True).distinct())
    lot_sets = current_lot_sets(holders, start - timedelta(days=1))
    by_set: dict[int, tuple[LotSet, list[Lot]]] = {}
    lots = TaxLot.objects.filter(lot_set__in=list(lot_sets.values()), security_id=old)
    sets_by_pk = {lot_set.pk: lot_set for lot_set in lot_sets.values()}
    for row in lots:
        lot_set = sets_by_pk[row.lot_set_id]
        by_set.setdefault(row.account_id, (lot_set, []))[1].append(Lot(
            account=str(row.account_id), lot_id=row.lot_id, security=str(row.security_id),
            quantity=row.quantity, cost_basis=row.cost_basis, acquired_date=row.acquired_date,
            holding_period_start=row.holding_period_start,
            wash_sale_adjustment=row.wash_sale_adjustment))
    return by_set


def expectations_apply(action: CorporateAction, as_of: date) -> dict[str, Any]:
    """The corporate-action handler of the accounts room: every holder's expected lots."""
    if action.old_security_id is None:
        raise CorporateActionProblem("the old security is not in the security master")
    terms = terms_for(action)
    holders = _lots_before(action)
    try:
        outcomes = apply_action(terms, [lot for _, lots in holders.values() for lot in lots])
    except IncompleteActionError as incomplete:
        missing = ", ".join(terms.missing_terms())
        raise CorporateActionProblem(f"it lacks {missing}") from incomplete
    application = standing_application(action)
    start, end = window(action)
    firm = require_firm()
    rows = [_expectation(firm, application, action, holders[int(outcome.account)][0], outcome,
                         start, end) for outcome in outcomes]
    Expectation.objects.bulk_create(rows, batch_size=2000)
    return {"application": application.pk, "holders": len(rows)}


def _expectation(firm: Any, application: Any, action: CorporateAction, based_on: LotSet,
                 outcome: HolderOutcome, start: date, end: date) -> CorporateActionExpectation:
    return Expectation(
        firm=firm, application=application, action=action, account_id=int(outcome.account),
        based_on=based_on, window_start=start, window_end=end,
        lots_before=[_lot_json(lot) for lot in outcome.lots_before],
        lots_after=[_lot_json(lot) for lot in outcome.lots_after],
        realized=[{"lot_id": piece.lot_id, "security_id": int(piece.security),
                   "quantity": str(piece.quantity), "proceeds": str(piece.proceeds),
                   "cost_basis": str(piece.cost_basis), "gain": str(piece.gain),
                   "term": piece.term} for piece in outcome.realized],
        cash=[{"security_id": int(payment.security), "kind": payment.kind,
               "amount": str(payment.amount)} for payment in outcome.cash],
        basis_before=outcome.basis_before, basis_after=outcome.basis_after,
        basis_relieved=outcome.basis_relieved, cash_received=outcome.cash_received,
        gain_realized=outcome.gain_realized)


def expectations_reverse(action: CorporateAction, effects: dict[str, Any]) -> None:
    rows = list(Expectation.objects.filter(application_id=effects.get("application")))
    for row in rows:
        row.status = Expectation.Status.REVERSED
    Expectation.objects.bulk_update(rows, ["status"])
    reason = f"corporate action {action.action_id} reversed"
    holds_clear(source=hold_source(action), reason=reason)
    holds_clear(source=hold_source(action) + ":", source_prefix=True, reason=reason)


# --- checks ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Position:
    quantity: Decimal
    basis: Decimal
    lots: int


def positions_of(lots: Iterable[dict[str, Any]]) -> dict[int, Position]:
    totals: dict[int, Position] = {}
    for lot in lots:
        key = int(lot["security_id"])
        now = totals.get(key, Position(ZERO, ZERO, 0))
        totals[key] = Position(now.quantity + Decimal(lot["quantity"]),
                               now.basis + Decimal(lot["cost_basis"]), now.lots + 1)
    return totals


def _agrees(expected: dict[int, Position], actual: dict[int, Position]) -> bool:
    for security_id in set(expected) | set(actual):
        mine = expected.get(security_id, Position(ZERO, ZERO, 0))
        theirs = actual.get(security_id, Position(ZERO, ZERO, 0))
        if mine.quantity != theirs.quantity:
            return False
        if abs(mine.basis - theirs.basis) > CENT * max(mine.lots, theirs.lots, 1):
            return False
    return True


def _shown(positions: dict[int, Position], names: dict[int, str]) -> str:
    if not positions:
        return "nothing"
    return ", ".join(f"{names.get(sid, sid)} {p.quantity.normalize():f} shares, basis "
                     f"{p.basis:,.2f}" for sid, p in sorted(positions.items()))


@dataclass
class _Findings:
    """Failing accounts per hold source, with reasons, and the accounts each source checked."""

    failing: dict[str, dict[int, str]]
    checked: dict[str, set[int]]
    breaks: list[ReconciliationBreak]

    def record(self, source: str, account_id: int, reason: str | None) -> None:
        self.checked.setdefault(source, set()).add(account_id)
        if reason:
            self.failing.setdefault(source, {})[account_id] = reason


def _custodian_positions(lot_sets: list[LotSet], security_ids: set[int]
                         ) -> dict[int, dict[int, Position]]:
    found: dict[int, dict[int, Position]] = defaultdict(dict)
    for lot_set_id, security_id, quantity, basis, count in (
            TaxLot.objects.filter(lot_set__in=lot_sets, security_id__in=security_ids)
            .values_list("lot_set_id", "security_id").annotate(Sum("quantity"),
                                                                Sum("cost_basis"),
                                                                Count("pk"))):
        found[lot_set_id][security_id] = Position(quantity, basis, count)
    return found


def _price_desync(action: CorporateAction, day: date, split_held: bool,
                  names: dict[int, str]) -> str | None:
    """Holdings and the same day's price of a split security must both be split (or not)."""
    terms = terms_for(action)
    factor = terms.price_factor
    old = action.old_security_id
    assert old is not None
    price = _close(old, day)
    before = (Price.objects.filter(security_id=old,
                                   as_of_date__lt=action.effective_date)
              .order_by("-as_of_date").values_list("close", flat=True).first())
    if price is None or before is None or factor == 1 or not price or not before:
        return None
    adjusted = Decimal(before) * Decimal(factor.numerator) / Decimal(factor.denominator)
    # Nearer (in ratio) to the adjusted close than to the unadjusted one: prices are split.
    price_split = abs(math.log(price / adjusted)) < abs(math.log(price / Decimal(before)))
    if price_split == split_held:
        return None
    name = names.get(action.old_security_id or 0, "")
    if split_held:
        return (f"holdings of {name} on {day} are already adjusted for {action.action_id} "
                f"but the price that day, {price:,.2f}, is not (about {adjusted:,.2f} expected; "
                f"{before:,.2f} before the ex-date {action.effective_date})")
    return (f"the price of {name} on {day}, {price:,.2f}, is adjusted for {action.action_id} "
            f"but the holdings that day are not")


def _models_naming_retired(as_of: date, findings: _Findings) -> list[str]:
    """A model still naming a security an action retired holds the accounts whose target
    names it, until the model is changed."""
    named = models_naming_retired()
    actions = {action.old_security_id or 0: action for action in CorporateAction.objects.filter(
        status=CorporateAction.Status.APPLIED, old_security_id__in=list(named),
        type__in=["stock_merger", "cash_stock_merger", "cash_merger", "delisting"])}
    sources = {hold.source for hold in AccountHold.objects.filter(
        cleared_at__isnull=True, source__startswith=HOLD_PREFIX, source__endswith=":model")}
    for action in actions.values():
        sources.add(hold_source(action, "model"))
    if not sources:
        return []
    problems = []
    accounts = Account.objects.exclude(status=Account.Status.CLOSED).exclude(program_code="")
    targets = resolve_targets(accounts, as_of, hold_unknown_programs=False) if actions else {}
    for source in sorted(sources):
        findings.checked.setdefault(source, set()).update(
            AccountHold.objects.filter(source=source, cleared_at__isnull=True)
            .values_list("account_id", flat=True))
    for security_id, action in actions.items():
        models = ", ".join(named[security_id])
        source = hold_source(action, "model")
        reason = (f"its target names {action.old_security} through model(s) {models}, but "
                  f"{action.action_id} ({action.get_type_display()}) retired it on "
                  f"{action.effective_date}")
        for account_id, target in targets.items():
            findings.record(source, account_id,
                            reason if security_id in target.weights else None)
        problems.append(f"model(s) {models} still name {action.old_security}, retired by "
                        f"{action.action_id} on {action.effective_date}: the investment "
                        f"committee must replace it")
    return problems


def expectations_check(as_of: date) -> CheckOutcome:
    """Compare every standing expectation with the holder's newest snapshot; hold and release."""
    expectations = list(Expectation.objects.exclude(status=Expectation.Status.REVERSED)
                        .filter(window_start__lte=as_of).select_related("action", "based_on"))
    before_holds = _open_hold_accounts()
    findings = _Findings({}, {}, [])
    model_problems = _models_naming_retired(as_of, findings)
    if not expectations and not findings.checked:
        return CheckOutcome()
    current = current_lot_sets(sorted({e.account_id for e in expectations}), as_of)
    security_ids = {sid for e in expectations for sid in
                    (e.action.old_security_id, e.action.new_security_id) if sid}
    custodian = _custodian_positions(list(current.values()), security_ids)
    names = dict(Security.objects.filter(pk__in=security_ids).values_list("pk", "ticker"))
    changed = []
    firm = require_firm()
    # The others: the custodian has not reported since the action.
    reported = [e for e in expectations if e.account_id in current
                and current[e.account_id].pk != e.based_on_id
                and current[e.account_id].business_date >= e.window_start]
    trades = trades_since(reported)
    terms: dict[int, CorporateActionTerms] = {}

    def terms_of(action: CorporateAction) -> CorporateActionTerms:
        if action.pk not in terms:
            terms[action.pk] = terms_for(action)
        return terms[action.pk]

    for expectation in reported:
        lot_set = current[expectation.account_id]
        if _check_one(expectation, lot_set, custodian.get(lot_set.pk, {}), names, findings,
                      firm, (trades.get(expectation.account_id, []), terms_of)):
            changed.append(expectation)
    Expectation.objects.bulk_update(changed, ["status", "checked_lot_set", "custodian",
                                              "reason"], batch_size=2000)
    ReconciliationBreak.objects.bulk_create(findings.breaks, ignore_conflicts=True)
    for source, checked in findings.checked.items():
        failing = findings.failing.get(source, {})
        holds_place(reasons=failing, kind=AccountHold.Kind.DATA_ERROR, source=source)
        holds_clear(source=source, account_ids=checked - set(failing), reason="the data agrees")
    after_holds = _open_hold_accounts()
    problems = tuple(model_problems) + tuple(sorted({
        f"{len(failing)} account(s) held: {next(iter(failing.values()))}"
        + (" (and others)" if len(failing) > 1 else "")
        for failing in findings.failing.values() if failing}))
    return CheckOutcome(held=frozenset(after_holds), released=frozenset(
        before_holds - after_holds), problems=problems,
        newly_held=frozenset(after_holds - before_holds))


def _open_hold_accounts() -> set[int]:
    return set(AccountHold.objects.filter(cleared_at__isnull=True,
                                          source__startswith=HOLD_PREFIX)
               .values_list("account_id", flat=True))


def _check_one(expectation: CorporateActionExpectation, lot_set: LotSet,
               actual_all: dict[int, Position], names: dict[int, str], findings: _Findings,
               firm: Any, trading: tuple[list[Trade],
                                         Callable[[CorporateAction], CorporateActionTerms]]
               ) -> bool:
    """Check one holder (with its trades since the expectation's snapshot, and the action's
    terms should they be needed again); returns whether the expectation row changed."""
    action = expectation.action
    involved = {sid for sid in (action.old_security_id, action.new_security_id) if sid}
    actual = {sid: p for sid, p in actual_all.items() if sid in involved}
    after = positions_of(expectation.lots_after)
    before = positions_of(expectation.lots_before)
    day = lot_set.business_date
    beyond = day >= expectation.window_end
    trades, terms_of = trading
    counted = (shares_with_trades(expectation, trades, day, terms_of(action)) if trades
               else None)
    if counted is None:
        agrees_after, agrees_before = _agrees(after, actual), _agrees(before, actual)
    else:
        held = {sid: p.quantity for sid, p in actual.items() if p.quantity}
        agrees_after, agrees_before = counted.after == held, counted.before == held
    if agrees_after:
        status, reason = Expectation.Status.CONFIRMED if beyond else Expectation.Status.EXPECTED, ""
    elif not beyond and agrees_before:
        status, reason = Expectation.Status.EXPECTED, ""
    else:
        status = Expectation.Status.BREAK
        should = _shown(after, names) if counted is None else (
            ", ".join(f"{names.get(sid, sid)} {quantity.normalize():f} shares"
                      for sid, quantity in sorted(counted.after.items())) or "nothing")
        since = ("" if counted is None else f" and {counted.trades} trade(s) since "
                 f"{expectation.based_on.business_date}")
        reason = (f"after {action.action_id} ({action.get_type_display()}){since} the lots on "
                  f"{day} should hold {should}; the custodian shows {_shown(actual, names)}")
        findings.breaks.append(ReconciliationBreak(
            firm=firm, account_id=expectation.account_id, business_date=day,
            kind=ReconciliationBreak.Kind.CORPORATE_ACTION, reason=reason))
    findings.record(hold_source(action), expectation.account_id, reason)
    if beyond and action.type in SHARE_CHANGES and (agrees_after or agrees_before):
        findings.record(hold_source(action, "prices"), expectation.account_id,
                        _price_desync(action, day, agrees_after, names))
    if beyond and action.type in {ActionType.STOCK_MERGER, ActionType.CASH_STOCK_MERGER}:
        both = (action.old_security_id in actual and action.new_security_id in actual
                and actual[action.old_security_id].quantity > 0)
        findings.record(hold_source(action, "both"), expectation.account_id, (
            f"holds both {names.get(action.old_security_id or 0)} and "
            f"{names.get(action.new_security_id or 0)} on {day}, after {action.action_id}"
        ) if both else None)
    custodian = {str(sid): {"quantity": str(p.quantity), "cost_basis": str(p.basis)}
                 for sid, p in actual.items()}
    new_state = (status, lot_set.pk, custodian, reason)
    if new_state == (expectation.status, expectation.checked_lot_set_id, expectation.custodian,
                     expectation.reason):
        return False
    (expectation.status, expectation.checked_lot_set_id, expectation.custodian,
     expectation.reason) = new_state
    return True


def securities_in_corporate_actions(since: date, until: date) -> set[int]:
    """Securities an action changed between two snapshots (after `since`, up to `until`):
    reconciliation against transactions leaves them to the corporate-action check."""
    actions = CorporateAction.objects.exclude(status=CorporateAction.Status.CANCELLED).filter(
        Q(effective_date__gt=since, effective_date__lte=until)
        | Q(pay_date__gt=since, pay_date__lte=until))
    return {sid for pair in actions.values_list("old_security_id", "new_security_id")
            for sid in pair if sid}
