from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """The nightly cycle, dispositions, batches and orders."""

    name = "workflow"
