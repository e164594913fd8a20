"""Chunks of the analyze stage: households linked through a shared tax entity stay together.

Accounts of one tax entity (a person, their spouse, corporations they control) must be solved in
sequence so that each sees the others' proposed trades for the wash-sale windows; a household
may hold accounts of several tax entities and a tax entity may span households, so the unit of
work is the connected group of households and tax entities. Groups are packed, in a stable
order, into chunks of at most `size` accounts (a group larger than `size` stays whole).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AccountLink:
    account_id: int
    household_id: int
    tax_entity_id: int | None


def linked_groups(accounts: Iterable[AccountLink]) -> list[list[int]]:
    """Account ids grouped by connected households and tax entities, each group sorted, the
    groups ordered by their smallest account id."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(node: tuple[str, int]) -> tuple[str, int]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(one: tuple[str, int], two: tuple[str, int]) -> None:
        root_one, root_two = find(one), find(two)
        if root_one != root_two:
            parent[max(root_one, root_two)] = min(root_one, root_two)

    rows = list(accounts)
    for row in rows:
        union(("account", row.account_id), ("household", row.household_id))
        if row.tax_entity_id is not None:
            union(("account", row.account_id), ("tax_entity", row.tax_entity_id))
    groups: dict[tuple[str, int], list[int]] = {}
    for row in rows:
        groups.setdefault(find(("account", row.account_id)), []).append(row.account_id)
    return sorted((sorted(ids) for ids in groups.values()), key=lambda ids: ids[0])


def plan_chunks(accounts: Iterable[AccountLink], size: int) -> list[list[int]]:
    """Linked groups packed in order into chunks of at most `size` accounts."""
    if size < 1:
        raise ValueError("a chunk holds at least one account")
    chunks: list[list[int]] = []
    current: list[int] = []
    for group in linked_groups(accounts):
        if current and len(current) + len(group) > size:
            chunks.append(current)
            current = []
        current.extend(group)
    if current:
        chunks.append(current)
    return chunks
