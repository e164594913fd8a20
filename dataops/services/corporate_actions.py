"""Applying corporate actions to the firm's data, once each, and checking the feeds agree.

`corporate_actions_apply_due` is the nightly cycle's step (DESIGN.md §2): inside the firm's
context it reverses every applied action that was since corrected or cancelled, applies every
received action that is due (each room through its registered handler, all or nothing per
action), and runs the rooms' integrity checks, which hold the accounts whose
data disagree and release them once it agrees. Running it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dataops.corporate_actions.registry import CorporateActionProblem, corporate_action_handlers
from dataops.models import (
    CorporateAction,
    CorporateActionApplication,
    Security,
    SecurityIdentifier,
)
from rebal.audit import audit_context
from rebal.firm_context import require_firm
from rebal.services import alert_raise

JOB = "corporate_actions"
Status = CorporateAction.Status
# Due on the earlier of the ex-date and the pay date: actions through which the old security
# keeps trading, under its identifiers. A custodian may distribute the shares before the
# ex-date (AAPL's 2020 split: paid 2020-08-28, ex-date 2020-08-31), and the holders' expected
# lots must exist by then: analyses use the lots on the prices' side of the action
# (accounts.corporate_action_lots). Everything else waits for the ex-date: a merger retires
# the old security, and a change of identifier takes effect on its date.
DUE_FROM_PAY_DATE = Q(type__in=["split", "reverse_split", "stock_dividend"], new_cusip="",
                      new_ticker="") | Q(type="spinoff")


def due_by(as_of: date) -> Q:
    """Actions due by `as_of`: effective, or (see DUE_FROM_PAY_DATE) paid."""
    return Q(effective_date__lte=as_of) | (DUE_FROM_PAY_DATE & Q(pay_date__lte=as_of))

# The fields an application used (the security found for the holders among them).
TERMS = ["new_security_id", "type", "effective_date", "pay_date", "tax_treatment", "old_cusip",
         "old_ticker", "new_cusip", "new_ticker", "new_name", "ratio_from", "ratio_to",
         "cash_per_share", "basis_allocation_pct", "cash_in_lieu", "cash_in_lieu_price"]


@dataclass(frozen=True)
class CorporateActionsResult:
    """What one run did: actions applied and reversed by it, actions not yet effective,
    accounts its checks hold (failing now, new or not) and released, and problems to show."""

    applied: int
    waiting: int
    reversed: int
    accounts_held: int
    accounts_released: int
    problems: tuple[str, ...]


def terms_of(action: CorporateAction) -> dict[str, Any]:
    """The action's defining fields as JSON-ready text (what an application used)."""
    return {name: "" if (value := getattr(action, name)) is None else str(value)
            for name in TERMS}


def describe(action: CorporateAction) -> str:
    return f"{action.action_id} ({action.get_type_display()}, effective {action.effective_date})"


def _reverse(action: CorporateAction, reason: str) -> bool:
    application = action.applications.filter(reversed_at__isnull=True).first()
    if application is None:
        return False
    for handler in reversed(corporate_action_handlers()):
        handler.reverse(action, application.effects.get(handler.name, {}))
    application.reversed_at = timezone.now()
    application.reversed_reason = reason
    application.save(update_fields=["reversed_at", "reversed_reason"])
    return True


def _reverse_changed() -> int:
    count = 0
    for action in CorporateAction.objects.filter(status__in=[Status.CORRECTED, Status.CANCELLED]):
        corrected = action.status == Status.CORRECTED
        why = action.history.order_by("-history_id").values_list(
            "history_change_reason", flat=True).first()
        reason = ("corrected, applied again with the new terms" if corrected else "cancelled")
        if _reverse(action, f"{reason}: {why}" if why else reason):
            count += 1
        if corrected:
            action.status = Status.RECEIVED
            action.save()
    return count


def _apply(action: CorporateAction, as_of: date) -> tuple[str, bool]:
    """Apply one action through every handler, all or nothing; returns a problem or '', and
    whether the problem is new.

    The application row comes first so that handlers can attach what they compute to it
    (`standing_application`); what each changed is recorded on it for a later reversal.
    """
    try:
        with transaction.atomic():
            application = CorporateActionApplication.objects.create(
                firm=require_firm(), action=action, as_of=as_of, terms=terms_of(action))
            application.effects = {handler.name: handler.apply(action, as_of)
                                   for handler in corporate_action_handlers()}
            application.terms = terms_of(action)  # with the new security a handler found
            application.save(update_fields=["effects", "terms"])
            action.status = Status.APPLIED
            action.problem = ""
            action.save()
    except CorporateActionProblem as problem:
        action.refresh_from_db()
        new = action.problem != str(problem)
        if new:  # recorded once, not on every run
            action.problem = str(problem)
            action.save()
        return f"{describe(action)} was not applied: {problem}", new
    return "", False


def standing_application(action: CorporateAction) -> CorporateActionApplication:
    """The application of `action` in force (the one being made, inside a handler)."""
    return action.applications.get(reversed_at__isnull=True)


