from django.apps import AppConfig


class DataopsConfig(AppConfig):
    """Reference and market data, and the feed framework."""

    name = "dataops"

    def ready(self) -> None:
        from dataops.corporate_actions.registry import (
            CorporateActionHandler,
            register_corporate_action_handler,
        )
        from dataops.corporate_actions.security_master import (
            apply_to_security_master,
            reverse_in_security_master,
        )
        from dataops.feeds.registry import on_feed_loaded, on_feed_loading
        from dataops.loaders import register
        from dataops.services.corporate_actions import corporate_actions_after_load

        register()
        register_corporate_action_handler(CorporateActionHandler(
            name="security_master", order=10, apply=apply_to_security_master,
            reverse=reverse_in_security_master))
        on_feed_loading(["prices", "tax_lots"], corporate_actions_after_load)
        on_feed_loaded(["corporate_actions", "prices", "tax_lots"], corporate_actions_after_load)
