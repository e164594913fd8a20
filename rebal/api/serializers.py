from __future__ import annotations

from rest_framework import serializers

from rebal.models import Alert, APIToken, Membership, Scope


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = ["id", "kind", "severity", "subject", "message", "roles", "occurrences",
                  "first_raised_at", "last_raised_at", "acknowledged_at"]
        read_only_fields = fields


class APITokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = APIToken
        fields = ["id", "name", "key_prefix", "scopes", "created_at", "last_used_at",
                  "revoked_at"]
        read_only_fields = fields


class APITokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices),
                                   allow_empty=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class IssuedTokenSerializer(APITokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(APITokenSerializer.Meta):
        fields = [*APITokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "roles", "is_active"]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    principal = serializers.CharField()
    firm = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    scopes = serializers.ListField(child=serializers.CharField())
    actions = serializers.ListField(child=serializers.CharField())
