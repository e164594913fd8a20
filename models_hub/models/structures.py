"""The model book: asset allocations, security models (products), programs, approved
alternatives, equivalence sets and customization limits.

Allocations and products are separate structures (DESIGN.md §6). Allocations, products and
programs change only by publishing an approved ModelChange; each carries a `revision` that the
change was drafted against, so a stale draft cannot overwrite a newer publication.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmManager, FirmOwnedModel


class RiskProfile(models.TextChoices):
    CONSERVATIVE = "conservative", "Conservative"
    MODERATELY_CONSERVATIVE = "moderately_conservative", "Moderately conservative"
    MODERATE = "moderate", "Moderate"
    MODERATELY_AGGRESSIVE = "moderately_aggressive", "Moderately aggressive"
    AGGRESSIVE = "aggressive", "Aggressive"


class AssetAllocation(FirmOwnedModel):
    """A weighted list of asset classes summing to 1, for one risk profile."""

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    risk_profile = models.CharField(max_length=30, choices=RiskProfile.choices)
    description = models.TextField(blank=True, default="")
    revision = models.PositiveIntegerField(default=0)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="allocation_code")]

    def __str__(self) -> str:
        return self.name or self.code


class AllocationWeight(FirmOwnedModel):
    """One asset class's weight in an allocation."""

    allocation = models.ForeignKey(AssetAllocation, on_delete=models.CASCADE,
                                   related_name="weights")
    asset_class = models.ForeignKey("dataops.AssetClass", on_delete=models.PROTECT,
                                    related_name="+")
    weight = models.DecimalField(max_digits=12, decimal_places=10)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["allocation", "asset_class"],
                                               name="allocation_weight")]


class ModelProvider(FirmOwnedModel):
    """A third-party model provider whose models arrive through the models feed."""

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    contact_email = models.EmailField(blank=True, default="")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="model_provider")]

    def __str__(self) -> str:
        return self.name or self.code


class SecurityModel(FirmOwnedModel):
    """A product: a weighted list of securities implementing one asset class."""

    class Kind(models.TextChoices):
        ETF = "etf", "ETF"
        MUTUAL_FUND = "mutual_fund", "Mutual fund"
        DIRECT_INDEX = "direct_index", "Direct index"
        THIRD_PARTY = "third_party", "Third-party model"

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200, blank=True, default="")
    # Set by the models feed; `provider` is the hub's record of it.
    provider_code = models.CharField(max_length=50, blank=True, default="")
    provider = models.ForeignKey(ModelProvider, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="models")
    # Null only for a model a feed delivered before the committee placed it in an asset class;
    # such a model cannot be chosen in a program.
    asset_class = models.ForeignKey("dataops.AssetClass", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True, default="")
    revision = models.PositiveIntegerField(default=0)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="security_model")]

    def __str__(self) -> str:
        return self.name or self.code


class SecurityModelVersion(FirmOwnedModel):
    """The model's weights from a date on, as a file delivered them, a published change set
    them or a corporate action moved them to a successor; never edited (a new version
    supersedes it)."""

    model = models.ForeignKey(SecurityModel, on_delete=models.PROTECT, related_name="versions")
    as_of_date = models.DateField()
    feed_file = models.ForeignKey("dataops.FeedFile", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    change = models.ForeignKey("models_hub.ModelChange", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    corporate_action = models.ForeignKey("dataops.CorporateAction", null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FirmManager()

    class Meta:
        ordering = ["model", "-as_of_date", "-pk"]
        indexes = [models.Index(fields=["firm", "model", "as_of_date"])]
        constraints = [models.CheckConstraint(
            condition=models.Q(feed_file__isnull=False) | models.Q(change__isnull=False)
            | models.Q(corporate_action__isnull=False),
            name="model_version_has_a_source")]


class SecurityModelWeight(FirmOwnedModel):
    """One security's weight in a model version (fractions summing to 1)."""

    version = models.ForeignKey(SecurityModelVersion, on_delete=models.PROTECT,
                                related_name="weights")
    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(max_digits=12, decimal_places=10)

    objects = FirmManager()


class Program(FirmOwnedModel):
    """An allocation with a product per asset class; accounts name it by `code`.

    A root program names an allocation and a product for each of its asset classes. A child
    program names a parent and stores only its differences (exclusions, tilts, product choices),
    resolved from the parent every time, never copied.
    """

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    allocation = models.ForeignKey(AssetAllocation, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="programs")
    excluded_asset_classes = ArrayField(models.BigIntegerField(), default=list, blank=True)
    # {asset class id: weight change as a decimal string}; they add up to zero.
    tilts = models.JSONField(default=dict, blank=True)
    revision = models.PositiveIntegerField(default=0)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "code"], name="program_code"),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True, allocation__isnull=False)
                | models.Q(parent__isnull=False, allocation__isnull=True),
                name="program_root_has_allocation_child_has_parent"),
        ]

    def __str__(self) -> str:
        return self.name or self.code


