from django.apps import AppConfig


class DataopsConfig(AppConfig):
    """Reference and market data, and the feed framework."""

    name = "dataops"

    def ready(self) -> None:
        from dataops.loaders import register

        register()
