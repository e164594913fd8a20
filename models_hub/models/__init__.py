from models_hub.models.hub import (
    BillingStatement,
    FeeAccrual,
    FeeSchedule,
    FeeTier,
    ModelSubscription,
)
from models_hub.models.publishing import ModelChange
from models_hub.models.structures import (
    AllocationWeight,
    ApprovedAlternative,
    AssetAllocation,
    CustomizationLimit,
    EquivalenceMember,
    EquivalenceSet,
    ModelProvider,
    Program,
    ProgramProduct,
    RiskProfile,
    SecurityModel,
    SecurityModelVersion,
    SecurityModelWeight,
    SpinoffPolicy,
)

__all__ = [
    "AllocationWeight", "ApprovedAlternative", "AssetAllocation", "BillingStatement",
    "CustomizationLimit", "EquivalenceMember", "EquivalenceSet", "FeeAccrual", "FeeSchedule",
    "FeeTier", "ModelChange", "ModelProvider", "ModelSubscription", "Program", "ProgramProduct",
    "RiskProfile", "SecurityModel", "SecurityModelVersion", "SecurityModelWeight",
    "SpinoffPolicy",
]
