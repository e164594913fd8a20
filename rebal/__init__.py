"""Rebal: the platform core (settings, tenancy, permissions, audit, alerts, API and page bases)."""

from rebal.celery import app as celery_app

__all__ = ["celery_app"]
