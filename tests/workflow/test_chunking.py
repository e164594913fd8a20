"""Chunks keep households linked through tax entities together, in a stable order."""

from __future__ import annotations

import pytest

from workflow.chunking import AccountLink, linked_groups, plan_chunks

# Households 1 and 2 are linked by tax entity 10 (spouses' joint and IRA across households);
# household 3 stands alone; household 4 holds accounts of entities 11 and 12, and entity 12
# also owns an account in household 5.
LINKS = [
    AccountLink(1, household_id=1, tax_entity_id=10),
    AccountLink(2, household_id=1, tax_entity_id=None),
    AccountLink(3, household_id=2, tax_entity_id=10),
    AccountLink(4, household_id=3, tax_entity_id=None),
    AccountLink(5, household_id=4, tax_entity_id=11),
    AccountLink(6, household_id=4, tax_entity_id=12),
    AccountLink(7, household_id=5, tax_entity_id=12),
    AccountLink(8, household_id=3, tax_entity_id=13),
]


def test_groups_are_connected_households_and_tax_entities():
    assert linked_groups(LINKS) == [[1, 2, 3], [4, 8], [5, 6, 7]]


def test_groups_are_packed_whole_into_chunks():
    assert plan_chunks(LINKS, 3) == [[1, 2, 3], [4, 8], [5, 6, 7]]
    assert plan_chunks(LINKS, 5) == [[1, 2, 3, 4, 8], [5, 6, 7]]
    assert plan_chunks(LINKS, 100) == [[1, 2, 3, 4, 8, 5, 6, 7]]


def test_a_group_larger_than_a_chunk_stays_whole():
    assert plan_chunks(LINKS, 2) == [[1, 2, 3], [4, 8], [5, 6, 7]]
    assert plan_chunks(LINKS, 1) == [[1, 2, 3], [4, 8], [5, 6, 7]]


def test_the_plan_does_not_depend_on_input_order():
    assert plan_chunks(list(reversed(LINKS)), 5) == plan_chunks(LINKS, 5)


def test_a_chunk_holds_at_least_one_account():
    with pytest.raises(ValueError, match="at least one"):
        plan_chunks(LINKS, 0)
