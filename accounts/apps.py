from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Households, accounts, holdings, holds and settings."""

    name = "accounts"
