"""Writes of the platform core: firms, memberships, API tokens, alerts. Atomic and audited."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from rebal.audit import audit_context
from rebal.firm_context import firm_context, require_firm
from rebal.models import Alert, APIToken, Firm, Membership, Role, Scope, Team, User
from rebal.models.api_token import hash_token, new_token_value


class FirmCodeTaken(ValidationError):
    """A firm with this code already exists."""


@dataclass(frozen=True)
class CreatedFirm:
    firm: Firm
    admin: User
    one_time_password: str


def user_ensure(*, email: str, acting_user: Any = None, password: str | None = None,
                first_name: str = "", last_name: str = "") -> User:
    """The user with this email, created (without a usable password unless given) if new."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(username=email, email=email, first_name=first_name, last_name=last_name)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    return user


@transaction.atomic
def firm_create(*, code: str, name: str, timezone_name: str, admin_email: str,
                acting_user: Any = None, system_job: str = "", reason: str = "") -> CreatedFirm:
    """Create a firm with its first firm admin, who gets a one-time password."""
    code = code.strip().upper()
    with audit_context(user=acting_user, system_job=system_job,
                       reason=reason or f"Firm {code} created"):
        if Firm.objects.filter(code=code).exists():
            raise FirmCodeTaken(f"A firm with code {code!r} already exists; choose another code.")
        firm = Firm(code=code, name=name, timezone=timezone_name)
        firm.full_clean()
        try:
            with transaction.atomic():
                firm.save()
        except IntegrityError as error:
            raise FirmCodeTaken(f"A firm with code {code!r} already exists.") from error
        one_time_password = secrets.token_urlsafe(12)
        admin = user_ensure(email=admin_email)
        admin.set_password(one_time_password)
        admin.password_must_change = True
        admin.save()
        with firm_context(firm):
            Membership.objects.create(user=admin, roles=[Role.FIRM_ADMIN])
    return CreatedFirm(firm=firm, admin=admin, one_time_password=one_time_password)


@transaction.atomic
def membership_grant(*, user: User, roles: list[str], acting_user: Any, reason: str = "",
                     system_job: str = "") -> Membership:
    """Give `user` these roles in the current firm (replacing the roles they had)."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(sorted(unknown))}")
    firm = require_firm()
    with audit_context(user=acting_user, system_job=system_job,
                       reason=reason or f"Roles set to {', '.join(roles)}"):
        membership = Membership.objects.filter(user=user).first()
        if membership is None:
            membership = Membership(firm=firm, user=user)
        membership.roles = sorted(roles)
        membership.is_active = True
        membership.save()
    return membership


def _reason_required(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason for this change.")
    return reason


def _active_admins_besides(membership: Membership) -> bool:
    return (Membership.objects.filter(is_active=True, roles__contains=[Role.FIRM_ADMIN])
            .exclude(pk=membership.pk).exists())


@dataclass(frozen=True)
class AddedMember:
    membership: Membership
    one_time_password: str  # shown once; "" when the person could already sign in


@transaction.atomic
def member_add(*, email: str, roles: list[str], team: Team | None, acting_user: Any,
               reason: str) -> AddedMember:
    """Make a person a member of the current firm with these roles (and team). Someone new
    gets a one-time password; someone who already signs in (to another firm) keeps theirs."""
    reason = _reason_required(reason)
    email = email.strip().lower()
    validate_email(email)
    unknown = set(roles) - set(Role.values)
    if unknown or not roles:
        raise ValidationError(f"Give the member known roles (unknown: {sorted(unknown)})."
                              if unknown else "A member needs at least one role.")
    if Membership.objects.filter(user__email=email).exists():
        raise ValidationError(f"{email} is already a member of the firm; edit their roles.")
    firm = require_firm()
    if team is not None and team.firm_id != firm.pk:
        raise ValidationError("That team belongs to another firm.")
    one_time_password = ""
    with audit_context(user=acting_user, reason=reason):
        user = user_ensure(email=email)
        if not user.has_usable_password():
            one_time_password = secrets.token_urlsafe(12)
            user.set_password(one_time_password)
            user.password_must_change = True
            user.save()
        membership = Membership.objects.create(firm=firm, user=user, roles=sorted(roles),
                                               team=team)
    return AddedMember(membership=membership, one_time_password=one_time_password)


@transaction.atomic
def membership_update(*, membership: Membership, roles: list[str], team: Team | None,
                      acting_user: Any, reason: str) -> Membership:
    """Set a member's roles and team; the firm keeps at least one active firm admin."""
    reason = _reason_required(reason)
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(sorted(unknown))}")
    if not roles:
        raise ValidationError("A member needs at least one role; deactivate them instead.")
    if (Role.FIRM_ADMIN in membership.roles and Role.FIRM_ADMIN not in roles
            and not _active_admins_besides(membership)):
        raise ValidationError("The firm needs at least one active firm admin.")
    _check_team(membership, team)
    with audit_context(user=acting_user, reason=reason):
        membership.roles = sorted(roles)
        membership.team = team
        membership.save()
    return membership


@transaction.atomic
def membership_set_active(*, membership: Membership, is_active: bool, acting_user: Any,
                          reason: str) -> Membership:
    """Deactivate (no access to the firm, roles and team kept) or reactivate a member."""
    reason = _reason_required(reason)
    if (not is_active and Role.FIRM_ADMIN in membership.roles
            and not _active_admins_besides(membership)):
        raise ValidationError("The firm needs at least one active firm admin.")
    if membership.is_active != is_active:
        with audit_context(user=acting_user, reason=reason):
            membership.is_active = is_active
            membership.save()
    return membership


