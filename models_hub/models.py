"""Security models (products) and their daily versions from the models feed.

Allocations, programs, approved alternatives and the model hub's contracts arrive with the
model-management issue; this holds what the feed delivers.
"""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class SecurityModel(FirmOwnedModel):
    """A product: a weighted list of securities (an ETF, a fund family, a direct index…)."""

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200, blank=True, default="")
    provider_code = models.CharField(max_length=50, blank=True, default="")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="security_model")]

    def __str__(self) -> str:
        return self.name or self.code


class SecurityModelVersion(FirmOwnedModel):
    """The model's weights as of a date, as one file delivered them; never edited."""

    model = models.ForeignKey(SecurityModel, on_delete=models.PROTECT, related_name="versions")
    as_of_date = models.DateField()
    feed_file = models.ForeignKey("dataops.FeedFile", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model", "-as_of_date", "-pk"]


class SecurityModelWeight(FirmOwnedModel):
    """One security's weight in a model version (fractions summing to 1)."""

    version = models.ForeignKey(SecurityModelVersion, on_delete=models.PROTECT,
                                related_name="weights")
    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(max_digits=12, decimal_places=10)
