"""The security master's part of a corporate action: identifiers, names, status, the security
the holders receive, substantially identical groups and restriction lists.

A ticker or CUSIP change keeps one security: the old identifier's validity ends on the effective
date and the new one starts there, so files dated before the change still resolve the old one
(dataops.feeds.resolver). A merger or spin-off names a different security, found by its new
identifiers or added to the master; it joins the old security's identical group when it has
none, and the restriction lists that name the old security name it too (a restricted issuer's
successor stays restricted until someone decides otherwise). Every change is recorded in the
application's effects so that a correction can undo exactly it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Q

from dataops.corporate_actions.registry import CorporateActionProblem
from dataops.models import (
    CorporateAction,
    RestrictionEntry,
    Security,
    SecurityIdentifier,
    UnknownSecurity,
)
from dataops.services.unknown_securities import unknown_security_add

NEW_SECURITY_TYPES = {"spinoff", "stock_merger", "cash_stock_merger"}
RETIRING_TYPES = {"stock_merger", "cash_stock_merger", "cash_merger", "delisting"}
SECURITY_FIELDS = ["name", "ticker", "cusip", "status", "identical_group_id"]


def _valid_on(day: date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gt=day))


def _old_security(action: CorporateAction) -> Security:
    if action.old_security is None:
        raise CorporateActionProblem("the old security is not in the security master")
    return action.old_security


def _change_identifier(security: Security, kind: str, value: str, day: date,
                       effects: dict[str, Any]) -> None:
    """Make `value` the security's `kind` identifier from `day` on, ending the current one."""
    current = list(SecurityIdentifier.objects.filter(_valid_on(day), security=security,
                                                     kind=kind))
    if [identifier.value for identifier in current] == [value]:
        return
    taken = SecurityIdentifier.objects.filter(_valid_on(day), kind=kind, value=value).exclude(
        security=security).first()
    if taken is not None:
        raise CorporateActionProblem(
            f"{kind} {value} already names {taken.security} in the security master")
    for identifier in current:
        effects.setdefault("ended", []).append([identifier.pk, str(identifier.valid_to or "")])
        identifier.valid_to = day
        identifier.save()
    created = SecurityIdentifier.objects.create(security=security, kind=kind, value=value,
                                                valid_from=day)
    effects.setdefault("created", []).append(created.pk)
    setattr(security, kind, value)


def _remember(security: Security, effects: dict[str, Any]) -> None:
    saved = effects.setdefault("securities", {})
    saved.setdefault(str(security.pk), {name: getattr(security, name)
                                         for name in SECURITY_FIELDS})


def _find_or_add(action: CorporateAction, old: Security, effects: dict[str, Any]) -> Security:
    """The security holders receive, by its new identifiers on the effective date."""
    if not (action.new_cusip or action.new_ticker):
        raise CorporateActionProblem("the new security has neither new_cusip nor new_ticker")
    day = action.effective_date
    found = None
    for kind, value in (("cusip", action.new_cusip), ("ticker", action.new_ticker)):
        if value and found is None:
            identifier = SecurityIdentifier.objects.filter(
                _valid_on(day), kind=kind, value=value).select_related("security").first()
            found = identifier.security if identifier else None
    if found is not None and found.status == Security.Status.PLACEHOLDER:
        # A file named the new security before this action described it: make it real.
        entry = UnknownSecurity.objects.filter(placeholder=found,
                                               status=UnknownSecurity.Status.OPEN).first()
        if entry is not None:
            _remember(found, effects)
            unknown_security_add(entry=entry, name=action.new_name or found.name,
                                 security_type=old.security_type,
                                 asset_class=old.asset_class,  # type: ignore[arg-type]
                                 sector=old.sector, acting_user=None,
                                 reason=f"received in corporate action {action.action_id}")
            found.refresh_from_db()
            for kind, value in (("cusip", action.new_cusip), ("ticker", action.new_ticker)):
                if value and not SecurityIdentifier.objects.filter(security=found,
                                                                   kind=kind).exists():
                    added = SecurityIdentifier.objects.create(security=found, kind=kind,
                                                              value=value)
                    effects.setdefault("created", []).append(added.pk)
                    setattr(found, kind, value)
            found.save()
    if found is None:
        found = Security.objects.create(
            name=action.new_name or f"{action.new_ticker or action.new_cusip} "
                                     f"(from {old} in {action.action_id})",
            security_type=old.security_type, asset_class=old.asset_class, sector=old.sector,
            currency=old.currency, cusip=action.new_cusip, ticker=action.new_ticker)
        for kind, value in (("cusip", action.new_cusip), ("ticker", action.new_ticker)):
            if value:
                SecurityIdentifier.objects.create(security=found, kind=kind, value=value)
        # Kept if the action is reversed: rows may name it by then.
        effects["added_security"] = found.pk
    return found