def _check_team(membership: Membership, team: Team | None) -> None:
    if team is not None and team.firm_id != membership.firm_id:
        raise ValidationError("That team belongs to another firm.")


@transaction.atomic
def membership_set_team(*, membership: Membership, team: Team | None, acting_user: Any,
                        reason: str) -> Membership:
    """Put a member in `team` (None: in no team); a member is in at most one team."""
    reason = _reason_required(reason)
    _check_team(membership, team)
    if membership.team_id != (team.pk if team else None):
        with audit_context(user=acting_user, reason=reason):
            membership.team = team
            membership.save()
    return membership


def _team_name(name: str, *, other_than: Team | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("A team needs a name.")
    taken = Team.objects.filter(name__iexact=name)
    if other_than is not None:
        taken = taken.exclude(pk=other_than.pk)
    if taken.exists():
        raise ValidationError(f"This firm already has a team named {name!r}.")
    return name


@transaction.atomic
def team_create(*, name: str, acting_user: Any, reason: str = "") -> Team:
    """A new team in the current firm; names are unique per firm (ignoring case)."""
    name = _team_name(name)
    with audit_context(user=acting_user, reason=reason.strip() or f"Team {name!r} created"):
        return Team.objects.create(name=name)


@transaction.atomic
def team_rename(*, team: Team, name: str, acting_user: Any, reason: str = "") -> Team:
    name = _team_name(name, other_than=team)
    if name != team.name:
        with audit_context(user=acting_user,
                           reason=reason.strip() or f"Team {team.name!r} renamed {name!r}"):
            team.name = name
            team.save()
    return team


@transaction.atomic
def team_delete(*, team: Team, acting_user: Any, reason: str,
                reassign_to: Team | None = None) -> None:
    """Delete a team; refused while it has members, unless they move to `reassign_to`."""
    reason = _reason_required(reason)
    members = list(Membership.objects.filter(team=team).select_for_update())
    if members and reassign_to is None:
        raise ValidationError(f"Team {team.name!r} still has {len(members)} member(s); "
                              "move them to another team first.")
    if reassign_to is not None and reassign_to.pk == team.pk:
        raise ValidationError("Move the members to a different team.")
    with audit_context(user=acting_user, reason=reason):
        for membership in members:
            membership_set_team(membership=membership, team=reassign_to,
                                acting_user=acting_user, reason=reason)
        team.delete()


@dataclass(frozen=True)
class IssuedToken:
    token: APIToken
    value: str  # shown once, never stored


@transaction.atomic
def api_token_create(*, name: str, scopes: list[str], acting_user: Any, reason: str = "",
                     system_job: str = "") -> IssuedToken:
    """Issue a token for the current firm; only its hash is kept."""
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValidationError(f"Unknown scope(s): {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(Scope.values)}")
    if not scopes:
        raise ValidationError("A token needs at least one scope.")
    if APIToken.objects.filter(name=name).exists():
        raise ValidationError(f"This firm already has a token named {name!r}.")
    value = new_token_value()
    with audit_context(user=acting_user, system_job=system_job,
                       reason=reason or f"API token {name!r} issued"):
        token = APIToken.objects.create(
            name=name, key_hash=hash_token(value), key_prefix=value[:10],
            scopes=sorted(scopes),
            created_by=acting_user if getattr(acting_user, "pk", None) else None,
        )
    return IssuedToken(token=token, value=value)


@transaction.atomic
def api_token_revoke(*, token: APIToken, acting_user: Any, reason: str) -> APIToken:
    """Revoke a token; the next request that presents it is refused."""
    if token.revoked_at is None:
        with audit_context(user=acting_user, reason=reason or "API token revoked"):
            token.revoked_at = timezone.now()
            token.save()
    return token


def alert_raise(*, firm: Firm, kind: str, severity: str, subject: str, message: str,
                roles: list[str]) -> Alert:
    """Raise an alert for the people in `roles`; an open alert for the same subject is folded."""
    now = timezone.now()
    with firm_context(firm):
        alert = (Alert.objects.select_for_update()
                 .filter(kind=kind, subject=subject, acknowledged_at__isnull=True).first())
        if alert is None:
            try:
                with transaction.atomic():
                    return Alert.objects.create(
                        kind=kind, severity=severity, subject=subject, message=message,
                        roles=sorted(roles), first_raised_at=now, last_raised_at=now,
                    )
            except IntegrityError:
                # Another worker opened it a moment ago: fold into theirs.
                alert = Alert.objects.select_for_update().get(
                    kind=kind, subject=subject, acknowledged_at__isnull=True)
        alert.occurrences += 1
        alert.last_raised_at = now
        alert.message = message
        alert.severity = max(alert.severity, severity, key=_SEVERITY_ORDER.index)
        alert.roles = sorted(set(alert.roles) | set(roles))
        alert.save()
        return alert


_SEVERITY_ORDER = ["info", "warning", "critical"]


@transaction.atomic
def alert_acknowledge(*, alert: Alert, acting_user: Any) -> Alert:
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = acting_user
        alert.save()
    return alert
