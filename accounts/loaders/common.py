"""What the accounts loaders share: account lookup and holds for the accounts bad rows touch."""

from __future__ import annotations

from collections import defaultdict

from accounts.models import Account, AccountHold
from accounts.services.holds import holds_clear, holds_place
from dataops.feeds.batch import FeedBatch


def account_ids_by_number() -> dict[str, int]:
    return dict(Account.objects.values_list("account_number", "id"))


def refuse_unknown_accounts(batch: FeedBatch, known: dict[str, int]) -> None:
    for row in batch.good_rows():
        number = row.values["account_number"]
        if number not in known:
            batch.refuse(row.line_number, "account_number",
                         f"unknown account {number}: not in any accounts file")


def hold_accounts_with_bad_rows(batch: FeedBatch, known: dict[str, int]) -> set[int]:
    """Put a data-error hold on each known account a bad row touches; returns their ids."""
    reasons: dict[int, list[str]] = defaultdict(list)
    for bad in batch.bad_rows:
        account_id = known.get(bad.account_number)
        if account_id is not None:
            reasons[account_id].append(f"line {bad.line_number}: {bad.reason}")
    holds_place(
        reasons={account_id: f"{batch.feed_file.name}: " + "; ".join(lines[:5])
                 + (f" (+{len(lines) - 5} more)" if len(lines) > 5 else "")
                 for account_id, lines in reasons.items()},
        kind=AccountHold.Kind.DATA_ERROR, source=f"feed:{batch.feed}")
    return set(reasons)


def clear_feed_holds(batch: FeedBatch, account_ids: set[int]) -> None:
    holds_clear(source=f"feed:{batch.feed}", account_ids=account_ids,
                reason=f"{batch.feed_file.name} loaded cleanly")


def hold_unknown_securities(batch: FeedBatch, unknown: dict[int, set[int]]) -> None:
    """Hold accounts that hold a security the master does not know (account id -> placeholders)."""
    by_source: dict[int, dict[int, str]] = defaultdict(dict)
    for account_id, placeholders in unknown.items():
        for placeholder_id in placeholders:
            by_source[placeholder_id][account_id] = (
                f"holds a security not in the security master ({batch.feed_file.name})")
    for placeholder_id, reasons in by_source.items():
        holds_place(reasons=reasons, kind=AccountHold.Kind.DATA_ERROR,
                    source=f"unknown_security:{placeholder_id}")
