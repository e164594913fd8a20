from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RebalConfig(AppConfig):
    """Platform core: tenancy, permissions, audit plumbing, alerts, API and page bases."""

    name = "rebal"
    verbose_name = "Rebal platform"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from rebal.audit import fill_actor
        from rebal.db_security import on_post_migrate

        pre_create_historical_record.connect(fill_actor, dispatch_uid="rebal_fill_actor")
        post_migrate.connect(on_post_migrate, dispatch_uid="rebal_database_security")
