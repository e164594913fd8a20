"""Market data by date: prices and the factor risk model. Loaded in bulk, not row-audited:
each row names the file it came from."""

from __future__ import annotations

from django.db import models

from rebal.models.base import FirmOwnedModel


class Price(FirmOwnedModel):
    """A closing price of a security on a business date."""

    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")
    as_of_date = models.DateField()
    close = models.DecimalField(max_digits=20, decimal_places=6)
    feed_file = models.ForeignKey("dataops.FeedFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["security", "as_of_date"],
                                               name="price_per_security_date")]
        indexes = [models.Index(fields=["firm", "as_of_date"])]


class RiskExposure(FirmOwnedModel):
    """A security's exposure to a factor of the risk model on a date."""

    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")
    as_of_date = models.DateField()
    factor = models.CharField(max_length=50)
    exposure = models.DecimalField(max_digits=20, decimal_places=10)
    feed_file = models.ForeignKey("dataops.FeedFile", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    # Blank when the model covers the security; else what the proxy averaged ("sector:Energy").
    proxy_basis = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["firm", "as_of_date"])]


class RiskCovariance(FirmOwnedModel):
    """An annualized factor covariance (decimal²) on a date; one triangle is stored."""

    as_of_date = models.DateField()
    factor_1 = models.CharField(max_length=50)
    factor_2 = models.CharField(max_length=50)
    covariance = models.DecimalField(max_digits=20, decimal_places=12)
    feed_file = models.ForeignKey("dataops.FeedFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["firm", "as_of_date"])]


class RiskSpecific(FirmOwnedModel):
    """A security's specific (idiosyncratic) variance on a date, from the model or a proxy."""

    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")
    as_of_date = models.DateField()
    specific_variance = models.DecimalField(max_digits=20, decimal_places=12)
    feed_file = models.ForeignKey("dataops.FeedFile", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    proxy_basis = models.CharField(max_length=120, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["firm", "as_of_date"])]
