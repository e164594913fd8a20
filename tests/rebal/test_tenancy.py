"""The fail-closed manager and the firm context."""

from __future__ import annotations

import pytest

from accounts.models import Account
from rebal.firm_context import FirmContextMissing, current_firm, firm_context

pytestmark = pytest.mark.django_db


def test_default_manager_refuses_without_a_firm(alice_firm):
    queryset = Account.objects.filter(name__startswith="A")  # building is allowed
    with pytest.raises(FirmContextMissing):
        list(queryset)
    with pytest.raises(FirmContextMissing):
        Account.objects.count()
    with pytest.raises(FirmContextMissing):
        Account.objects.exists()


def test_default_manager_returns_only_the_firm_in_context(alice_firm, bob_firm):
    with firm_context(bob_firm.firm):
        numbers = sorted(Account.objects.values_list("account_number", flat=True))
    assert numbers == ["BOB-001", "BOB-002"]


def test_for_firm_cannot_escape_the_database_context(alice_firm, bob_firm):
    with firm_context(bob_firm.firm):
        assert list(Account.objects.for_firm(alice_firm.firm)) == []
        assert Account.objects.unscoped().count() == 2


def test_nested_contexts_restore_the_outer_firm(alice_firm, bob_firm):
    with firm_context(alice_firm.firm):
        with firm_context(bob_firm.firm):
            assert current_firm() == bob_firm.firm
            assert Account.objects.unscoped().count() == 2
        assert current_firm() == alice_firm.firm
        assert set(Account.objects.unscoped().values_list("firm_id", flat=True)) == {
            alice_firm.firm.pk}
    assert current_firm() is None


def test_saving_in_another_firms_context_is_refused(alice_firm, bob_firm):
    with firm_context(bob_firm.firm), pytest.raises(PermissionError):
        alice_firm.account.save()
