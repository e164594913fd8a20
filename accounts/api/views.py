from accounts.api.serializers import AccountSerializer, HouseholdSerializer
from accounts.filtersets import AccountFilterSet
from accounts.models import Account, Household
from rebal.api.viewsets import FirmScopedReadOnlyViewSet


class HouseholdViewSet(FirmScopedReadOnlyViewSet):
    """Households the caller may see."""

    model = Household
    serializer_class = HouseholdSerializer
    permission_object = "household"
    ordering = ("name",)


class AccountViewSet(FirmScopedReadOnlyViewSet):
    """Accounts the caller may see."""

    model = Account
    serializer_class = AccountSerializer
    filterset_class = AccountFilterSet
    permission_object = "account"
    select_related = ("household",)
    ordering = ("account_number",)