def _follow(old: Security, new: Security, action: CorporateAction,
            effects: dict[str, Any]) -> None:
    """The successor joins the old security's identical group and restriction lists."""
    if new.identical_group_id is None and old.identical_group_id is not None:
        _remember(new, effects)
        new.identical_group_id = old.identical_group_id
        new.save()
    listed = set(RestrictionEntry.objects.filter(security=new).values_list(
        "restriction_list_id", flat=True))
    for entry in RestrictionEntry.objects.filter(security=old).exclude(
            restriction_list_id__in=listed):
        added = RestrictionEntry.objects.create(
            restriction_list_id=entry.restriction_list_id, security=new,
            reason=f"{entry.reason} (follows {old} after {action.action_id})".strip()[:500])
        effects.setdefault("restrictions", []).append(added.pk)


def apply_to_security_master(action: CorporateAction, as_of: date) -> dict[str, Any]:
    effects: dict[str, Any] = {}
    old = _old_security(action)
    day = action.effective_date
    _remember(old, effects)
    if action.type in NEW_SECURITY_TYPES:
        new = _find_or_add(action, old, effects)
        if new.pk == old.pk:
            raise CorporateActionProblem(f"the new security is {old} itself")
        if action.new_security_id != new.pk:
            action.new_security = new
        _follow(old, new, action, effects)
    else:
        # Identifier changes of the security itself (a CUSIP change, or a reverse split that
        # came with a new CUSIP, as GE's did).
        if action.new_cusip:
            _change_identifier(old, "cusip", action.new_cusip, day, effects)
        if action.new_ticker:
            _change_identifier(old, "ticker", action.new_ticker, day, effects)
        if action.type == "ticker_change" and not action.new_ticker:
            raise CorporateActionProblem("a ticker change needs new_ticker")
        if action.type == "cusip_change" and not action.new_cusip:
            raise CorporateActionProblem("a CUSIP change needs new_cusip")
        if action.new_name:
            old.name = action.new_name
        elif action.type == "name_change":
            raise CorporateActionProblem("a name change needs new_name")
    if action.type in RETIRING_TYPES:
        old.status = Security.Status.DELISTED
    old.save()
    return effects


def reverse_in_security_master(action: CorporateAction, effects: dict[str, Any]) -> None:
    RestrictionEntry.objects.filter(pk__in=effects.get("restrictions", [])).delete()
    SecurityIdentifier.objects.filter(pk__in=effects.get("created", [])).delete()
    for identifier_id, valid_to in effects.get("ended", []):
        identifier = SecurityIdentifier.objects.get(pk=identifier_id)
        identifier.valid_to = date.fromisoformat(valid_to) if valid_to else None
        identifier.save()
    for security_id, fields in effects.get("securities", {}).items():
        security = Security.objects.get(pk=int(security_id))
        for name, value in fields.items():
            setattr(security, name, value)
        security.save()
    if action.new_security_id is not None:
        action.new_security = None
        action.save()
