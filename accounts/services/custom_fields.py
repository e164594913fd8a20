"""Ancillary account fields (x_* columns): the firm admin types them; values follow the type."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.loaders.accounts_feed import typed_value
from accounts.models import Account, CustomField
from rebal.audit import audit_context, bulk_update_audited


@transaction.atomic
def custom_field_retype(*, field: CustomField, field_type: str, label: str | None = None,
                        acting_user: Any, reason: str) -> CustomField:
    """Change a field's type, converting every account's value; refused, naming the first
    account whose value does not convert, so no value is silently lost."""
    if field_type not in CustomField.Type.values:
        raise ValidationError(f"Unknown type {field_type!r}; use one of "
                              f"{', '.join(CustomField.Type.values)}.")
    if not reason.strip():
        raise ValidationError("A reason is required to change a field's type.")
    candidate = CustomField(name=field.name, field_type=field_type)
    changed = []
    for account in Account.objects.filter(custom_fields__has_key=field.name):
        raw = account.custom_fields[field.name]
        text = "" if raw is None else ("Y" if raw is True else "N" if raw is False else str(raw))
        try:
            converted = typed_value(candidate, text)
        except ValueError as error:
            raise ValidationError(f"Account {account.account_number}: {error}") from error
        if converted != raw:
            account.custom_fields = {**account.custom_fields, field.name: converted}
            changed.append(account)
    with audit_context(user=acting_user, reason=reason):
        field.field_type = field_type
        if label is not None:
            field.label = label
        field.save()
        if changed:
            bulk_update_audited(Account, changed, ["custom_fields"], batch_size=2000)
    return field
