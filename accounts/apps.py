from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Households, accounts, holdings, holds and settings."""

    name = "accounts"

    def ready(self) -> None:
        from accounts.loaders import register
        from accounts.services.staleness import tax_lots_due
        from accounts.services.unknown_securities import unknown_security_resolved
        from dataops.feeds.registry import on_feed_due, on_unknown_security_resolved

        register()
        on_unknown_security_resolved(unknown_security_resolved)
        on_feed_due(tax_lots_due)
