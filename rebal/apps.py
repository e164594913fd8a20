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
        # last_login is bookkeeping, excluded from history: record it without a history row
        # (Django's own handler saves the user, an audited write with no actor yet).
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        from rebal.auth_signals import record_last_login

        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(record_last_login, dispatch_uid="rebal_record_last_login")
        post_migrate.connect(on_post_migrate, dispatch_uid="rebal_database_security")