def corporate_actions_apply_due(*, as_of: date) -> CorporateActionsResult:
    """Apply what is due by `as_of` in the firm in context, then run the integrity checks."""
    require_firm()
    problems: list[str] = []
    news: list[str] = []
    applied = 0
    with transaction.atomic(), audit_context(system_job=JOB,
                                             reason=f"corporate actions due by {as_of}"):
        reversed_count = _reverse_changed()
        for action in CorporateAction.objects.filter(due_by(as_of), status=Status.RECEIVED):
            problem, new = _apply(action, as_of)
            if problem:
                problems.append(problem)
                news += [problem] if new else []
            else:
                applied += 1
        waiting = (CorporateAction.objects.filter(status=Status.RECEIVED)
                   .exclude(due_by(as_of)).count())
        held: set[int] = set()
        released: set[int] = set()
        newly_held: set[int] = set()
        for handler in corporate_action_handlers():
            if handler.check is not None:
                outcome = handler.check(as_of)
                held |= outcome.held
                released |= outcome.released
                newly_held |= outcome.newly_held
                problems.extend(outcome.problems)
        if news or newly_held:
            _alert(news, len(newly_held), problems)
    return CorporateActionsResult(applied=applied, waiting=waiting, reversed=reversed_count,
                                  accounts_held=len(held), accounts_released=len(released - held),
                                  problems=tuple(problems))


def _alert(news: list[str], newly_held: int, problems: list[str]) -> None:
    """Tell the data manager once, when something new needs them (not on every run)."""
    lines = ([f"{newly_held} account(s) newly held until the data agrees."] if newly_held
             else []) + news + [p for p in problems if p not in news]
    alert_raise(firm=require_firm(), kind="corporate_action", severity="warning",
                subject="Corporate actions need attention", message="\n".join(lines)[:4000],
                roles=["data_manager"])


def corporate_actions_after_load(*, feed_file: Any) -> None:
    """Feed hook, before prices or lots are read and after actions, prices or lots loaded:
    apply what is due by the file's date (so the file's new identifiers resolve) and check the
    feeds again (a corrected price file releases the holds it caused)."""
    if feed_file.business_date is not None:
        corporate_actions_apply_due(as_of=feed_file.business_date)


# --- entered and corrected by a data manager ---------------------------------------------------

EDITABLE = [name for name in TERMS if name != "new_security_id"] + ["description"]


def _resolve_old(values: dict[str, Any]) -> Security:
    """The security the action is about, by its identifiers the day before it."""
    day = values["effective_date"] - timedelta(days=1)
    valid = (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gt=day))
    for kind in ("cusip", "ticker"):
        value = values.get(f"old_{kind}") or ""
        if value:
            identifier = (SecurityIdentifier.objects.filter(valid, kind=kind, value=value)
                          .select_related("security").first())
            if identifier is not None:
                return identifier.security
    raise ValidationError("The old CUSIP or ticker names no security of the master on the day "
                          "before the effective date.")


def _today() -> date:
    return timezone.now().astimezone(ZoneInfo(require_firm().timezone)).date()


@transaction.atomic
def corporate_action_enter(*, values: dict[str, Any], reason: str,
                           acting_user: Any) -> CorporateAction:
    """Enter an action the feed did not bring; applied now if its effective date has come."""
    if not reason.strip():
        raise ValidationError("Say why the action is entered by hand.")
    if CorporateAction.objects.filter(action_id=values["action_id"]).exists():
        raise ValidationError(f"Action {values['action_id']} exists already: correct it.")
    with audit_context(user=acting_user, reason=reason):
        action = CorporateAction(firm=require_firm(), action_id=values["action_id"],
                                 old_security=_resolve_old(values),
                                 **{name: values.get(name) for name in EDITABLE
                                    if values.get(name) is not None})
        action.save()
        corporate_actions_apply_due(as_of=_today())
    action.refresh_from_db()
    return action


@transaction.atomic
def corporate_action_correct(*, action: CorporateAction, changes: dict[str, Any], reason: str,
                             acting_user: Any) -> CorporateAction:
    """Change an action's terms; an applied one is reversed and applied again, with history."""
    if not reason.strip():
        raise ValidationError("Say why the action is corrected.")
    if action.status == Status.CANCELLED:
        raise ValidationError("A cancelled action cannot be corrected; enter a new one.")
    with audit_context(user=acting_user, reason=reason):
        merged = {name: getattr(action, name) for name in EDITABLE} | changes
        for name, value in changes.items():
            setattr(action, name, value)
        action.old_security = _resolve_old(merged)
        if action.status == Status.APPLIED:
            action.status = Status.CORRECTED
        action.save()
        corporate_actions_apply_due(as_of=_today())
    action.refresh_from_db()
    return action


@transaction.atomic
def corporate_action_cancel(*, action: CorporateAction, reason: str,
                            acting_user: Any) -> CorporateAction:
    """Cancel an action: if it was applied, everything it did is reversed."""
    if not reason.strip():
        raise ValidationError("Say why the action is cancelled.")
    with audit_context(user=acting_user, reason=reason):
        action.status = Status.CANCELLED
        action.save()
        corporate_actions_apply_due(as_of=_today())
    action.refresh_from_db()
    return action
