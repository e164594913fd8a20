from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo firm built from public data."""

    name = "demo"
