from django.apps import AppConfig


class OptimizerConfig(AppConfig):
    """The tax-aware optimizer and its analyses."""

    name = "optimizer"
