from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Households, accounts, holdings, holds and settings."""

    name = "accounts"

    def ready(self) -> None:
        from accounts.loaders import register
        from accounts.services.corporate_actions import (
            expectations_apply,
            expectations_check,
            expectations_reverse,
        )
        from accounts.services.staleness import tax_lots_due
        from accounts.services.unknown_securities import unknown_security_resolved
        from dataops.corporate_actions.registry import (
            CorporateActionHandler,
            register_corporate_action_handler,
        )
        from dataops.feeds.registry import on_feed_due, on_unknown_security_resolved

        register()
        on_unknown_security_resolved(unknown_security_resolved)
        on_feed_due(tax_lots_due)
        register_corporate_action_handler(CorporateActionHandler(
            name="accounts", order=30, apply=expectations_apply, reverse=expectations_reverse,
            check=expectations_check))
