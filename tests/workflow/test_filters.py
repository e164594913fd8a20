"""Filters against the hand-counted book of tests/workflow/filter_book.py."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rebal.firm_context import firm_context
from tests.workflow.filter_book import AS_OF, filter_book
from workflow.filters import FilterError, accounts_matching

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(alice_firm):
    return filter_book(alice_firm)


def numbers(book, query, **options):
    with firm_context(book.firm):
        return sorted(accounts_matching(query, firm_id=book.firm.pk, as_of=AS_OF, **options)
                      .filter(household=book.household)
                      .values_list("account_number", flat=True))


def c(field, op, value=None):
    return {"field": field, "op": op, "value": value}


@pytest.mark.parametrize(("query", "expected"), [
    (c("status", "eq", "open"), ["F-1", "F-2", "F-3", "F-5", "F-6"]),
    (c("status", "ne", "open"), ["F-4"]),
    (c("discretionary", "is", False), ["F-3"]),
    (c("custom.tier", "eq", "Platinum"), ["F-1", "F-3"]),
    (c("custom.tier", "ne", "Platinum"), ["F-2", "F-4", "F-5", "F-6"]),
    (c("custom.tier", "is_empty"), ["F-5"]),
    (c("custom.aum", "gte", 300000), ["F-1", "F-2", "F-3"]),
    (c("custom.aum", "between", [250000, 900000]), ["F-1", "F-2", "F-6"]),
    (c("household", "eq", "F-HH"), ["F-1", "F-2", "F-3", "F-4", "F-5", "F-6"]),
    (c("holds", "any_of", ["IBM"]), ["F-1", "F-3", "F-6"]),
    (c("holds", "none_of", ["IBM", "AAPL"]), ["F-4", "F-5"]),
    (c("largest_position_percent", "gt", 50), ["F-1", "F-3"]),
    (c("largest_position_percent", "gte", 50), ["F-1", "F-2", "F-3"]),
    (c("holdings_value", "eq", 22000), ["F-1"]),
    (c("hold_kind", "eq", "data_error"), ["F-3"]),
    (c("has_hold", "is", False), ["F-1", "F-2", "F-4", "F-6"]),
    (c("turnover", "gt", 5), ["F-2", "F-3", "F-6"]),
    (c("estimated_tax", "lt", 0), ["F-6"]),
    (c("realized_gains", "gte", 8000), ["F-2", "F-3"]),
    (c("tracking_error", "gte", 2), ["F-2", "F-3", "F-6"]),
    (c("drift", "gt", 5), ["F-2", "F-6"]),
    (c("market_value", "lt", 16000), ["F-4", "F-6"]),
    # Conditions on the analysis select only accounts that have one (F-5 has none).
    (c("turnover", "ne", 3), ["F-2", "F-3", "F-4", "F-6"]),
    ({"not": c("turnover", "eq", 3)}, ["F-2", "F-3", "F-4", "F-5", "F-6"]),
    ({"all": [c("turnover", "gt", 5), c("estimated_tax", "gt", 1000)]}, ["F-2", "F-3"]),
    ({"any": [c("turnover", "gt", 10), c("custom.tier", "eq", "Silver")]}, ["F-2", "F-4"]),
    ({"not": c("holds", "any_of", ["MSFT"])}, ["F-1", "F-5"]),
    ({"all": [c("status", "eq", "open"), c("has_hold", "is", False),
              {"any": [c("turnover", "gt", 10), c("drift", "gt", 6)]},
              c("market_value", "lt", 100000), c("custom.tier", "eq", "Gold")]},
     ["F-2", "F-6"]),
    ({"all": []}, ["F-1", "F-2", "F-3", "F-4", "F-5", "F-6"]),
])
def test_hand_counted(book, query, expected):
    assert numbers(book, query) == expected


def test_advisor_grants(book, alice_firm):
    from accounts.services.grants import advisor_grant
    from rebal.audit import audit_context

    with firm_context(book.firm), audit_context(system_job="tests"):
        advisor_grant(household=book.household, advisor=alice_firm.advisor,
                                 acting_user=None, reason="the test book")
    assert len(numbers(book, c("advisor", "eq", alice_firm.advisor.email))) == 6
    assert numbers(book, c("advisor", "eq", alice_firm.admin.email)) == []


def test_a_filter_is_one_query(book):
    query = {"all": [c("status", "eq", "open"), c("custom.aum", "gt", 1),
                     c("holds", "any_of", ["IBM"]), c("turnover", "gt", 1),
                     c("largest_position_percent", "gt", 10)]}
    with firm_context(book.firm):
        matching = accounts_matching(query, firm_id=book.firm.pk, as_of=AS_OF)
        with CaptureQueriesContext(connection) as queries:
            assert matching.count() == 3
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert f"firm_id\" = {book.firm.pk}" in sql  # an explicit firm predicate
    assert "::numeric" in sql and "workflow_latestanalysis" in sql  # typed columns


def test_unknown_fields_and_bad_operators_are_refused_by_name(book):
    query = {"all": [c("colour", "eq", "red"), c("turnover", "contains", "x"),
                     c("status", "eq", "asleep"), c("custom.nope", "eq", 1),
                     c("holds", "any_of", ["ZZZZ"]), {"every": []}]}
    with firm_context(book.firm), pytest.raises(FilterError) as refused:
        accounts_matching(query, firm_id=book.firm.pk, as_of=AS_OF)
    problems = refused.value.problems
    assert "query.all[0]: unknown field 'colour'" in problems
    assert any("turnover does not take the operator 'contains'" in p for p in problems)
    assert any("'asleep' is not one of open" in p for p in problems)
    assert "query.all[3]: unknown field 'custom.nope'" in problems
    assert "holds: no security with ticker ZZZZ" in problems
    assert "query.all[5]: unknown keys every" in problems


def test_settings_rules_may_not_read_the_analysis(book):
    with firm_context(book.firm), pytest.raises(FilterError, match="settings rules may not"):
        accounts_matching(c("turnover", "gt", 1), firm_id=book.firm.pk, as_of=AS_OF,
                          allow_analysis=False)


def test_another_firm_sees_none_of_these_accounts(book, bob_firm):
    with firm_context(bob_firm.firm):
        assert not accounts_matching({"all": []}, firm_id=bob_firm.firm.pk, as_of=AS_OF).filter(
            household=book.household).exists()
        # Even naming firm A's id inside firm B's context: row-level security answers nothing.
        assert accounts_matching({"all": []}, firm_id=book.firm.pk, as_of=AS_OF).count() == 0
