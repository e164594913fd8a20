from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Records, exports and reports."""

    name = "reports"
