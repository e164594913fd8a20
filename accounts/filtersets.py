import django_filters

from accounts.models import Account


class AccountFilterSet(django_filters.FilterSet):
    household = django_filters.CharFilter(field_name="household__code")

    class Meta:
        model = Account
        fields = ["status", "household", "account_number"]
