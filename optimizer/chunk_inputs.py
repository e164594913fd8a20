"""The optimizer inputs of a chunk of accounts (first version: one account at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from accounts.models import Account
from optimizer.account_inputs import AccountInputs, account_inputs


@dataclass(frozen=True)
class ChunkAccount:
    """One account of a chunk: its inputs, or why it cannot be analyzed."""

    account_id: int
    tax_entity_id: int | None
    inputs: AccountInputs | None
    failure: str = ""


def chunk_inputs(account_ids: Sequence[int], as_of: date) -> list[ChunkAccount]:
    """Inputs of the chunk's accounts that exist in the firm, in the order given."""
    accounts = Account.objects.in_bulk(list(account_ids))
    out = []
    for pk in account_ids:
        account = accounts.get(pk)
        if account is None:
            continue
        try:
            with transaction.atomic():
                inputs = account_inputs(account, as_of)
        except Exception as error:  # the reason goes to the outcome
            out.append(ChunkAccount(pk, account.tax_entity_id, None,
                                    f"Its data could not be read ({error})."))
            continue
        if not inputs.target.weights:
            out.append(ChunkAccount(pk, account.tax_entity_id, None,
                                    "It has no target: " + "; ".join(inputs.notes)))
            continue
        out.append(ChunkAccount(pk, account.tax_entity_id, inputs))
    return out
