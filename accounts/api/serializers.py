from rest_framework import serializers

from accounts.models import Account, Household


class HouseholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = Household
        fields = ["id", "code", "name"]
        read_only_fields = fields


class AccountSerializer(serializers.ModelSerializer):
    household = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Account
        fields = ["id", "account_number", "name", "household", "status"]
        read_only_fields = fields