class ProgramProduct(FirmOwnedModel):
    """The product a program uses for one asset class (a child's choice overrides its parent's)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="products")
    asset_class = models.ForeignKey("dataops.AssetClass", on_delete=models.PROTECT,
                                    related_name="+")
    product = models.ForeignKey(SecurityModel, on_delete=models.PROTECT, related_name="+")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "asset_class"],
                                               name="program_product")]


class ApprovedAlternative(FirmOwnedModel):
    """A product an account may substitute for its program's product in one asset class."""

    asset_class = models.ForeignKey("dataops.AssetClass", on_delete=models.PROTECT,
                                    related_name="+")
    product = models.ForeignKey(SecurityModel, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True, default="")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asset_class", "product"],
                                               name="approved_alternative")]


class EquivalenceSet(FirmOwnedModel):
    """Securities that substitute for one another as a target (SPY, IVV, VOO)."""

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200, blank=True, default="")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="equivalence_set")]

    def __str__(self) -> str:
        return self.name or self.code


class EquivalenceMember(FirmOwnedModel):
    """A security of an equivalence set; a security is in at most one set."""

    equivalence_set = models.ForeignKey(EquivalenceSet, on_delete=models.CASCADE,
                                        related_name="members")
    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "security"],
                                               name="one_equivalence_set_per_security")]


class CustomizationLimit(FirmOwnedModel):
    """How far an account's customizations may move an asset class (or a branch of the tree,
    such as all equity) away from its program, for one risk profile or for all."""

    name = models.CharField(max_length=200)
    risk_profile = models.CharField(max_length=30, choices=RiskProfile.choices, blank=True,
                                    default="", help_text="Blank: every risk profile.")
    asset_class = models.ForeignKey("dataops.AssetClass", on_delete=models.PROTECT,
                                    related_name="+")
    max_change = models.DecimalField(
        max_digits=12, decimal_places=10, null=True, blank=True,
        help_text="The most the weight may move up or down from the program's, as a fraction.")
    min_weight = models.DecimalField(max_digits=12, decimal_places=10, null=True, blank=True)
    max_weight = models.DecimalField(max_digits=12, decimal_places=10, null=True, blank=True)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["risk_profile", "name"]

    def __str__(self) -> str:
        return self.name


class SpinoffPolicy(FirmOwnedModel):
    """What the firm does with a security its holders receive in a spin-off."""

    class Choice(models.TextChoices):
        KEEP = "keep", "Keep it held; models unchanged"
        SELL = "sell", "Sell it: models unchanged, so it is outside every target"
        ADD_TO_MODEL = "add_to_model", ("Add it to every model naming the parent, with the "
                                        "parent's weight split by the basis percentage")

    policy = models.CharField(max_length=20, choices=Choice.choices, default=Choice.KEEP)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm"], name="spinoff_policy_per_firm")]

    def __str__(self) -> str:
        return self.get_policy_display()
