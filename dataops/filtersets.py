"""Filters of the data-operations lists, shared by the API and the pages."""

import django_filters

from dataops.models import FeedFile, UnknownSecurity


class FeedFileFilterSet(django_filters.FilterSet):
    feed = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=FeedFile.Status.choices)
    business_date = django_filters.DateFilter()

    class Meta:
        model = FeedFile
        fields = ["feed", "status", "business_date"]


class UnknownSecurityFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=UnknownSecurity.Status.choices)

    class Meta:
        model = UnknownSecurity
        fields = ["status", "cusip", "ticker"]
